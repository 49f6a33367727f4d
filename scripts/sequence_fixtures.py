#!/usr/bin/env python3
"""Writes Tests/Fixtures/sequences: own-sequence data sets for the `--task sequences` tests, as numpy
writes them (numpy.savez, numpy.savez_compressed), as safetensors (written with struct and json, the
format's own layout), and as UCR-style .tsv pairs. Every label depends on an input a few steps before
the end, so a model with memory learns it. Needs numpy only."""
import json
import os
import struct

import numpy as np

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "sequences")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
N, T, d = 400, 12, 2
x = rng.normal(size=(N, T, d)).astype(np.float32)
y = (x[:, -3, 0] > 0).astype(np.int64)
np.savez(f"{out}/classes.npz", x_train=x[:320], y_train=y[:320], x_test=x[320:], y_test=y[320:])
np.savez_compressed(f"{out}/classes-compressed.npz", x_train=x[:320], y_train=y[:320], x_val=x[320:360], y_val=y[320:360],
                    x_test=x[360:], y_test=y[360:])
small = x[:64]
yr = np.zeros((64, T), np.float64)
yr[:, 2:] = small[:, :-2, 1]
np.savez(f"{out}/values-per-step.npz", x_train=small, y_train=yr)


def safetensors(name, arrays):
    header, offset, blobs = {}, 0, []
    for key, a in arrays.items():
        dtype = {"float32": "F32", "float64": "F64", "int64": "I64", "int32": "I32"}[str(a.dtype)]
        b = a.tobytes()
        header[key] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(f"{out}/{name}", "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


safetensors("values.safetensors", {"x_train": small.astype(np.float64), "y_train": small[:, -2, :].copy()})
per_step = (small[:, :, 0] > 0).astype(np.int32)
per_step[:, :1] = -1
safetensors("class-per-step.safetensors", {"x_train": small, "y_train": per_step})


def ucr(name, rows):
    with open(f"{out}/{name}", "w") as f:
        for label, values in rows:
            f.write("\t".join([str(label)] + ["NaN" if v != v else f"{v:.5f}" for v in values]) + "\n")


rows = []
for i in range(40):
    label = [-1, 1, 2][i % 3]
    length = 16 if i % 4 else 11
    values = list(np.sin(np.arange(length) * (0.3 * (label + 2))) + 0.05 * rng.normal(size=length))
    rows.append((label, values + [float("nan")] * (16 - length)))
ucr("Ragged_TRAIN.tsv", rows[:28])
ucr("Ragged_TEST.tsv", rows[28:])
rows = [(label, [v if v == v else 0.0 for v in values]) for label, values in rows]
ucr("Toy_TRAIN.tsv", rows[:28])
ucr("Toy_TEST.tsv", rows[28:])
