"""The package's numpy parts against runs the binary makes (WRNN_BIN, or wrnn on PATH):
python3 -m unittest discover -s python/tests. PyTorch is not needed; torch_module is checked by
python3 -m wrnn.check where PyTorch is installed."""
import json
import os
import shutil
import tempfile
import unittest

import numpy as np

import wrnn
from wrnn.binary import arguments


class PackageTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.scratch = tempfile.mkdtemp(prefix="wrnn-python-")
        cls.run_dir = os.path.join(cls.scratch, "run")
        result = wrnn.run("train", task="copy", T=3, hidden_size=8, channels=2, steps=20, eval_every=10, test_size=16,
                          batch_size=8, threads=1, out=cls.run_dir, name="py", tag=["a", "b"], quiet=True)
        cls.trained = result.run

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.scratch)

    def test_load_run_reads_config_metrics_summary_and_label(self):
        run = wrnn.load_run(self.run_dir, as_frame=False)
        self.assertEqual((run.task, run.model, run.name, run.tags), ("copy", "wrnn", "py", ["a", "b"]))
        self.assertEqual([m["step"] for m in run.metrics], [0, 10, 20])
        self.assertEqual(run.summary["steps"], 20)
        self.assertTrue(0 <= run.metrics[-1]["recall_accuracy"] <= 1, "scores are fractions")
        self.assertEqual(self.trained.path, self.run_dir, "wrnn.run(train, out=...) returns the run")

    def test_metrics_keep_everything_but_a_torn_last_line(self):
        copy = os.path.join(self.scratch, "torn")
        shutil.copytree(self.run_dir, copy)
        with open(os.path.join(copy, "metrics.jsonl"), "ab") as f:
            f.write(b'{"step": 30, "test_')
        self.assertEqual(len(wrnn.load_metrics(copy, as_frame=False)), 3)
        with open(os.path.join(copy, "metrics.jsonl"), "wb") as f:
            f.write(b'{"step": 0}\nnot json\n{"step": 10}\n')
        with self.assertRaisesRegex(ValueError, "line 2 is not a metrics record"):
            wrnn.load_metrics(copy, as_frame=False)

    def test_weights_from_the_checkpoint_equal_the_export(self):
        weights = wrnn.load_weights(self.run_dir)
        self.assertEqual(sorted(weights), ["cell.Wx.bias", "cell.Wx.weight", "cell.Wy.bias", "cell.Wy.weight", "readout.bias",
                                           "readout.weight"])
        self.assertEqual(weights["cell.Wy.weight"].shape, (2, 2, 3))
        export = os.path.join(self.scratch, "model.safetensors")
        wrnn.run("export", self.run_dir, out=export, check_samples=1)
        metadata, exported = wrnn.read_safetensors(export)
        self.assertEqual(json.loads(metadata["config"])["model"]["kind"], "wrnn")
        for name, array in weights.items():
            np.testing.assert_array_equal(array, exported[name])
        np.testing.assert_array_equal(wrnn.load_weights(self.run_dir, export)["readout.weight"], weights["readout.weight"])

    def test_a_damaged_checkpoint_is_refused(self):
        path = os.path.join(self.scratch, "damaged.bin")
        with open(os.path.join(self.run_dir, "checkpoint.bin"), "rb") as f:
            data = bytearray(f.read())
        data[-40] ^= 1
        with open(path, "wb") as f:
            f.write(bytes(data))
        with self.assertRaisesRegex(ValueError, "damaged"):
            wrnn.read_checkpoint(path)
        with open(path, "wb") as f:
            f.write(b"not a checkpoint at all")
        with self.assertRaisesRegex(ValueError, "not a wrnn checkpoint"):
            wrnn.read_checkpoint(path)

    def test_eval_outputs_are_the_check_file_layout(self):
        path = os.path.join(self.scratch, "outputs.safetensors")
        wrnn.run("eval", self.run_dir, outputs=path, samples=3)
        _, tensors = wrnn.read_safetensors(path)
        self.assertEqual(tensors["inputs"].shape, (23, 3, 10))   # T + 20 steps, 3 sequences, 10 symbols
        self.assertEqual(tensors["outputs"].shape, (23, 3, 10))  # every step's readout

    def test_run_raises_with_the_code_and_line(self):
        with self.assertRaises(wrnn.WrnnError) as caught:
            wrnn.run("train", task="copy", lr=-1)
        self.assertEqual(caught.exception.code, 64)
        self.assertIn("--lr", caught.exception.message)

    def test_arguments(self):
        self.assertEqual(arguments("train", (), {"task": "copy", "T": 5, "freeze_u": True, "freeze_v": False, "seed": None,
                                                 "tag": ["x", "y"]}),
                         ["train", "--task", "copy", "-T", "5", "--freeze-u", "--tag", "x", "--tag", "y"])


if __name__ == "__main__":
    unittest.main()
