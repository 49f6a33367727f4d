#!/usr/bin/env python3
"""PyTorch twin of `wrnn train` for the copy and adding tasks: the same models and
initialisation (scripts/torch_bench.py's build), the same data distribution, Adam, loss,
clipping and evaluation protocol, so that learning dynamics can be compared seed by seed.

    python3 scripts/torch_twin.py --task adding -T 100 --model wrnn --lr 1e-3 --clip 0 \
        --steps 3000 --seeds 0,1,2,3,4 --out twin-adding.json

Per seed it records the test loss every --eval-every steps on a fixed test set of
--test-size sequences drawn from the seed, the adding task's solved-at step (first
evaluation with test MSE <= 0.05, as wrnn reports it), and the final test loss.
The random streams are PyTorch's, not wrnn's: the two agree in distribution, not draw
by draw, which is what a comparison of dynamics across seeds needs.
Needs PyTorch (CPU): pip install torch
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def run_seed(torch, nn, args, seed):
    from torch_bench import build, make_batch

    torch.manual_seed(seed)
    n, c = args.hidden_size, (args.channels if args.model == "wrnn" else 1)
    net = build(torch, nn, args.task, args.model, n, c)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    train_gen = torch.Generator().manual_seed(2 * seed + 1)
    test_gen = torch.Generator().manual_seed(2 * seed + 2)
    tests = [make_batch(torch, args.task, args.T, min(args.batch, args.test_size - k), test_gen)
             for k in range(0, args.test_size, args.batch)]

    def loss_of(out, y):
        if args.task == "copy":
            return nn.functional.cross_entropy(out.reshape(-1, 10), y.reshape(-1))
        return nn.functional.mse_loss(out, y)

    def evaluate():
        with torch.no_grad():
            total, weight = 0.0, 0
            for x, y in tests:
                total += loss_of(net(x), y).item() * y.shape[-1 if args.task == "adding" else 0] * x.shape[1]
                weight += y.shape[-1 if args.task == "adding" else 0] * x.shape[1]
            return total / weight

    curve = [(0, evaluate())]
    solved = None
    start = time.perf_counter()
    for step in range(1, args.steps + 1):
        x, y = make_batch(torch, args.task, args.T, args.batch, train_gen)
        opt.zero_grad()
        loss = loss_of(net(x), y)
        loss.backward()
        if args.clip > 0:
            nn.utils.clip_grad_norm_(net.parameters(), args.clip)
        opt.step()
        if not torch.isfinite(loss):
            return {"seed": seed, "diverged_at": step, "curve": curve}
        if step % args.eval_every == 0 or step == args.steps:
            test = evaluate()
            curve.append((step, test))
            if args.task == "adding" and solved is None and test <= 0.05:
                solved = step
    return {"seed": seed, "curve": curve, "solved_at": solved, "final_test_loss": curve[-1][1],
            "seconds": time.perf_counter() - start}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=["copy", "adding"], required=True)
    parser.add_argument("-T", type=int, required=True, help="copy: delay T (paper layout); adding: length")
    parser.add_argument("--model", choices=["wrnn", "irnn"], default="wrnn")
    parser.add_argument("--hidden-size", type=int, default=100)
    parser.add_argument("--channels", type=int, default=None, help="default 6 (copy), 27 (adding)")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--clip", type=float, default=0.0)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--test-size", type=int, default=1000)
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.channels is None:
        args.channels = 6 if args.task == "copy" else 27
    try:
        import torch
        import torch.nn as nn
    except ImportError:
        sys.exit("torch_twin.py: PyTorch is not installed; pip install torch")
    torch.set_num_threads(args.threads)
    results = {"args": vars(args), "torch_version": torch.__version__, "runs": []}
    for seed in [int(s) for s in args.seeds.split(",")]:
        run = run_seed(torch, nn, args, seed)
        results["runs"].append(run)
        print(f"seed {seed}: solved at {run.get('solved_at')}, final test loss {run.get('final_test_loss')}", flush=True)
        with open(args.out + ".tmp", "w") as f:
            json.dump(results, f)
        os.replace(args.out + ".tmp", args.out)


if __name__ == "__main__":
    main()
