#!/usr/bin/env bash
# Installs what building WaveRNN needs and is not there yet. Safe to run again.
#   Linux (Debian/Ubuntu): OpenBLAS (BLAS), FFTW (the 2-D Fourier analysis), giflib
#   (animated hidden states), zlib (PNG) and oneDNN (bf16 products) development packages, and Debian's Fashion-MNIST
#   (dataset-fashion-mnist), so every machine has a real data set.
#   macOS: brew install fftw giflib; Accelerate provides BLAS.
set -euo pipefail

if ! command -v swift >/dev/null 2>&1; then
    echo "setup: the Swift toolchain (swift) is not on PATH; install Swift 6 from swift.org first" >&2
    exit 69
fi

[ "$(uname -s)" = "Linux" ] || exit 0

missing=()
# strace: the tests' fault injection (EIO on fsync and rename)
# libcairo2-dev and fonts-dejavu-core: every figure (text through fontconfig and FreeType)
# poppler-utils: the tests read figures' text back out of their PDFs
# qemu-user: the tests run the release binary on an emulated CPU without AVX-512
# python3: `make lint` checks the generated AVX-512 tiles and the targets' declared imports
# openmpi-bin, libopenmpi-dev: one run over several processes (mpirun; wrnn loads libmpi at run time)
# libdnnl-dev: oneDNN, the bf16 recurrent products of --precision bf16 (AMX or AVX512-BF16; its header
#   at build time, libdnnl.so.2 loaded at run time)
for package in libopenblas-dev libfftw3-dev libgif-dev zlib1g-dev libcairo2-dev fonts-dejavu-core poppler-utils dataset-fashion-mnist strace qemu-user python3 openmpi-bin libopenmpi-dev libdnnl-dev; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "setup: please install these development packages with your package manager: ${missing[*]}" >&2
        exit 69
    fi
    sudo=""
    if [ "$(id -u)" != "0" ]; then
        command -v sudo >/dev/null 2>&1 || { echo "setup: need root (or sudo) to install ${missing[*]}" >&2; exit 77; }
        sudo="sudo"
    fi
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
    $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
fi

# The Python package (python/) and its tests: numpy, and a setuptools that builds wheels by itself
# (70.1 or later), so `pip install ./python` works offline afterwards.
python3 -c 'import numpy' 2>/dev/null || python3 -m pip install --quiet numpy
python3 -c 'import setuptools.command.bdist_wheel' 2>/dev/null || python3 -m pip install --quiet 'setuptools>=70.1'
