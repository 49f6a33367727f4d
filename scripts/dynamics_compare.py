#!/usr/bin/env python3
"""Compares learning dynamics of wrnn and its PyTorch twin (scripts/torch_twin.py) over seeds.

    python3 scripts/dynamics_compare.py SWEEP_DIR TWIN.json

Adding task: the solved-at step per seed (first evaluation with test MSE <= 0.05; a run that
never solves counts as after its last step); copy task: the final test loss per seed. Prints a
Markdown table and a two-sided Mann-Whitney U test of the two samples (scipy).
"""
import json
import os
import sys


def wrnn_runs(sweep):
    runs = []
    root = os.path.join(sweep, "runs")
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        if not os.path.exists(os.path.join(path, "summary.json")):
            continue
        config = json.load(open(os.path.join(path, "config.json")))
        summary = json.load(open(os.path.join(path, "summary.json")))
        runs.append({"seed": config["seed"], "solved_at": summary.get("solved_at"),
                     "final_test_loss": summary["test_loss"], "steps": summary["steps"]})
    return sorted(runs, key=lambda r: r["seed"])


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    ours, twin = wrnn_runs(sys.argv[1]), json.load(open(sys.argv[2]))
    task, steps = twin["args"]["task"], twin["args"]["steps"]
    key = "solved_at" if task == "adding" else "final_test_loss"

    def value(run):
        v = run.get(key)
        return steps + twin["args"]["eval_every"] if v is None and key == "solved_at" else v

    def text(run):
        v = run.get(key)
        if key == "solved_at":
            return "never" if v is None else str(v)
        return f"{v:.3e}"

    print(f"| seed | wrnn {key.replace('_', ' ')} | PyTorch {key.replace('_', ' ')} |")
    print("| --- | --- | --- |")
    by_seed = {r["seed"]: r for r in twin["runs"]}
    for r in ours:
        t = by_seed.get(r["seed"])
        print(f"| {r['seed']} | {text(r)} | {text(t) if t else '–'} |")
    a, b = [value(r) for r in ours], [value(r) for r in twin["runs"]]
    try:
        from scipy.stats import mannwhitneyu
        p = mannwhitneyu(a, b, alternative="two-sided").pvalue
        print(f"\nwrnn n={len(a)}, PyTorch n={len(b)}; two-sided Mann-Whitney U p = {p:.3f}"
              + (" (never-solved runs counted as after the last step)" if key == "solved_at" else ""))
    except ImportError:
        print("\n(scipy not installed: no test statistic)")


if __name__ == "__main__":
    main()
