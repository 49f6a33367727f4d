#!/usr/bin/env python3
"""Compares learning dynamics of wrnn and its PyTorch twin (scripts/torch_twin.py) over seeds.

    python3 scripts/dynamics_compare.py SWEEP_DIR TWIN.json
    python3 scripts/dynamics_compare.py SWEEP_DIR OTHER_SWEEP_DIR [--labels fp32,bf16]

The second form compares two sets of wrnn runs (e.g. --precision fp32 against bf16), seed by seed.

Adding task: the solved-at step per seed (first evaluation with test MSE <= 0.05; a run that
never solves counts as after its last step); copy task: the final test loss per seed. Prints a
Markdown table and a two-sided Mann-Whitney U test of the two samples (scipy).
"""
import argparse
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
        curve = [(m["step"], m["test_loss"]) for m in map(json.loads, open(os.path.join(path, "metrics.jsonl")))]
        runs.append({"seed": config["seed"], "solved_at": summary.get("solved_at"),
                     "final_test_loss": summary["test_loss"], "steps": summary["steps"], "curve": curve})
    return sorted(runs, key=lambda r: r["seed"])


def as_twin(sweep):
    """Another set of wrnn runs in the PyTorch twin's JSON shape."""
    runs = wrnn_runs(sweep)
    if not runs:
        sys.exit(f"{sweep}: no finished runs under runs/")
    config = json.load(open(os.path.join(sweep, "runs", sorted(os.listdir(os.path.join(sweep, "runs")))[0], "config.json")))
    return {"args": {"task": config["task"]["kind"], "steps": config["steps"], "eval_every": config["evalEvery"]}, "runs": runs}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", help="a sweep directory of wrnn runs")
    parser.add_argument("other", help="the PyTorch twin's JSON, or another sweep directory of wrnn runs")
    parser.add_argument("--labels", help="the two sides' names, comma-separated (default wrnn,PyTorch)")
    options = parser.parse_args()
    args, labels = [options.runs, options.other], options.labels
    ours = wrnn_runs(args[0])
    twin = as_twin(args[1]) if os.path.isdir(args[1]) else json.load(open(args[1]))
    mine, theirs = (labels.split(",") if labels else ("wrnn", "wrnn" if os.path.isdir(args[1]) else "PyTorch"))
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

    print(f"| seed | {mine} {key.replace('_', ' ')} | {theirs} {key.replace('_', ' ')} |")
    print("| --- | --- | --- |")
    by_seed = {r["seed"]: r for r in twin["runs"]}
    for r in ours:
        t = by_seed.get(r["seed"])
        print(f"| {r['seed']} | {text(r)} | {text(t) if t else '–'} |")
    a, b = [value(r) for r in ours], [value(r) for r in twin["runs"]]
    # the median test loss over seeds along training, both sides
    def median(values):
        values = sorted(values)
        return values[len(values) // 2] if len(values) % 2 else (values[len(values) // 2 - 1] + values[len(values) // 2]) / 2
    marks = [s for s in (0, 100, 200, 300, 500, 700, 1000, 1500, 2000, 2500, 3000) if s <= steps]
    print("\n| step | " + " | ".join(str(s) for s in marks) + " |")
    print("| --- |" + " --- |" * len(marks))
    measure = "test MSE" if task == "adding" else "test loss"
    for label, group in ((f"{mine} median {measure}", ours), (f"{theirs} median {measure}", twin["runs"])):
        cells = []
        for s in marks:
            values = [dict(map(tuple, r["curve"])).get(s) for r in group]
            values = [v for v in values if v is not None]
            cells.append(f"{median(values):.2e}" if values else "–")
        print(f"| {label} | " + " | ".join(cells) + " |")
    try:
        from scipy.stats import mannwhitneyu
        p = mannwhitneyu(a, b, alternative="two-sided").pvalue
        print(f"\n{mine} n={len(a)}, {theirs} n={len(b)}; two-sided Mann-Whitney U p = {p:.3f}"
              + (" (never-solved runs counted as after the last step)" if key == "solved_at" else ""))
    except ImportError:
        print("\n(scipy not installed: no test statistic)")


if __name__ == "__main__":
    main()
