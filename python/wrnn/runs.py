"""A run directory's files, read with numpy: config.json, metrics.jsonl, summary.json, and the
weights from checkpoint.bin (or a `wrnn export` safetensors file)."""
import json
import os
import struct
import zlib

import numpy as np

_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32, "I16": np.int16,
           "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


class Run:
    """One run: `path`, `config` (config.json as a dict), `metrics` (one row per evaluation: a pandas
    DataFrame when pandas is installed, else a list of dicts), `summary` (summary.json, or None while
    the run is unfinished), and `name`, `tags`, `notes` as given to `wrnn train`."""

    def __init__(self, path, config, metrics, summary):
        self.path, self.config, self.metrics, self.summary = path, config, metrics, summary
        label = config.get("label") or {}
        self.name, self.tags, self.notes = label.get("name"), label.get("tags", []), label.get("notes")

    @property
    def task(self):
        return self.config["task"]["kind"]

    @property
    def model(self):
        return self.config["model"]["kind"]

    def __repr__(self):
        steps = self.summary["steps"] if self.summary else "unfinished"
        return f"Run({self.path!r}, {self.task}, {self.model}, steps={steps})"


def _read_json(path):
    with open(path, "rb") as f:
        return json.loads(f.read())


def load_metrics(run_dir, as_frame=None):
    """metrics.jsonl: one record per evaluation (a torn last line, from a crash, is left out).
    as_frame: True for a DataFrame (needs pandas), False for a list, None for a DataFrame when pandas
    is installed."""
    records = []
    path = os.path.join(run_dir, "metrics.jsonl")
    if os.path.exists(path):
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
        for k, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except ValueError:
                if k == len(lines) - 1:
                    break  # a torn last line
                raise ValueError(f"{path} line {k + 1} is not a metrics record; the run's log is damaged")
    if as_frame is False:
        return records
    try:
        import pandas as pd
    except ImportError:
        if as_frame:
            raise
        return records
    return pd.DataFrame.from_records(records)


def load_run(run_dir, as_frame=None):
    """The run in `run_dir` (a directory `wrnn train` wrote)."""
    config_path = os.path.join(run_dir, "config.json")
    if not os.path.exists(config_path):
        raise FileNotFoundError(f"{run_dir} is not a wrnn run directory (no config.json)")
    summary_path = os.path.join(run_dir, "summary.json")
    summary = _read_json(summary_path) if os.path.exists(summary_path) else None
    return Run(run_dir, _read_json(config_path), load_metrics(run_dir, as_frame), summary)


def read_checkpoint(path):
    """A checkpoint.bin: (header dict, {tensor name: float32 array}), its CRC-32 checked.
    Layout: b"WRNNCKPT", u32 version, u32 header length, header JSON, the parameters then the
    optimiser's state as little-endian float32, a CRC-32 of everything before it."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 20 or data[:8] != b"WRNNCKPT":
        raise ValueError(f"{path} is not a wrnn checkpoint")
    (version, length) = struct.unpack("<II", data[8:16])
    if version != 1:
        raise ValueError(f"{path}: checkpoint version {version} is not one this package reads (1)")
    (crc,) = struct.unpack("<I", data[-4:])
    if zlib.crc32(data[:-4]) & 0xFFFFFFFF != crc:
        raise ValueError(f"{path} is damaged (its CRC-32 does not match)")
    header = json.loads(data[16:16 + length])
    count = sum(int(np.prod(t["shape"])) for t in header["tensors"])
    params = np.frombuffer(data, dtype="<f4", count=count, offset=16 + length)
    tensors = {}
    for t in header["tensors"]:
        size = int(np.prod(t["shape"]))
        tensors[t["name"]] = params[t["offset"]:t["offset"] + size].reshape(t["shape"]).copy()
    return header, tensors


def read_safetensors(path):
    """A safetensors file: (metadata dict, {name: array}) in the stored dtypes."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        dtype = np.dtype(_DTYPES[entry["dtype"]]).newbyteorder("<")
        tensors[name] = np.frombuffer(data[8 + length + begin:8 + length + end], dtype=dtype).reshape(entry["shape"]).copy()
    return metadata, tensors


def load_weights(run_dir, checkpoint="last"):
    """The run's weights under the authors' names: {"cell.Wx.weight": array, ...}. checkpoint:
    "last" (checkpoint.bin), "best" (best.bin), or a path to a checkpoint or a `wrnn export` file."""
    path = {"last": os.path.join(run_dir, "checkpoint.bin"), "best": os.path.join(run_dir, "best.bin")}.get(checkpoint, checkpoint)
    if path.endswith(".safetensors"):
        return read_safetensors(path)[1]
    return read_checkpoint(path)[1]
