#!/usr/bin/env python3
"""Compares learning dynamics of wrnn and its PyTorch twin (scripts/torch_twin.py) over seeds.

    python3 scripts/dynamics_compare.py SWEEP_DIR TWIN.json
    python3 scripts/dynamics_compare.py SWEEP_DIR OTHER_SWEEP_DIR [--labels fp32,bf16] [--select A,B]

The second form compares two sets of wrnn runs (e.g. --precision fp32 against bf16), seed by seed;
--select keeps, on each side, the runs whose directory name contains A (first side) or B (second),
so one sweep holding both sets can be compared with itself.

Adding task: the solved-at step per seed (first evaluation with test MSE <= 0.05; a run that
never solves counts as after its last step); copy task: the final test loss per seed; image tasks:
the final test accuracy per seed, and the median accuracy at every evaluation. Prints a Markdown
table and a two-sided Mann-Whitney U test of the two samples (scipy).
"""
import argparse
import json
import os
import sys


IMAGE_TASKS = {"smnist", "psmnist", "sfmnist", "psfmnist", "nscifar10"}


def finished(sweep, select=None):
    root = os.path.join(sweep, "runs")
    return [os.path.join(root, name) for name in sorted(os.listdir(root))
            if (select is None or select in name) and os.path.exists(os.path.join(root, name, "summary.json"))]


def wrnn_runs(sweep, select=None):
    runs = []
    for path in finished(sweep, select):
        config = json.load(open(os.path.join(path, "config.json")))
        summary = json.load(open(os.path.join(path, "summary.json")))
        metrics = [m for m in map(json.loads, open(os.path.join(path, "metrics.jsonl"))) if "test_loss" in m]
        curve = [(m["step"], m["accuracy"] if config["task"]["kind"] in IMAGE_TASKS else m["test_loss"]) for m in metrics]
        runs.append({"seed": config["seed"], "solved_at": summary.get("solved_at"),
                     "final_test_loss": summary["test_loss"], "final_test_accuracy": metrics[-1].get("accuracy"),
                     "steps": summary["steps"], "curve": curve})
    return sorted(runs, key=lambda r: r["seed"])


def as_twin(sweep, select=None):
    """Another set of wrnn runs in the PyTorch twin's JSON shape."""
    runs = wrnn_runs(sweep, select)
    if not runs:
        sys.exit(f"{sweep}: no finished runs under runs/" + (f" named *{select}*" if select else ""))
    config = json.load(open(os.path.join(finished(sweep, select)[0], "config.json")))
    return {"args": {"task": config["task"]["kind"], "steps": config["steps"], "eval_every": config["evalEvery"]}, "runs": runs}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", help="a sweep directory of wrnn runs")
    parser.add_argument("other", help="the PyTorch twin's JSON, or another sweep directory of wrnn runs")
    parser.add_argument("--labels", help="the two sides' names, comma-separated (default wrnn,PyTorch)")
    parser.add_argument("--select", help="A,B: each side's runs whose directory name contains A, B")
    options = parser.parse_args()
    args, labels = [options.runs, options.other], options.labels
    select = options.select.split(",") if options.select else [None, None]
    ours = wrnn_runs(args[0], select[0])
    twin = as_twin(args[1], select[1]) if os.path.isdir(args[1]) else json.load(open(args[1]))
    mine, theirs = (labels.split(",") if labels else ("wrnn", "wrnn" if os.path.isdir(args[1]) else "PyTorch"))
    task, steps = twin["args"]["task"], twin["args"]["steps"]
    image = task in IMAGE_TASKS
    key = "solved_at" if task == "adding" else "final_test_accuracy" if image else "final_test_loss"

    def value(run):
        v = run.get(key)
        return steps + twin["args"]["eval_every"] if v is None and key == "solved_at" else v

    def text(run):
        v = run.get(key)
        if key == "solved_at":
            return "never" if v is None else str(v)
        return f"{100 * v:.2f}%" if image else f"{v:.3e}"

    # image tasks: the final test loss beside the accuracy (less noisy over a few seeds)
    extra = (lambda r: f" | {r['final_test_loss']:.4f}") if image else (lambda r: "")
    extraHeader = f" | {mine} final test loss | {theirs} final test loss" if image else ""
    print(f"| seed | {mine} {key.replace('_', ' ')} | {theirs} {key.replace('_', ' ')}{extraHeader} |")
    print("| --- | --- | --- |" + (" --- | --- |" if image else ""))
    by_seed = {r["seed"]: r for r in twin["runs"]}
    for r in ours:
        t = by_seed.get(r["seed"])
        print(f"| {r['seed']} | {text(r)} | {text(t) if t else '–'}{extra(r) + (extra(t) if t else ' | –') if image else ''} |")
    a, b = [value(r) for r in ours], [value(r) for r in twin["runs"]]
    # the median test loss over seeds along training, both sides
    def median(values):
        values = sorted(values)
        return values[len(values) // 2] if len(values) % 2 else (values[len(values) // 2 - 1] + values[len(values) // 2]) / 2
    marks = [s for s in (0, 100, 200, 300, 500, 700, 1000, 1500, 2000, 2500, 3000) if s <= steps]
    if image:  # short runs: every evaluation
        marks = sorted({s for r in ours for s, _ in r["curve"]})
    print("\n| step | " + " | ".join(str(s) for s in marks) + " |")
    print("| --- |" + " --- |" * len(marks))
    measure = "test MSE" if task == "adding" else "test accuracy" if image else "test loss"
    for label, group in ((f"{mine} median {measure}", ours), (f"{theirs} median {measure}", twin["runs"])):
        cells = []
        for s in marks:
            values = [dict(map(tuple, r["curve"])).get(s) for r in group]
            values = [v for v in values if v is not None]
            cells.append((f"{100 * median(values):.1f}%" if image else f"{median(values):.2e}") if values else "–")
        print(f"| {label} | " + " | ".join(cells) + " |")
    try:
        from scipy.stats import mannwhitneyu
        p = mannwhitneyu(a, b, alternative="two-sided").pvalue
        print(f"\n{mine} n={len(a)}, {theirs} n={len(b)}; two-sided Mann-Whitney U p = {p:.3f}"
              + (" (never-solved runs counted as after the last step)" if key == "solved_at" else "")
              + (" on the final test accuracy" if image else ""))
        if image:
            losses = [[r["final_test_loss"] for r in group] for group in (ours, twin["runs"])]
            p = mannwhitneyu(losses[0], losses[1], alternative="two-sided").pvalue
            print(f"{mine} n={len(losses[0])}, {theirs} n={len(losses[1])}; two-sided Mann-Whitney U p = {p:.3f} on the final test loss")
    except ImportError:
        print("\n(scipy not installed: no test statistic)")


if __name__ == "__main__":
    main()
