#!/usr/bin/env python3
"""PyTorch twin of `wrnn bench`: the same configurations, shapes and initialisation,
timed the same way (median of whole training iterations: forward, backward, clip, Adam).
The gated rows time PyTorch's own nn.LSTM / nn.GRU (its default init is ours), and every row
asserts that the module it times is the one its name says. Every row is timed twice, as
PyTorch ships and with torch.set_flush_denormal(True) (wrnn's default: subnormals flushed).

    python3 scripts/torch_bench.py [--configs copy-wrnn,...] [--threads 2] [--json]

Needs PyTorch (CPU is enough): pip install torch
`wrnn bench --torch` runs this script and prints both side by side.
"""
import argparse
import json
import math
import resource
import subprocess
import sys
import os
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))  # the wrnn package

CONFIGS = {
    # name: (task, T, model, n, c, batch)
    "copy-wrnn": ("copy", 30, "wrnn", 100, 6, 128),
    "copy-irnn": ("copy", 30, "irnn", 100, 1, 128),
    "adding-wrnn": ("adding", 400, "wrnn", 100, 27, 128),
    "adding-irnn": ("adding", 400, "irnn", 100, 1, 128),
    # sequential images on random data of their shape: (length, inputs) in place of T
    "smnist-wrnn": ("image", (784, 1), "wrnn", 256, 16, 128),
    "smnist-irnn": ("image", (784, 1), "irnn", 256, 1, 128),
    "smnist-lstm": ("image", (784, 1), "lstm", 256, 1, 128),
    "smnist-gru": ("image", (784, 1), "gru", 256, 1, 128),
    "smnist-cornn": ("image", (784, 1), "cornn", 256, 1, 120),
    "smnist-lem": ("image", (784, 1), "lem", 128, 1, 128),
    "nscifar10-wrnn": ("image", (1000, 96), "wrnn", 256, 16, 256),
    # the 2-D wave RNN: n is its sheet (height, width)
    "copy-wrnn2d": ("copy", 30, "wrnn2d", (10, 10), 6, 128),
    "smnist-wrnn2d": ("image", (784, 1), "wrnn2d", (16, 16), 16, 128),
}


def build(torch, nn, task, model, n, c, f=3, d_image=1):
    d, out = {"copy": (10, 10), "adding": (2, 1), "image": (d_image, 10)}[task]

    sheet = model == "wrnn2d"  # n is then the sheet (height, width)
    cells = n[0] * n[1] if sheet else n
    state = (c, *n) if sheet else (c, n)

    class WaveCell(nn.Module):
        """h' = relu(conv(u, h) + b_u + V x + b_V), circular conv initialised as a shift (the
        sheet: conv2d, circular in both directions, the shift along +x)."""

        def __init__(self):
            super().__init__()
            self.Wx = nn.Linear(d, cells * c)
            conv = nn.Conv2d if sheet else nn.Conv1d
            self.Wy = conv(c, c, f, padding=f // 2, padding_mode="circular")
            with torch.no_grad():
                self.Wy.weight.zero_()
                for o in range(c):
                    if sheet:
                        self.Wy.weight[o, o, f // 2, f // 2 - 1] = 1.0  # shift: h[y, x] <- h[y, x - 1]
                    else:
                        self.Wy.weight[o, o, (f // 2 + 1) % f] = 1.0  # shift: h[i] <- h[i+1]
                self.Wx.weight.zero_()
                self.Wx.bias.zero_()
                for ch in range(c):
                    self.Wx.weight[ch * cells, :] = 1.0  # sparse V: cell 0 of each ring or sheet

        def forward(self, x, h):
            b = h.shape[0]
            return torch.relu(self.Wy(h.view(b, *state)).view(b, c * cells) + self.Wx(x))

    class IdentityCell(nn.Module):
        """iRNN: h' = relu(U h + b_U + V x + b_V), U = I, V ~ N(0, 0.001^2)."""

        def __init__(self):
            super().__init__()
            self.Wx = nn.Linear(d, n)
            self.Wy = nn.Linear(n, n)
            with torch.no_grad():
                self.Wy.weight.copy_(torch.eye(n))
                self.Wy.bias.zero_()
                self.Wx.weight.normal_(0, 0.001)

        def forward(self, x, h):
            return torch.relu(self.Wy(h) + self.Wx(x))

    class GatedNet(nn.Module):
        """One-layer nn.LSTM / nn.GRU (PyTorch's fused kernels, its default init) and a linear readout of the last h."""

        def __init__(self):
            super().__init__()
            self.rnn = (nn.LSTM if model == "lstm" else nn.GRU)(d, n)
            self.readout = nn.Linear(n, out)

        def forward(self, xs):
            hs, _ = self.rnn(xs)
            return self.readout(hs) if task == "copy" else self.readout(hs[-1])

    if model in ("lstm", "gru"):
        return GatedNet()
    if model in ("cornn", "lem"):  # the authors' sMNIST constants, as `wrnn bench` uses
        from wrnn.torch_models import baseline_net
        net = baseline_net(torch, nn, model, d, out, n, 0.042 if model == "cornn" else 0.21, 2.7, 4.7)
        return SqueezedNet(net)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.cell = WaveCell() if model in ("wrnn", "wrnn2d") else IdentityCell()
            self.units = cells * c if model in ("wrnn", "wrnn2d") else n
            self.readout = nn.Linear(self.units, out)

        def forward(self, xs):  # xs: [L, B, d]
            h = xs.new_zeros(xs.shape[1], self.units)
            outs = []
            for t in range(xs.shape[0]):
                h = self.cell(xs[t], h)
                if task == "copy":
                    outs.append(self.readout(h))
            return torch.stack(outs) if task == "copy" else self.readout(h)

    return Net()


def SqueezedNet(net):
    """The baselines answer [1, B, out] at the last step, as the export check wants; the bench wants [B, out]."""
    forward = net.forward
    net.forward = lambda xs: forward(xs)[0]
    return net


def make_batch(torch, task, T, batch, gen):
    if task == "image":
        length, d = T
        return torch.rand(length, batch, d, generator=gen), torch.randint(0, 10, (batch,), generator=gen)
    if task == "copy":
        length = T + 20
        tokens = torch.zeros(length, batch, dtype=torch.long)
        targets = torch.zeros(length, batch, dtype=torch.long)
        digits = torch.randint(1, 9, (10, batch), generator=gen)
        tokens[:10] = digits
        tokens[T + 10] = 9
        targets[T + 10:T + 20] = digits
        return torch.nn.functional.one_hot(tokens, 10).float(), targets
    x = torch.zeros(T, batch, 2)
    x[:, :, 0] = torch.rand(T, batch, generator=gen)
    first = torch.randint(0, T // 2, (batch,), generator=gen)
    second = torch.randint(T // 2, T, (batch,), generator=gen)
    cols = torch.arange(batch)
    x[first, cols, 1] = 1
    x[second, cols, 1] = 1
    y = (x[first, cols, 0] + x[second, cols, 0]).unsqueeze(1)
    return x, y


def timed_module(nn, net):
    """The recurrent module a net times, by its class: what the row's name must say."""
    rnn = getattr(net, "rnn", None)
    if isinstance(rnn, nn.LSTM):
        return "lstm"
    if isinstance(rnn, nn.GRU):
        return "gru"
    cell = getattr(net, "cell", None)
    if type(cell).__name__ == "CoRNNCell":
        return "cornn"
    if type(cell).__name__ == "LEMCell":
        return "lem"
    if cell is not None and isinstance(getattr(cell, "Wy", None), nn.Conv1d):
        return "wrnn"
    if cell is not None and isinstance(getattr(cell, "Wy", None), nn.Conv2d):
        return "wrnn2d"
    if cell is not None and isinstance(getattr(cell, "Wy", None), nn.Linear):
        return "irnn"
    return type(net).__name__


def bench_one(name, iterations, warmup, threads, flush_denormal, mode="eager"):
    import torch
    import torch.nn as nn

    torch.set_num_threads(threads)
    torch.set_flush_denormal(flush_denormal)
    torch.manual_seed(0)
    task, T, model, n, c, batch = CONFIGS[name]
    net = build(torch, nn, task, model, n, c, d_image=T[1] if task == "image" else 1)
    module = timed_module(nn, net)
    assert module == model, f"{name}: the timed module is {module}, not {model}"
    gen = torch.Generator().manual_seed(0)
    x, y = make_batch(torch, task, T, batch, gen)
    clip = 0 if task == "copy" else 10
    if mode == "jax":
        return bench_jax(name, net, x, y, task, model, n, c, clip, iterations, warmup, threads)
    if mode == "compile":
        from python_twins import bench_model, compiled_net
        dims = {"copy": (10, 10), "adding": (2, 1), "image": (T[1] if task == "image" else 1, 10)}[task]
        net = compiled_net(torch, net, bench_model(task, model, n, c, dims))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    # bf16 autocast: the eager model's forward and loss under torch.autocast("cpu", bfloat16), as
    # PyTorch's mixed-precision recipe has it (backward outside the context; fp32 weights and Adam)
    import contextlib
    precision = torch.autocast("cpu", dtype=torch.bfloat16) if mode == "autocast" else contextlib.nullcontext()

    def step():
        opt.zero_grad()
        with precision:
            out = net(x)
            if task in ("copy", "image"):
                loss = nn.functional.cross_entropy(out.reshape(-1, 10), y.reshape(-1))
            else:
                loss = nn.functional.mse_loss(out, y)
        loss.backward()
        if clip > 0:
            nn.utils.clip_grad_norm_(net.parameters(), clip)
        opt.step()

    first = time.perf_counter()
    step()  # compilation happens here for the compiled twin: reported apart
    compile_seconds = time.perf_counter() - first
    times = timed(step, iterations, warmup)
    return {
        "name": name,
        "module": type(getattr(net, "rnn", None) or getattr(net.cell, "_orig_mod", net.cell)).__name__,
        "seconds_per_iteration": times[len(times) // 2],
        "compile_seconds": compile_seconds,
        "peak_memory_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "torch_version": torch.__version__,
    }


def timed(step, iterations, warmup):
    """As wrnn bench: at least `warmup` untimed iterations and a quarter second, then at least
    `iterations` timed ones and a second of them (the shortest rows were otherwise timed cold)."""
    began, done = time.perf_counter(), 0
    while done < warmup or time.perf_counter() - began < 0.25:
        step()
        done += 1
    times = []
    while len(times) < iterations or sum(times) < 1.0:
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return sorted(times)


def bench_jax(name, net, x, y, task, model, n, c, clip, iterations, warmup, threads):
    """The JAX twin of the row: the same initial weights (the PyTorch net's), batch and step, jitted."""
    os.environ.setdefault("XLA_FLAGS", f"--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads={threads}")
    import jax
    import jax.numpy as jnp
    from jax import lax
    from python_twins import bench_model, jax_training_step
    dims = (x.shape[2], 1 if task == "adding" else 10)
    step_fn = jax_training_step(jax, jnp, lax, bench_model(task, model, n, c, dims), task, clip)
    params = {k: jnp.asarray(v.detach().numpy()) for k, v in net.state_dict().items()}
    state = {"params": params, "m": jax.tree_util.tree_map(jnp.zeros_like, params),
             "v": jax.tree_util.tree_map(jnp.zeros_like, params), "t": jnp.asarray(0.0)}
    xj, yj = jnp.asarray(x.numpy()), jnp.asarray(y.numpy())

    def step():
        state["params"], state["m"], state["v"], state["t"], loss = step_fn(state["params"], state["m"], state["v"], state["t"], xj, yj)
        loss.block_until_ready()

    first = time.perf_counter()
    step()
    compile_seconds = time.perf_counter() - first
    times = timed(step, iterations, warmup)
    return {"name": name, "module": f"jax {jax.__version__}", "seconds_per_iteration": times[len(times) // 2],
            "compile_seconds": compile_seconds, "peak_memory_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "torch_version": ""}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default=",".join(list(CONFIGS)[:4]))
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--single", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--flush-denormal", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="eager", help=argparse.SUPPRESS)
    parser.add_argument("--fast", action="store_true",
                        help="also time the eager models under bf16 autocast, and torch.compile and JAX twins (scripts/python_twins.py); compile time apart")
    args = parser.parse_args()
    names = [s.strip() for s in args.configs.split(",") if s.strip()]
    unknown = [s for s in names if s not in CONFIGS]
    if unknown:
        sys.exit(f"torch_bench.py: unknown configuration {unknown[0]!r}; choose from {', '.join(CONFIGS)}")
    try:
        import torch  # noqa: F401
    except ImportError:
        sys.exit("torch_bench.py: PyTorch is not installed; pip install torch")
    if args.single:
        print(json.dumps(bench_one(names[0], args.iterations, args.warmup, args.threads, args.flush_denormal, args.mode)))
        return
    results = []
    for name in names:  # one process per configuration and mode, so peak memory is its own
        runs = []
        for flush in (False, True):
            out = subprocess.run([sys.executable, __file__, "--single", "--configs", name,
                                  "--iterations", str(args.iterations), "--warmup", str(args.warmup),
                                  "--threads", str(args.threads)] + (["--flush-denormal"] if flush else []),
                                 check=True, capture_output=True, text=True)
            runs.append(json.loads(out.stdout))
        r = runs[0]
        r["seconds_per_iteration_flush_denormal"] = runs[1]["seconds_per_iteration"]
        r["peak_memory_bytes_flush_denormal"] = runs[1]["peak_memory_bytes"]
        for mode in (("autocast", "compile", "jax") if args.fast else ()):  # flush_denormal on, as wrnn
            out = subprocess.run([sys.executable, __file__, "--single", "--configs", name, "--mode", mode,
                                  "--iterations", str(args.iterations), "--warmup", str(args.warmup),
                                  "--threads", str(args.threads), "--flush-denormal"], capture_output=True, text=True)
            if out.returncode != 0:
                sys.stderr.write(f"torch_bench.py: the {mode} twin of {name} failed: {out.stderr.strip().splitlines()[-1:]}\n")
                continue
            twin = json.loads(out.stdout)
            key = {"compile": "compiled", "jax": "jax", "autocast": "autocast"}[mode]
            r[f"seconds_per_iteration_{key}"] = twin["seconds_per_iteration"]
            r[f"compile_seconds_{key}"] = twin["compile_seconds"]
            r[f"peak_memory_bytes_{key}"] = twin["peak_memory_bytes"]
            if mode == "jax":
                r["jax_version"] = twin["module"]
        results.append(r)
        if not args.json:
            print(f"{name:14s} {r['module']:10s} {r['seconds_per_iteration']:9.4f} s/iter as shipped, "
                  f"{r['seconds_per_iteration_flush_denormal']:9.4f} with flush_denormal  peak RSS {r['peak_memory_bytes'] / 1e6:8.1f} MB")
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
