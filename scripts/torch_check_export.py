#!/usr/bin/env python3
"""Checks a `wrnn export` in PyTorch: builds the same model, loads model.safetensors with
load_state_dict(strict=True), runs it on the inputs in check.safetensors and compares with
the outputs wrnn computed (max |difference| <= 1e-4 x max |output|).

    python3 scripts/torch_check_export.py RUN_DIR/model.safetensors RUN_DIR/check.safetensors

Needs PyTorch (CPU is enough): pip install torch
"""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def read_safetensors(path, torch):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        assert entry["dtype"] == "F32", f"{name}: dtype {entry['dtype']}"
        begin, end = entry["data_offsets"]
        values = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32)
        tensors[name] = values.reshape(entry["shape"]).clone()
    return metadata, tensors


def build(torch, nn, model):
    kind, d, out = model["kind"], model["inputSize"], model["outputSize"]
    n, c, f = model["hiddenSize"], model["channels"], model["kernelSize"]
    if kind in ("cornn", "lem"):
        from torch_baselines import baseline_net
        defaults = {"cornn": 0.042, "lem": 0.21}
        return baseline_net(torch, nn, kind, d, out, n, model.get("dt", defaults[kind]), model.get("gamma", 2.7),
                            model.get("epsilon", 4.7), model["readout"], model.get("mlpHidden", 100),
                            model["readoutTiming"] == "every")
    units = c * n if kind == "wrnn" else n  # PyTorch names for LSTM/GRU: rnn.weight_ih_l0, ...
    act = {"relu": torch.relu, "tanh": torch.tanh, "identity": lambda x: x}[model["activation"]]

    class Cell(nn.Module):
        def __init__(self):
            super().__init__()
            self.Wx = nn.Linear(d, units)
            if kind == "wrnn":
                self.Wy = nn.Conv1d(c, c, f, padding=f // 2, padding_mode="circular")
            else:
                self.Wy = nn.Linear(units, units)

        def forward(self, x, h):
            b = h.shape[0]
            recurrent = self.Wy(h.view(b, c, n)).view(b, units) if kind == "wrnn" else self.Wy(h)
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


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    try:
        import torch
        import torch.nn as nn
    except ImportError:
        sys.exit("torch_check_export.py: PyTorch is not installed; pip install torch")
    metadata, weights = read_safetensors(sys.argv[1], torch)
    _, check = read_safetensors(sys.argv[2], torch)
    config = json.loads(metadata["config"])
    if config["model"].get("locallyConnected"):
        sys.exit("torch_check_export.py: the locally connected wRNN has no PyTorch twin here")
    net = build(torch, nn, config["model"])
    net.load_state_dict(weights, strict=True)
    with torch.no_grad():
        outputs = net(check["inputs"])
    expected = check["outputs"]
    scale = expected.abs().max().item() or 1.0
    error = (outputs - expected).abs().max().item() / scale
    verdict = "agree" if error <= 1e-4 else "DISAGREE"
    print(f"{config['model']['kind']} outputs {tuple(expected.shape)}: max relative difference {error:.2e} -> {verdict} (tolerance 1e-4)")
    sys.exit(0 if error <= 1e-4 else 1)


if __name__ == "__main__":
    main()
