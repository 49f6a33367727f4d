"""coRNN and LEM in PyTorch, written after their authors' published code, with wrnn's tensor
names (`cell.i2h`, `readout`; `cell.inp2hid`, `cell.hid2hid`, `cell.transform_z`, `classifier`),
so `wrnn export` files load with load_state_dict(strict=True). Used by torch_check_export.py
and torch_bench.py.
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
