#!/usr/bin/env python3
"""The scaling model of docs/cluster.md: one sMNIST wRNN epoch (Table 2's model, 49,946 parameters,
batch 128) over R nodes, from one core's measured step time at each shard size and a stated cost of
the exchange. Prints the table docs/cluster.md shows; edit MEASURED with `wrnn bench --configs
smnist-wrnn --threads 1 --batch-size B` on your own nodes to predict your cluster."""
import math

# seconds per training step of one core with a shard of B rows (wrnn bench, AMD EPYC Zen 4, this machine)
MEASURED = {128: 1.5858, 64: 0.7938, 32: 0.3954, 16: 0.1940, 8: 0.0962, 4: 0.0516, 2: 0.0269, 1: 0.0146}
PARAMETERS = 49_946          # P
BATCH = 128                  # rows per step
STEPS_PER_EPOCH = 57_000 // 128
EVALUATED_ROWS = 10_000 + 3_000   # test and validation sets, forward only, once per epoch
CORES_PER_NODE = 2           # a node like this machine: one rank of 2 threads
LATENCY = 50e-6              # seconds per message (TCP over Ethernet; InfiniBand is ~2 us)


def step_compute(shards):
    rows = BATCH // shards
    return MEASURED[rows]


def step_exchange(ranks, shards, bandwidth):
    """All-to-all of every shard's slice (k L floats to each other rank), all-gather of the summed
    slices (L floats), and two small exchanges (losses, the stop flag)."""
    if ranks == 1:
        return 0.0
    k = math.ceil(shards / ranks)
    slice_floats = math.ceil(PARAMETERS / ranks)
    hops = math.ceil(math.log2(ranks))
    latency = LATENCY * ((ranks - 1) + 3 * hops)
    volume = 4 * (ranks - 1) * slice_floats * (k + 1)
    return latency + volume / bandwidth


def epoch(nodes, bandwidth):
    shards = min(BATCH, nodes * CORES_PER_NODE)
    train = STEPS_PER_EPOCH * (step_compute(shards) + step_exchange(nodes, shards, bandwidth))
    batches = math.ceil(EVALUATED_ROWS / BATCH)
    hops = math.ceil(math.log2(nodes)) if nodes > 1 else 0
    evaluation = batches * (step_compute(shards) / 3 + 2 * LATENCY * hops)
    return train + evaluation, shards


def main():
    print("| nodes (2 cores) | shards x rows | exchange / step, 10 Gb/s | 100 Gb/s | epoch, 10 Gb/s | 100 Gb/s | speed-up (100 Gb/s) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    one, _ = epoch(1, 1.25e9)
    for nodes in [1, 8, 16, 32, 64, 128]:
        ten, shards = epoch(nodes, 1.25e9)
        hundred, _ = epoch(nodes, 12.5e9)
        rows = BATCH // shards
        e10 = step_exchange(nodes, shards, 1.25e9) * 1e3
        e100 = step_exchange(nodes, shards, 12.5e9) * 1e3
        print(f"| {nodes} | {shards} x {rows} | {e10:.2f} ms | {e100:.2f} ms | {ten:.1f} s | {hundred:.1f} s | {one / hundred:.1f}x |")


if __name__ == "__main__":
    main()
