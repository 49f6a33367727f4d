"""python3 -m wrnn.check RUN_DIR [--checkpoint last|best|FILE] [--samples N]

Runs `wrnn eval RUN_DIR --outputs` on the first N test sequences, builds `wrnn.torch_module(RUN_DIR)`,
runs it on the same inputs and compares the outputs: max |difference| <= 1e-4 x max |output|.
Exit 0 when they agree, 1 when they do not. Needs PyTorch and the wrnn binary (PATH or WRNN_BIN).
"""
import argparse
import os
import sys
import tempfile

from .binary import run
from .runs import read_safetensors


def compare(run_dir, checkpoint="last", samples=8):
    """(relative difference, outputs shape)."""
    import numpy as np
    import torch

    from .torch_bridge import torch_module

    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "outputs.safetensors")
        run("eval", run_dir, checkpoint=checkpoint, outputs=path, samples=samples)
        _, check = read_safetensors(path)
    net = torch_module(run_dir, checkpoint)
    with torch.no_grad():
        outputs = net(torch.from_numpy(check["inputs"])).numpy()
    expected = check["outputs"]
    scale = float(np.abs(expected).max()) or 1.0
    return float(np.abs(outputs - expected).max()) / scale, expected.shape


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m wrnn.check", description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("--checkpoint", default="last")
    parser.add_argument("--samples", type=int, default=8)
    args = parser.parse_args(argv)
    error, shape = compare(args.run_dir, args.checkpoint, args.samples)
    verdict = "agree" if error <= 1e-4 else "DISAGREE"
    print(f"{args.run_dir}: outputs {tuple(shape)}: max relative difference {error:.2e} -> {verdict} (tolerance 1e-4)")
    return 0 if error <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
