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

# the models live in the Python package (python/wrnn), importable from the source tree without installing it
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
from wrnn.torch_models import build  # noqa: E402


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
