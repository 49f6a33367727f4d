#!/usr/bin/env python3
"""The authors' training step, transcribed, and the fixtures that prove wrnn takes the same one.

For one grid point of each of the authors' eleven sweep files (../shared/anchors/authors-sweeps/)
this builds the model their task script builds (akandykeller/Wave_RNNs: copy_task.py,
adding_task.py, sMNIST_task.py, psMNIST_task.py, noisy_cifar10_task.py and their model files),
initialised by their code, draws five batches the way their data code does, and takes five
training steps with their loss (the copy script's mean cross-entropy / batch), their clipping
(clip_grad_norm_ when grad_clip > 0) and their optimizer (Adam with PyTorch's defaults). It writes
Tests/Fixtures/authors-steps/<sweep file>.safetensors:

    metadata  sweep (the file), point (JSON: the swept options that pick the grid point),
              steps, batches (the file holding the image batches, for image tasks), lr_per_epoch
              (JSON: the rate during each epoch, from their schedule code)
    init.<tensor>       the weights before the first step, named as their state_dict
    step<k>.<tensor>    the weights after step k (k = 1 ... 5), the steps taken in float64 from the
                        float32 initial weights (the exact answer; stored rounded to float32); for
                        tensors of more than 65,536 values, steps 1 ... 4 keep 16,384 of them
                        (step<k>.<tensor>.index and .sample), so that no file passes 5 MB
    step<k>.loss        [1] the loss as their script backpropagates it
    step<k>.inputs      [L, B, d] and step<k>.targets [L, B] or [B] (copy, adding)
    permutation         [784] psMNIST's pixel order

and, shared by the image fixtures, smnist-batches.safetensors (step<k>.images U8 [B, 784] from
Debian's Fashion-MNIST, standing in for MNIST, and step<k>.labels) and nscifar10-batches.safetensors
(random U8 images [B, 3072] and the one noise block [968, 96] every sequence carries).

`wrnn fidelity` (run by the test suite) reads these files, resolves the same grid point through
`wrnn sweep`'s translation and `wrnn train`'s parser, starts from init.*, feeds the same batches
and checks every step's weights, and checks that wrnn's own initialisation of that configuration
draws every tensor from the same distribution as theirs.

    pip install torch pyyaml
    python3 scripts/authors_steps.py [--sweeps ../shared/anchors/authors-sweeps] [--out Tests/Fixtures/authors-steps]
"""
import argparse
import gzip
import json
import math
import os
import struct

import numpy as np
import torch
import yaml
from torch import nn

STEPS = 5

# One grid point per file: the swept options that pick it (values as the file writes them).
# Clipping is on wherever the grid allows it, so the loss's scale matters to the update; the iRNN
# points take rates at which the authors' iRNN does not blow up within five steps (at 1e-3 their
# identity-initialised ReLU iRNN reaches inf on psMNIST and noisy CIFAR-10 by step 3).
POINTS = {
    "copy_sweep_wrnn.yml": {"lr": "1e-2", "T": "10", "grad_clip": "1.0"},
    "copy_sweep_rnn.yml": {"init": "rand", "n_hid": "100", "lr": "1e-3", "act": "tanh", "T": "10", "grad_clip": "1.0"},
    "adding_sweep_wrnn.yml": {"lr": "1e-3", "T": "100", "grad_clip": "1.0"},
    "adding_sweep_rnn.yml": {"lr": "1e-4", "T": "100", "grad_clip": "1.0"},
    "sMNIST_sweep_convrnn.yml": {"n_hid": "169"},
    "sMNIST_sweep_rnn.yml": {"n_hid": "256", "lr_drop_rate": "3.33"},
    "sMNIST_sweep_fc.yml": {"lr": "0.001", "lr_drop_rate": "10.0", "lr_drop_epoch": "40"},
    "psMNIST_sweep_convrnn.yml": {"lr": "0.001", "grad_clip": "1.0", "lr_drop_rate": "10", "lr_drop_epoch": "40"},
    "psMNIST_sweep_rnn.yml": {"lr": "0.00001", "grad_clip": "1.0", "lr_drop_rate": "10.0", "lr_drop_epoch": "40"},
    "noisy_cifar10_sweep_wrnn.yml": {"n_hid": "144", "lr": "0.001"},
    "noisy_cifar10_sweep_rnn.yml": {"n_hid": "144", "lr": "0.00001"},
}

# Each script's argparse defaults (the options a sweep file leaves out).
SYNTHETIC = dict(model_type="rnn", n_hid=100, max_steps=60000, log_interval=1000, batch=128, n_ch=1, ksize=3,
                 act="relu", init="eye", freeze_rnn="no", freeze_encoder="no", grad_clip=0.0, solo_init="no")
IMAGES = dict(model_type="rnn", n_hid=256, epochs=120, batch=128, lr=0.0001, lr_drop_rate=10.0, lr_drop_epoch=100,
              n_ch=1, ksize=3, act="relu", init="eye", freeze_rnn="no", grad_clip=0.0, solo_init="no")
SCRIPTS = {
    "copy_task.py": dict(SYNTHETIC, T=500, lr=1e-3, batch_test=50, task="copy"),
    "adding_task.py": dict(SYNTHETIC, T=400, lr=1e-4, batch_test=1000, task="adding"),
    "sMNIST_task.py": dict(IMAGES, act="tanh", freeze_encoder="no", mlp_decoder="no", task="smnist"),
    "psMNIST_task.py": dict(IMAGES, lr_scheduler="step", mlp_decoder="no", task="psmnist"),
    "noisy_cifar10_task.py": dict(IMAGES, batch=256, task="nscifar10"),
}
FLOATS = {"lr", "grad_clip", "lr_drop_rate"}
INTS = {"n_hid", "n_ch", "ksize", "T", "batch", "epochs", "lr_drop_epoch", "max_steps", "log_interval", "batch_test"}


def resolve(sweep, point):
    """The script's arguments for one grid point: its defaults, the file's single values, the point."""
    with open(sweep) as f:
        spec = yaml.safe_load(f)
    args = dict(SCRIPTS[spec["program"]])
    for key, entry in spec["parameters"].items():
        values = entry.get("values", [entry.get("value")])
        args[key] = point.get(key, values[0] if len(values) == 1 else None)
        assert args[key] is not None, f"{sweep}: {key} is swept; name it in POINTS"
    for key in args:
        if key in FLOATS:
            args[key] = float(args[key])   # W&B hands '1e-3' to argparse as a string: type=float reads it
        elif key in INTS:
            args[key] = int(args[key])
    return args


# --- the models, as their model files build them -------------------------------------------------

def activation(name):
    return {"tanh": nn.Tanh(), "relu": nn.ReLU(), "ident": nn.Identity()}[name]


class Cell(nn.Module):
    """RNN_Cell of rnn_model.py (dense Wy) and conv_rnn_model.py (circular Conv1d Wy)."""

    def __init__(self, a, n_inp, conv):
        super().__init__()
        n_hid, n_ch, task = a["n_hid"], a["n_ch"], a["task"]
        self.n_hid, self.n_ch, self.conv = n_hid, n_ch, conv
        self.Wx = nn.Linear(n_inp, n_hid * n_ch)
        if conv:
            self.Wy = nn.Conv1d(n_ch, n_ch, a["ksize"], padding=a["ksize"] // 2, padding_mode="circular")
        else:
            self.Wy = nn.Linear(n_hid * n_ch, n_hid * n_ch)
        self.encoder_init(a, conv)
        if conv and a["init"] in ("eye", "fwd"):
            w = torch.zeros(n_ch, n_ch, a["ksize"])
            nn.init.dirac_(w)
            if a["init"] == "fwd":
                w = torch.roll(w, 1, -1)
            with torch.no_grad():
                self.Wy.weight.copy_(w)   # the conv bias keeps Conv1d's default
        elif not conv and a["init"] in ("eye", "fwd"):
            nn.init.eye_(self.Wy.weight)
            nn.init.zeros_(self.Wy.bias)
            if a["init"] == "fwd":
                with torch.no_grad():
                    self.Wy.weight.data = torch.roll(self.Wy.weight, 1, -1).data
        self.act = activation(a["act"])

    def encoder_init(self, a, conv):
        solo = a["solo_init"]
        if a["task"] == "nscifar10" and not conv:
            return   # the CIFAR iRNN file never reads solo_init: V keeps Linear's default
        if solo == "yes":
            nn.init.zeros_(self.Wx.weight)
            nn.init.zeros_(self.Wx.bias)
            with torch.no_grad():
                self.Wx.weight.view(a["n_ch"], a["n_hid"], -1)[:, 0] = 1.0
        elif conv or a["task"] in ("copy", "adding"):
            nn.init.normal_(self.Wx.weight, mean=0.0, std=0.001)
        # the image iRNN files: solo_init no leaves V at Linear's default

    def forward(self, x, h):
        if self.conv:
            return self.act(self.Wx(x) + self.Wy(h.view(-1, self.n_ch, self.n_hid)).flatten(start_dim=1))
        return self.act(self.Wx(x) + self.Wy(h))


class Net(nn.Module):
    def __init__(self, a, n_inp, n_out):
        super().__init__()
        self.every_step = a["task"] == "copy"
        self.cell = Cell(a, n_inp, conv=a["model_type"] == "wrnn")
        width = a["n_hid"] * a["n_ch"]
        if a.get("mlp_decoder") == "yes":
            self.readout = nn.Sequential(nn.Linear(width, 100), nn.ReLU(), nn.Linear(100, n_out))
        else:
            self.readout = nn.Linear(width, n_out)

    def forward(self, x):
        h = torch.zeros(x.size(1), self.cell.n_hid * self.cell.n_ch, dtype=x.dtype)
        outputs = []
        for t in range(x.size(0)):
            h = self.cell(x[t], h)
            if self.every_step:
                outputs.append(self.readout(h))
        return torch.stack(outputs) if self.every_step else self.readout(h)


class FC(nn.Module):
    """fc_model.py: the flattened 784-pixel image into the readout."""

    def __init__(self, a, n_out):
        super().__init__()
        if a.get("mlp_decoder") == "yes":
            self.readout = nn.Sequential(nn.Linear(784, a["n_hid"]), nn.ReLU(), nn.Linear(a["n_hid"], n_out))
        else:
            self.readout = nn.Linear(784, n_out)

    def forward(self, x):
        return self.readout(x.permute(1, 0, 2).reshape(x.shape[1], -1))


# --- the data, as their utils build it -----------------------------------------------------------

def copy_batch(batch, T, mem=10):
    x = np.zeros((batch, T + mem))
    x[:, :mem] = np.random.randint(low=1, high=9, size=(batch, mem))
    x[:, -(mem + 1)] = 9
    y = np.zeros((batch, T + mem))
    y[:, -mem:] = x[:, :mem]
    inputs = nn.functional.one_hot(torch.tensor(x, dtype=torch.int64).permute(1, 0), 10).float()
    return inputs, torch.tensor(y).int().permute(1, 0)


def adding_batch(T, batch):
    values = torch.rand(T, batch)
    marks = torch.zeros_like(values)
    half = int(T / 2)
    for i in range(batch):
        marks[np.random.randint(half), i] = 1
        marks[np.random.randint(half, T), i] = 1
    return torch.stack((values, marks), dim=-1), torch.mul(values, marks).sum(dim=0)


def read_idx(path):
    with gzip.open(path) as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data[4 + 4 * dims:], dtype=np.uint8).reshape(shape)


# --- safetensors ---------------------------------------------------------------------------------

def write_safetensors(path, tensors, metadata):
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        array = np.ascontiguousarray(t.detach().numpy() if torch.is_tensor(t) else t)
        dtype = {np.dtype(np.float32): "F32", np.dtype(np.uint8): "U8"}[array.dtype]
        raw = array.tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def compact(tensors, steps=STEPS, largest=65536, sample=16384):
    """Keeps the files small (under 5 MB): a tensor of more than `largest` values is stored whole
    before the first step and after the last, and after the steps between as `sample` of its values
    (step<k>.<name>.index, the positions, and step<k>.<name>.sample, their values), the same
    positions every step. A step that went differently moves every later step, the last one whole."""
    out = {}
    for name, value in tensors.items():
        parts = name.split(".", 1)
        array = value.detach().numpy() if torch.is_tensor(value) else value
        if parts[0].startswith("step") and parts[0] != f"step{steps}" and parts[1] not in ("loss", "inputs", "targets") \
                and array.size > largest:
            index = np.sort(np.random.default_rng(array.size).choice(array.size, sample, replace=False))
            out[f"{name}.index"] = index.astype(np.float32)   # exact: every position is below 2^24
            out[f"{name}.sample"] = array.reshape(-1)[index].astype(np.float32)
        else:
            out[name] = value
    return out


# --- one fixture ---------------------------------------------------------------------------------

def lr_per_epoch(a):
    """The rate during each epoch as their loop sets it: sMNIST and CIFAR divide by hand after
    every lr_drop_epoch-th epoch, psMNIST steps a StepLR once per epoch."""
    if "epochs" not in a:
        return []
    model = nn.Linear(1, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=a["lr"])
    rates = []
    if a["task"] == "psmnist":
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=a["lr_drop_epoch"], gamma=1.0 / a["lr_drop_rate"])
        for epoch in range(a["epochs"]):
            rates.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
    else:
        lr = a["lr"]
        for epoch in range(a["epochs"]):
            rates.append(lr)
            if (epoch + 1) % a["lr_drop_epoch"] == 0:
                lr /= float(a["lr_drop_rate"])
    return rates


def make_fixture(name, sweeps, out, image_batches, seed):
    a = resolve(os.path.join(sweeps, name), POINTS[name])
    torch.manual_seed(seed)
    np.random.seed(seed)
    task = a["task"]
    n_inp = {"copy": 10, "adding": 2, "smnist": 1, "psmnist": 1, "nscifar10": 96}[task]
    n_out = 1 if task == "adding" else 10
    if a["model_type"] in ("fc", "fc_plus"):
        model = FC(a, n_out)
        units = 784
    else:
        model = Net(a, n_inp, n_out)
        units = a["n_hid"] * a["n_ch"]
    tensors = {f"init.{k}": v.clone() for k, v in model.state_dict().items()}
    # the steps are taken in float64 from those float32 weights: the exact answer, against which
    # wrnn's float32 steps (and PyTorch's own) differ only by their rounding
    model.double()
    optimizer = torch.optim.Adam(model.parameters(), lr=a["lr"])
    metadata = {"sweep": name, "point": json.dumps(POINTS[name], sort_keys=True), "steps": str(STEPS), "reference": "float64",
                "lr_per_epoch": json.dumps(lr_per_epoch(a))}
    perm = None
    if task == "psmnist":
        perm = torch.randperm(784)
        tensors["permutation"] = perm.float()
    if task in ("smnist", "psmnist"):
        metadata["batches"] = "smnist-batches.safetensors"
    if task == "nscifar10":
        metadata["batches"] = "nscifar10-batches.safetensors"
    for k in range(1, STEPS + 1):
        if task == "copy":
            x, y = copy_batch(a["batch"], a["T"])
            tensors[f"step{k}.inputs"], tensors[f"step{k}.targets"] = x, y.float()
        elif task == "adding":
            x, y = adding_batch(a["T"], a["batch"])
            tensors[f"step{k}.inputs"], tensors[f"step{k}.targets"] = x.float(), y.float()
        elif task in ("smnist", "psmnist"):
            images, labels = image_batches["smnist"](k, a["batch"])
            x = (torch.tensor(images, dtype=torch.float32) / 255).reshape(-1, 1, 784).permute(2, 0, 1)
            if perm is not None:
                x = x[perm, :, :]
            y = torch.tensor(labels, dtype=torch.int64)
        else:
            images, labels, noise = image_batches["nscifar10"](k, a["batch"])
            pixels = torch.tensor(images, dtype=torch.float32).reshape(-1, 3, 32, 32) / 255
            rows = pixels.permute(0, 2, 1, 3).reshape(-1, 32, 96)
            x = torch.cat((rows, noise.repeat(a["batch"], 1, 1)), dim=1).permute(1, 0, 2)
            y = torch.tensor(labels, dtype=torch.int64)

        x = x.double()
        if task == "adding":
            y = y.double()
        optimizer.zero_grad()
        if task == "copy":
            loss = nn.CrossEntropyLoss()(model(x).reshape(-1, n_inp), y.reshape(-1).long()) / float(a["batch"])
            loss.backward()
        elif task == "adding":
            loss = nn.MSELoss()(model(x), y.unsqueeze(1))
            loss.backward()
        else:
            # the batch's mean loss, backpropagated in slices of the batch (the same gradient: a
            # float64 graph of 1,000 steps x 256 sequences x 2,304 units does not fit in memory)
            loss, rows = 0.0, x.size(1)
            for part in torch.split(torch.arange(rows), max(1, (2 ** 27) // (x.size(0) * units))):
                piece = nn.CrossEntropyLoss()(model(x[:, part]), y[part]) * (len(part) / rows)
                piece.backward()
                loss += piece.item()
            loss = torch.tensor(loss)
        if a["grad_clip"] > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), a["grad_clip"])
        optimizer.step()
        tensors[f"step{k}.loss"] = torch.tensor([loss.item()], dtype=torch.float32)
        for key, value in model.state_dict().items():
            tensors[f"step{k}.{key}"] = value.float()
        print(f"{name}: step {k} loss {loss.item():.6g}")
    write_safetensors(os.path.join(out, name.replace(".yml", ".safetensors")), compact(tensors), metadata)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sweeps", default=os.path.join(here, "..", "..", "shared", "anchors", "authors-sweeps"))
    parser.add_argument("--out", default=os.path.join(here, "..", "Tests", "Fixtures", "authors-steps"))
    parser.add_argument("--fashion", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--only", nargs="*", help="remake only these sweep files' fixtures")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(2)

    # the image batches: five of the largest batch any image fixture takes, shared by all of them
    generator = torch.Generator().manual_seed(1234)
    train = read_idx(os.path.join(args.fashion, "train-images-idx3-ubyte.gz")).reshape(-1, 784)
    labels = read_idx(os.path.join(args.fashion, "train-labels-idx1-ubyte.gz"))
    picks = [torch.randperm(len(train), generator=generator)[:128].numpy() for _ in range(STEPS)]
    smnist = {}
    for k in range(1, STEPS + 1):
        smnist[f"step{k}.images"] = train[picks[k - 1]]
        smnist[f"step{k}.labels"] = labels[picks[k - 1]].astype(np.float32)
    write_safetensors(os.path.join(args.out, "smnist-batches.safetensors"), smnist, {"source": "Debian's Fashion-MNIST, standing in for MNIST"})
    cifar = {"noise": torch.randn(1, 1000 - 32, 96, generator=generator)[0]}
    for k in range(1, STEPS + 1):
        cifar[f"step{k}.images"] = torch.randint(0, 256, (256, 3072), generator=generator, dtype=torch.uint8).numpy()
        cifar[f"step{k}.labels"] = torch.randint(0, 10, (256,), generator=generator).float().numpy()
    write_safetensors(os.path.join(args.out, "nscifar10-batches.safetensors"), cifar, {"source": "random images, one noise block"})

    image_batches = {
        "smnist": lambda k, b: (smnist[f"step{k}.images"][:b], smnist[f"step{k}.labels"][:b].astype(np.int64)),
        "nscifar10": lambda k, b: (cifar[f"step{k}.images"][:b], cifar[f"step{k}.labels"][:b].astype(np.int64),
                                   cifar["noise"].unsqueeze(0)),
    }
    for seed, name in enumerate(sorted(POINTS)):
        if not args.only or name in args.only:
            make_fixture(name, args.sweeps, args.out, image_batches, seed)


if __name__ == "__main__":
    main()
