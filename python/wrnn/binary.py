"""Calling the wrnn binary from Python."""
import os
import shutil
import subprocess


class WrnnError(RuntimeError):
    """wrnn exited with an error: `code` is its exit code (64 usage, 65 bad data, 66 missing input,
    3 diverged, ...), `message` its one-line reason."""

    def __init__(self, code, message, stdout=""):
        super().__init__(f"wrnn exited with {code}: {message}")
        self.code, self.message, self.stdout = code, message, stdout


def find_binary():
    """$WRNN_BIN, else `wrnn` on PATH."""
    path = os.environ.get("WRNN_BIN") or shutil.which("wrnn")
    if not path:
        raise FileNotFoundError("no wrnn binary: put wrnn on PATH or set WRNN_BIN")
    return path


def arguments(command, positional=(), options=None):
    """["train", "--task", "copy", "--freeze-u", "--tag", "a", "--tag", "b", ...]: underscores become
    dashes, True is a bare flag (False and None are left out), a list repeats the option, T stays -T."""
    args = command.split() if isinstance(command, str) else list(command)
    args += [str(p) for p in positional]
    for key, value in (options or {}).items():
        if value is None or value is False:
            continue
        flag = "-T" if key == "T" else "--" + key.replace("_", "-")
        if value is True:
            args.append(flag)
        elif isinstance(value, (list, tuple)):
            for item in value:
                args += [flag, str(item)]
        else:
            args += [flag, str(value)]
    return args


def run(command, *positional, binary=None, check=True, capture=True, **options):
    """Runs `wrnn COMMAND POSITIONAL... --OPTION VALUE...` and returns the CompletedProcess; for
    `train` with `out=`, the finished run as `wrnn.load_run(out)` is its `.run`. check: raise
    WrnnError on a non-zero exit."""
    from .runs import load_run

    args = [binary or find_binary()] + arguments(command, positional, options)
    result = subprocess.run(args, capture_output=capture, text=True)
    if check and result.returncode != 0:
        lines = (result.stderr or "").strip().splitlines()
        raise WrnnError(result.returncode, lines[-1] if lines else "", result.stdout)
    result.run = None
    if result.returncode == 0 and args[1] == "train" and options.get("out"):
        result.run = load_run(options["out"])
    return result
