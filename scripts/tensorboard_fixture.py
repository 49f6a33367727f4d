#!/usr/bin/env python3
"""Writes Tests/Fixtures/tensorboard/events.fixture with TensorBoard's own protobufs and record
writer (pip install tensorboard): the events WaveTrainingTests.TensorBoardTests writes with
wrnn's writer and compares byte for byte. Also, with --read RUN_DIR, reads a run's events back
with TensorBoard's EventAccumulator and prints every scalar tag's last (step, value) and the
image tags: what `tensorboard --logdir` will show."""
import struct
import sys

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.record_writer import RecordWriter

# a 2 x 1 PNG (one red, one blue pixel), as the fixture's image
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000020000000108020000007b40e8dd"
    "0000000d49444154789c63f8cf0004ff01070001ffe2239e590000000049454e44ae426082")


def events():
    yield event_pb2.Event(wall_time=1700000000.25, file_version="brain.Event:2")
    yield event_pb2.Event(wall_time=1700000000.5, step=0, summary=summary_pb2.Summary(value=[
        summary_pb2.Summary.Value(tag="loss/test", simple_value=0.6931),
        summary_pb2.Summary.Value(tag="accuracy/test", simple_value=0.0)]))
    yield event_pb2.Event(wall_time=1700000012.75, step=300, summary=summary_pb2.Summary(value=[
        summary_pb2.Summary.Value(tag="loss/train", simple_value=0.125),
        summary_pb2.Summary.Value(tag="loss/test", simple_value=1.5e-6),
        summary_pb2.Summary.Value(tag="optimizer/learning_rate", simple_value=0.001)]))
    yield event_pb2.Event(wall_time=1700000013.0, step=300, summary=summary_pb2.Summary(value=[
        summary_pb2.Summary.Value(tag="hidden/space_time", image=summary_pb2.Summary.Image(
            height=1, width=2, colorspace=3, encoded_image_string=PNG))]))
    yield event_pb2.Event(wall_time=1700000020.0, step=200, session_log=event_pb2.SessionLog(
        status=event_pb2.SessionLog.START))


def write(path):
    writer = RecordWriter(open(path, "wb"))
    for event in events():
        writer.write(event.SerializeToString())
    writer.close()


def read(run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    acc = EventAccumulator(run, size_guidance={"scalars": 0, "images": 0})
    acc.Reload()
    tags = acc.Tags()
    for tag in sorted(tags["scalars"]):
        events = acc.Scalars(tag)
        if not events:
            continue
        print(f"{tag} {len(events)} {events[-1].step} {events[-1].value:.6g}")
    for tag in sorted(tags["images"]):
        images = acc.Images(tag)
        if not images:
            continue
        print(f"image {tag} {len(images)} {images[-1].step} {images[-1].width}x{images[-1].height}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--read":
        read(sys.argv[2])
    else:
        write(sys.argv[1] if len(sys.argv) > 1 else "Tests/Fixtures/tensorboard/events.fixture")
