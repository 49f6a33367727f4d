"""Every model wrnn trains, built in PyTorch under the tensor names wrnn's checkpoints and
exports use (the authors' state_dict names: `cell.Wx`, `cell.Wy`, `readout`; `rnn.weight_ih_l0`
for nn.LSTM / nn.GRU; coRNN's `cell.i2h` and LEM's `cell.inp2hid`, `cell.hid2hid`,
`cell.transform_z`, `classifier`, written after their authors' published code), so a run's
weights load with load_state_dict(strict=True). `torch` and `nn` are passed in, so importing this
module needs no PyTorch. Also used by the repository's scripts (torch_bench.py, the parity
fixtures).
"""


def baseline_net(torch, nn, kind, d, out, n, dt, gamma=None, epsilon=None, readout="linear", mlp_hidden=100, every=False):
    """Net(xs [L, B, d]) -> [L or 1, B, out] (every step, or the last) for kind "cornn" or "lem"."""

    class CoRNNCell(nn.Module):
        """z' = z + dt (tanh(W [x, z, y] + b) - gamma y - eps z);  y' = y + dt z'."""

        def __init__(self):
            super().__init__()
            self.i2h = nn.Linear(d + 2 * n, n)

        def forward(self, x, y, z):
            z = z + dt * (torch.tanh(self.i2h(torch.cat((x, z, y), 1))) - gamma * y - epsilon * z)
            return y + dt * z, z

    class LEMCell(nn.Module):
        """dt_bar = dt s(i_dt1 + h_dt1); dt_t = dt s(i_dt2 + h_dt2); z' = (1 - dt_t) z + dt_t tanh(i_y + h_y);
        y' = (1 - dt_bar) y + dt_bar tanh(transform_z(z') + i_z)."""

        def __init__(self):
            super().__init__()
            self.inp2hid = nn.Linear(d, 4 * n)
            self.hid2hid = nn.Linear(n, 3 * n)
            self.transform_z = nn.Linear(n, n)
            bound = 1.0 / n ** 0.5
            for p in self.parameters():
                nn.init.uniform_(p, -bound, bound)

        def forward(self, x, y, z):
            i_dt1, i_dt2, i_z, i_y = self.inp2hid(x).chunk(4, 1)
            h_dt1, h_dt2, h_y = self.hid2hid(y).chunk(3, 1)
            dt_bar = dt * torch.sigmoid(i_dt1 + h_dt1)
            dt_t = dt * torch.sigmoid(i_dt2 + h_dt2)
            z = (1.0 - dt_t) * z + dt_t * torch.tanh(i_y + h_y)
            y = (1.0 - dt_bar) * y + dt_bar * torch.tanh(self.transform_z(z) + i_z)
            return y, z

    def make_readout():
        if readout == "mlp":
            return nn.Sequential(nn.Linear(n, mlp_hidden), nn.ReLU(), nn.Linear(mlp_hidden, out))
        return nn.Linear(n, out)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.cell = CoRNNCell() if kind == "cornn" else LEMCell()
            if kind == "lem":
                self.classifier = make_readout()
                last = self.classifier[-1] if readout == "mlp" else self.classifier
                nn.init.kaiming_normal_(last.weight)
            else:
                self.readout = make_readout()

        def forward(self, xs):
            head = self.classifier if kind == "lem" else self.readout
            y = xs.new_zeros(xs.shape[1], n)
            z = xs.new_zeros(xs.shape[1], n)
            outs = []
            for t in range(xs.shape[0]):
                y, z = self.cell(xs[t], y, z)
                if every:
                    outs.append(head(y))
            return torch.stack(outs) if every else head(y).unsqueeze(0)

    return Net()


def build(torch, nn, model):
    """The PyTorch network for a config.json "model" entry: Net(xs [L, B, d]) -> [R, B, out] raw
    outputs (R = L with the readout at every step, 1 with the readout at the last)."""
    kind, d, out = model["kind"], model["inputSize"], model["outputSize"]
    n, c, f = model["hiddenSize"], model.get("channels", 1), model.get("kernelSize", 3)
    if model.get("locallyConnected"):
        raise ValueError("the locally connected wRNN has no PyTorch twin (its recurrence is not a convolution)")
    if kind == "fc":
        raise ValueError("the fc baseline has no recurrent PyTorch twin here")
    if kind in ("cornn", "lem"):
        defaults = {"cornn": 0.042, "lem": 0.21}
        return baseline_net(torch, nn, kind, d, out, n, model.get("dt", defaults[kind]), model.get("gamma", 2.7),
                            model.get("epsilon", 4.7), model["readout"], model.get("mlpHidden", 100),
                            model["readoutTiming"] == "every")
    units = c * n if kind in ("wrnn", "wrnn2d") else n  # PyTorch names for LSTM/GRU: rnn.weight_ih_l0, ...
    if kind == "wrnn2d":  # the 2-D wave RNN: each channel an H x W torus, "sheet": "HxW"
        height, width = (int(side) for side in model["sheet"].lower().split("x"))
        state = (c, height, width)
    else:
        state = (c, n)
    act = {"relu": torch.relu, "tanh": torch.tanh, "identity": lambda x: x}[model.get("activation", "relu")]

    class Cell(nn.Module):
        """h_t = act(Wy(h_{t-1}) + Wx(x_t)); Wy a circular convolution over the rings (wRNN) or the
        sheets (wRNN-2D: conv2d, circular in both directions), or dense (iRNN)."""

        def __init__(self):
            super().__init__()
            self.Wx = nn.Linear(d, units)
            if kind == "wrnn":
                self.Wy = nn.Conv1d(c, c, f, padding=f // 2, padding_mode="circular")
            elif kind == "wrnn2d":
                self.Wy = nn.Conv2d(c, c, f, padding=f // 2, padding_mode="circular")
            else:
                self.Wy = nn.Linear(units, units)

        def forward(self, x, h):
            b = h.shape[0]
            recurrent = self.Wy(h.view(b, *state)).view(b, units) if kind in ("wrnn", "wrnn2d") else self.Wy(h)
            return act(recurrent + self.Wx(x))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            if kind in ("lstm", "gru"):
                self.rnn = (nn.LSTM if kind == "lstm" else nn.GRU)(d, units)
            else:
                self.cell = Cell()
            if model["readout"] == "mlp":
                hidden = model["mlpHidden"]
                self.readout = nn.Sequential(nn.Linear(units, hidden), nn.ReLU(), nn.Linear(hidden, out))
            else:
                self.readout = nn.Linear(units, out)

        def forward(self, xs):  # [L, B, d]
            if kind in ("lstm", "gru"):
                hs, _ = self.rnn(xs)
                if model["readoutTiming"] == "every":
                    return self.readout(hs)
                return self.readout(hs[-1]).unsqueeze(0)
            h = xs.new_zeros(xs.shape[1], units)
            outs = []
            for t in range(xs.shape[0]):
                h = self.cell(xs[t], h)
                if model["readoutTiming"] == "every":
                    outs.append(self.readout(h))
            return torch.stack(outs) if outs else self.readout(h).unsqueeze(0)

    return Net()
