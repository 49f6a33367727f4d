"""python3 -m wrnn.to_wandb RUN_DIR [RUN_DIR ...] [--project P] [--entity E]

Logs wrnn runs into Weights & Biases: the configuration (config.json), the run's name, tags and
notes (--name, --tag, --notes), every evaluation of metrics.jsonl at its training step, and the
summary. With WANDB_MODE=offline the runs are written locally for a later `wandb sync`. Needs
`pip install wandb`. (Recent wandb versions no longer convert TensorBoard event files by
themselves; this reads the run's own record instead.)
"""
import argparse
import sys

from .runs import load_run


def to_wandb(run_dir, project=None, entity=None, **init):
    """Logs one run; returns the wandb run's id."""
    import wandb

    run = load_run(run_dir, as_frame=False)
    label = run.config.get("label") or {}
    config = {key: value for key, value in run.config.items() if key != "label"}
    options = dict(project=project or "wrnn", entity=entity, config=config, name=label.get("name"),
                   tags=label.get("tags"), notes=label.get("notes"), reinit=True)
    options.update(init)
    logged = wandb.init(**options)
    for record in run.metrics:
        values = {key: value for key, value in record.items() if key != "step" and isinstance(value, (int, float))}
        logged.log(values, step=record["step"])
    if run.summary:
        for key, value in run.summary.items():
            if isinstance(value, (int, float, str)):
                logged.summary[key] = value
    run_id = logged.id
    logged.finish()
    return run_id


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m wrnn.to_wandb", description=__doc__.splitlines()[0])
    parser.add_argument("run_dirs", nargs="+")
    parser.add_argument("--project", default="wrnn")
    parser.add_argument("--entity")
    args = parser.parse_args(argv)
    for run_dir in args.run_dirs:
        print(f"{run_dir}: W&B run {to_wandb(run_dir, args.project, args.entity)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
