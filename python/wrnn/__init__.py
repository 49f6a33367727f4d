"""Read wrnn (Wave-RNN) runs from Python.

    run = wrnn.load_run("runs/copy-wrnn")      # .config, .metrics, .summary
    weights = wrnn.load_weights("runs/copy-wrnn")
    net = wrnn.torch_module("runs/copy-wrnn")    # needs PyTorch
    wrnn.run("train", task="copy", steps=500, out="runs/short")

numpy is the only requirement; pandas (metrics as a DataFrame) and torch (torch_module) are used
when installed. Scores (accuracy, recall) are fractions everywhere, as in metrics.jsonl.
"""
from .runs import Run, load_run, load_metrics, load_weights, read_checkpoint, read_safetensors
from .binary import WrnnError, run, find_binary
from .torch_bridge import torch_module
from .to_wandb import to_wandb

__all__ = [
    "Run", "load_run", "load_metrics", "load_weights", "read_checkpoint", "read_safetensors", "WrnnError", "run",
    "find_binary", "torch_module", "to_wandb",
]
__version__ = "0.2.0"
