#!/usr/bin/env python3
"""The strongest Python formulations of wrnn's models a speed-minded user would write, for
`wrnn bench --python` (through scripts/torch_bench.py):

- torch.compile (inductor) of the recurrent cell, the wRNN's circular convolution written as one
  product of its (c, f·c) weight with the f rolled copies of h (faster under inductor than conv1d
  with circular padding); the time loop stays in Python, as one compiles a cell for long sequences;
- JAX: the whole training step (forward, loss, backward, clipping, Adam) under jit, with lax.scan
  over time, the wRNN's convolution in the same rolled-copies form.

Both use the configurations, initialisation and training step of scripts/torch_bench.py. `--check`
holds both to the PyTorch parity fixtures (Tests/Fixtures/torch-parity), the numbers wrnn's
ParityFixtureTests hold wrnn to: from the fixture's weights and batch, the first step's loss and
gradient norm (and every gradient) must match to float32 tolerance.

    pip install torch "jax[cpu]"
    python3 scripts/python_twins.py --check
"""
import argparse
import glob
import json
import os
import struct
import sys

import numpy as np


# ---------------------------------------------------------------- torch.compile twin

def rolled_wave_forward(torch, cell, c, n, f, act):
    """wRNN cell forward as one (c, f·c) product over the f rolled copies of h: the same sums as
    Conv1d with circular padding (out[i] = sum_k w[k] h[(i + k - f//2) mod n])."""
    def forward(x, h):
        b = h.shape[0]
        rings = h.view(b, c, n)
        copies = torch.stack([torch.roll(rings, shifts=f // 2 - k, dims=2) for k in range(f)], dim=2)  # [b, c, f, n]
        weight = cell.Wy.weight.reshape(c, c * f)  # [c_out, c_in * f] in (c_in, k) order
        recurrent = torch.matmul(weight, copies.reshape(b, c * f, n)) + cell.Wy.bias.view(1, c, 1)
        return act(recurrent.view(b, c * n) + cell.Wx(x))
    return forward


def compiled_net(torch, net, model):
    """The net with its cell compiled (the wRNN's convolution in the rolled form)."""
    kind = model["kind"]
    if kind in ("lstm", "gru"):
        return torch.compile(net)
    cell = net.cell
    if kind == "wrnn":
        act = {"relu": torch.relu, "tanh": torch.tanh, "identity": lambda x: x}[model.get("activation", "relu")]
        cell.forward = rolled_wave_forward(torch, cell, model["channels"], model["hiddenSize"], model["kernelSize"], act)
    net.cell = torch.compile(cell)
    return net


# ---------------------------------------------------------------- JAX twin

def jax_forward(jnp, lax, model):
    """forward(params, xs [L, B, d]) -> outputs [R, B, out] (every step, or the last), params by the
    state_dict names of the PyTorch models (and of `wrnn export`)."""
    kind, n, c, f = model["kind"], model["hiddenSize"], model["channels"], model["kernelSize"]
    if kind == "wrnn2d":  # the sheet: hiddenSize is its (height, width) in the bench, or "sheet": "HxW"
        sheet = tuple(n) if isinstance(n, (tuple, list)) else tuple(int(v) for v in model["sheet"].lower().split("x"))
        n = sheet[0] * sheet[1]
    units = c * n if kind in ("wrnn", "wrnn2d") else n
    act = {"relu": lambda x: jnp.maximum(x, 0), "tanh": jnp.tanh, "identity": lambda x: x}[model.get("activation", "relu")]
    every = model["readoutTiming"] == "every"
    head = "classifier" if kind == "lem" else "readout"
    sig = lambda x: 1 / (1 + jnp.exp(-x))  # noqa: E731

    def linear(p, name, x):
        return x @ p[name + ".weight"].T + p[name + ".bias"]

    def readout(p, h):
        if model["readout"] == "mlp":
            return linear(p, head + ".2", jnp.maximum(linear(p, head + ".0", h), 0))
        return linear(p, head, h)

    def cell(p, state, x):
        if kind == "wrnn":
            (h,) = state
            b = h.shape[0]
            rings = h.reshape(b, c, n)
            copies = jnp.stack([jnp.roll(rings, f // 2 - k, axis=2) for k in range(f)], axis=2)  # [b, c, f, n]
            weight = p["cell.Wy.weight"].reshape(c, c * f)
            recurrent = jnp.einsum("om,bmn->bon", weight, copies.reshape(b, c * f, n)) + p["cell.Wy.bias"][None, :, None]
            h = act(recurrent.reshape(b, units) + linear(p, "cell.Wx", x))
            return (h,), h
        if kind == "wrnn2d":
            (h,) = state
            b = h.shape[0]
            sheets = h.reshape(b, c, *sheet)
            copies = jnp.stack(
                [jnp.roll(sheets, (f // 2 - ky, f // 2 - kx), axis=(2, 3)) for ky in range(f) for kx in range(f)], axis=2)
            weight = p["cell.Wy.weight"].reshape(c, c * f * f)
            recurrent = jnp.einsum("om,bmn->bon", weight, copies.reshape(b, c * f * f, n)) + p["cell.Wy.bias"][None, :, None]
            h = act(recurrent.reshape(b, units) + linear(p, "cell.Wx", x))
            return (h,), h
        if kind == "irnn":
            (h,) = state
            h = act(linear(p, "cell.Wy", h) + linear(p, "cell.Wx", x))
            return (h,), h
        if kind == "lstm":
            h, cc = state
            a = x @ p["rnn.weight_ih_l0"].T + p["rnn.bias_ih_l0"] + h @ p["rnn.weight_hh_l0"].T + p["rnn.bias_hh_l0"]
            i, g_f, g, o = jnp.split(a, 4, axis=1)
            cc = sig(g_f) * cc + sig(i) * jnp.tanh(g)
            h = sig(o) * jnp.tanh(cc)
            return (h, cc), h
        if kind == "gru":
            (h,) = state
            gi = x @ p["rnn.weight_ih_l0"].T + p["rnn.bias_ih_l0"]
            gh = h @ p["rnn.weight_hh_l0"].T + p["rnn.bias_hh_l0"]
            ir, iz, i_n = jnp.split(gi, 3, axis=1)
            hr, hz, hn = jnp.split(gh, 3, axis=1)
            r, z = sig(ir + hr), sig(iz + hz)
            h = (1 - z) * jnp.tanh(i_n + r * hn) + z * h
            return (h,), h
        if kind == "cornn":
            y, z = state
            dt, gamma, eps = model.get("dt", 0.042), model.get("gamma", 2.7), model.get("epsilon", 4.7)
            z = z + dt * (jnp.tanh(linear(p, "cell.i2h", jnp.concatenate([x, z, y], 1))) - gamma * y - eps * z)
            y = y + dt * z
            return (y, z), y
        if kind == "lem":
            y, z = state
            dt = model.get("dt", 0.21)
            i_dt1, i_dt2, i_z, i_y = jnp.split(linear(p, "cell.inp2hid", x), 4, axis=1)
            h_dt1, h_dt2, h_y = jnp.split(linear(p, "cell.hid2hid", y), 3, axis=1)
            dt_bar, dt_t = dt * sig(i_dt1 + h_dt1), dt * sig(i_dt2 + h_dt2)
            z = (1 - dt_t) * z + dt_t * jnp.tanh(i_y + h_y)
            y = (1 - dt_bar) * y + dt_bar * jnp.tanh(linear(p, "cell.transform_z", z) + i_z)
            return (y, z), y
        raise ValueError(kind)

    def forward(p, xs):
        b = xs.shape[1]
        zeros = jnp.zeros((b, units), xs.dtype)
        state = (zeros, zeros) if kind in ("lstm", "cornn", "lem") else (zeros,)
        state, hs = lax.scan(lambda s, x: cell(p, s, x), state, xs)
        return readout(p, hs) if every else readout(p, hs[-1])[None]

    return forward


def cross_entropy(jnp, logits, targets):
    """Mean over every readout step and sequence (PyTorch's cross_entropy)."""
    logits = logits.reshape(-1, logits.shape[-1])
    log_p = logits - jnp.max(logits, axis=1, keepdims=True)
    log_p = log_p - jnp.log(jnp.sum(jnp.exp(log_p), axis=1, keepdims=True))
    return -jnp.mean(jnp.take_along_axis(log_p, targets.reshape(-1, 1), axis=1))


# ---------------------------------------------------------------- the check against the fixtures

def read_safetensors(path):
    data = open(path, "rb").read()
    length = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + length])
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        dtype = {"F32": np.float32, "F64": np.float64, "I64": np.int64}[info["dtype"]]
        tensors[name] = np.frombuffer(data[8 + length + start:8 + length + end], dtype=dtype).reshape(info["shape"])
    return metadata, tensors


def check(directory):
    """Every fixture: the first step's loss and gradients of the compiled and JAX twins against PyTorch's
    (float64, the numbers wrnn's tests hold wrnn to). Returns the number of failures."""
    import torch
    from torch import nn
    import jax
    import jax.numpy as jnp
    from jax import lax
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))  # the wrnn package
    from wrnn.torch_models import build

    failures = 0
    for path in sorted(glob.glob(os.path.join(directory, "*.safetensors"))):
        metadata, tensors = read_safetensors(path)
        model = json.loads(metadata["model"])
        weights = {k[7:]: v for k, v in tensors.items() if k.startswith("weight.")}
        reference_grads = {k[5:]: v for k, v in tensors.items() if k.startswith("grad.")}
        reference_loss = float(tensors["loss"].reshape(-1)[0])
        reference_norm = float(np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in reference_grads.values())))
        xs, targets = tensors["inputs"].astype(np.float32), tensors["targets"].astype(np.int64)

        # torch.compile, the cell in its fast form
        net = build(torch, nn, model)
        net.load_state_dict({k: torch.tensor(np.array(v, dtype=np.float32)) for k, v in weights.items()}, strict=True)
        net = compiled_net(torch, net, model)
        out = net(torch.tensor(xs))
        out = out if out.dim() == 3 else out.unsqueeze(0)
        loss = nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]), torch.tensor(targets).reshape(-1))
        loss.backward()
        compiled_grads = {k: p.grad.detach().numpy() for k, p in net.named_parameters()}
        compiled_grads = {k.replace("cell._orig_mod.", "cell.").replace("_orig_mod.", ""): v for k, v in compiled_grads.items()}

        # JAX
        forward = jax_forward(jnp, lax, model)
        params = {k: jnp.asarray(np.array(v, dtype=np.float32)) for k, v in weights.items()}
        jax_loss, jax_grads = jax.value_and_grad(lambda p: cross_entropy(jnp, forward(p, jnp.asarray(xs)), jnp.asarray(targets)))(params)

        for label, value, grads in (("torch.compile", loss.item(), compiled_grads), ("JAX", float(jax_loss), jax_grads)):
            norm = float(np.sqrt(sum(np.sum(np.asarray(g, dtype=np.float64) ** 2) for g in grads.values())))
            worst = max(
                float(np.max(np.abs(np.asarray(grads[k], dtype=np.float64) - reference_grads[k]))) / max(1e-3, float(np.max(np.abs(reference_grads[k]))))
                for k in reference_grads)
            ok = abs(value - reference_loss) <= 1e-5 * max(1, abs(reference_loss)) and abs(norm - reference_norm) <= 1e-4 * reference_norm \
                and worst <= 1e-3 and set(grads) == set(reference_grads)
            failures += not ok
            print(f"{'agrees' if ok else 'DIFFERS'}: {os.path.basename(path):28s} {label:13s} loss {value:.7f} (fixture {reference_loss:.7f}), "
                  f"gradient norm {norm:.6g} (fixture {reference_norm:.6g}), largest gradient difference {worst:.1e} of the tensor's scale")
    return failures


# ---------------------------------------------------------------- the timed training steps

def bench_model(task, model, n, c, dims):
    """The model configuration (wrnn's config.json keys) of a torch_bench.py row."""
    d, out = dims
    return {"kind": model, "inputSize": d, "outputSize": out, "hiddenSize": n, "channels": c, "kernelSize": 3,
            "activation": "relu", "readout": "linear", "readoutTiming": "every" if task == "copy" else "last",
            "dt": 0.042 if model == "cornn" else 0.21, "gamma": 2.7, "epsilon": 4.7}


def jax_training_step(jax, jnp, lax, model, task, clip, lr=1e-3):
    """One jitted step: forward (lax.scan), loss, backward, global-norm clipping, PyTorch's Adam."""
    forward = jax_forward(jnp, lax, model)

    def loss_of(params, x, y):
        out = forward(params, x)
        if task == "adding":
            return jnp.mean((out[0] - y) ** 2)
        return cross_entropy(jnp, out, y)

    def step(params, m, v, t, x, y):
        loss, grads = jax.value_and_grad(loss_of)(params, x, y)
        if clip > 0:
            norm = jnp.sqrt(sum(jnp.sum(g * g) for g in jax.tree_util.tree_leaves(grads)))
            scale = jnp.minimum(1.0, clip / (norm + 1e-6))
            grads = jax.tree_util.tree_map(lambda g: g * scale, grads)
        t = t + 1
        m = jax.tree_util.tree_map(lambda m, g: 0.9 * m + 0.1 * g, m, grads)
        v = jax.tree_util.tree_map(lambda v, g: 0.999 * v + 0.001 * g * g, v, grads)
        correction1, correction2 = 1 - 0.9 ** t, 1 - 0.999 ** t
        params = jax.tree_util.tree_map(
            lambda p, m, v: p - lr / correction1 * m / (jnp.sqrt(v / correction2) + 1e-8), params, m, v)
        return params, m, v, t, loss

    return jax.jit(step, donate_argnums=(0, 1, 2))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--check", action="store_true", help="hold both twins to the PyTorch parity fixtures")
    parser.add_argument("--fixtures", default=os.path.join(here, "..", "Tests", "Fixtures", "torch-parity"))
    args = parser.parse_args()
    if args.check:
        failures = check(args.fixtures)
        sys.exit(1 if failures else 0)
    parser.print_help()


if __name__ == "__main__":
    main()
