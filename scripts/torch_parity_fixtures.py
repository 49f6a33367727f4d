#!/usr/bin/env python3
"""PyTorch parity fixtures: every model wrnn trains, built in PyTorch (scripts/torch_check_export.py's
build(), the authors' state_dict names), run forward and backward once, written to
Tests/Fixtures/torch-parity/<name>.safetensors so that the test suite checks parity without PyTorch.

Each file holds the model's weights under their PyTorch names, inputs [L, B, d] and class targets,
the outputs [R, B, out] (every step or the last), the mean cross-entropy over every readout step
and sequence, and that loss's gradient for every weight (grad.<name>); its metadata holds the model
configuration in wrnn's config.json form. The forward and backward are taken in float64 from the
float32 weights and inputs. `ParityFixtureTests` loads the weights into wrnn's model, runs the same
batch and compares outputs, loss and gradients.

    pip install torch
    python3 scripts/torch_parity_fixtures.py [--out Tests/Fixtures/torch-parity]
"""
import argparse
import json
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))  # the wrnn package
from authors_steps import write_safetensors  # noqa: E402
from wrnn.torch_models import build  # noqa: E402


def config(kind, d, out, n, c=1, activation="relu", readout="linear", timing="last", **extra):
    """A model configuration in wrnn's config.json form (ModelConfig's keys)."""
    model = {"kind": kind, "inputSize": d, "outputSize": out, "hiddenSize": n, "channels": c, "kernelSize": 3,
             "activation": activation, "recurrentInit": "random", "encoderInit": "normal", "readout": readout,
             "readoutTiming": timing, "freezeRecurrent": False, "freezeEncoder": False, "waveSpeed": 1.0,
             "mlpHidden": 6, "locallyConnected": False}
    model.update(extra)
    return model


# Sizes that are not multiples of any SIMD width, every readout, every activation the models take.
MODELS = {
    "wrnn-every": config("wrnn", 5, 4, 11, c=3, timing="every"),
    "wrnn-mlp-tanh": config("wrnn", 3, 5, 9, c=2, activation="tanh", readout="mlp"),
    "irnn-every-identity": config("irnn", 4, 3, 13, activation="identity", timing="every"),
    "irnn-relu": config("irnn", 2, 5, 17),
    "lstm": config("lstm", 3, 4, 19),
    "gru-every": config("gru", 5, 3, 10, timing="every"),
    "cornn": config("cornn", 3, 4, 12, dt=0.042, gamma=2.7, epsilon=4.7),
    "lem-every": config("lem", 2, 3, 9, timing="every", dt=0.21),
    # the sheet: 7 channels (a 6-channel tile and one more) on a 3 x 4 torus; f = 5 on 5 x 6
    "wrnn2d-every": config("wrnn2d", 3, 4, 12, c=7, timing="every", sheet="3x4"),
    "wrnn2d-mlp-tanh": config("wrnn2d", 2, 3, 30, c=2, activation="tanh", readout="mlp", sheet="5x6", kernelSize=5),
}
LENGTH, BATCH = 7, 3


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(here, "..", "Tests", "Fixtures", "torch-parity"))
    parser.add_argument("--only", nargs="*", help="write these fixtures only (the others keep their files)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for seed, (name, model) in enumerate(sorted(MODELS.items())):
        if args.only and name not in args.only:
            continue
        torch.manual_seed(seed)
        net = build(torch, nn, model)
        weights = {k: v.detach().clone().float() for k, v in net.state_dict().items()}
        inputs = torch.randn(LENGTH, BATCH, model["inputSize"])
        steps = LENGTH if model["readoutTiming"] == "every" else 1
        targets = torch.randint(0, model["outputSize"], (steps, BATCH))
        net.double()
        outputs = net(inputs.double())                       # [R, B, out]
        loss = nn.functional.cross_entropy(outputs.reshape(-1, model["outputSize"]), targets.reshape(-1))
        loss.backward()
        tensors = {f"weight.{k}": v for k, v in weights.items()}
        tensors.update({"inputs": inputs, "targets": targets.float(), "outputs": outputs.detach().float(),
                        "loss": torch.tensor([loss.item()], dtype=torch.float32)})
        for k, p in net.named_parameters():
            tensors[f"grad.{k}"] = p.grad.float()
        write_safetensors(os.path.join(args.out, f"{name}.safetensors"), tensors, {"model": json.dumps(model)})
        print(f"{name}: loss {loss.item():.6g}")


if __name__ == "__main__":
    main()
