#!/usr/bin/env bash
# Installs what building WaveRNN needs and is not there yet. Safe to run again.
#   Linux (Debian/Ubuntu): OpenBLAS (libopenblas-dev) for cblas.h and libopenblas.
#   macOS: nothing; Accelerate provides BLAS.
set -euo pipefail

if ! command -v swift >/dev/null 2>&1; then
    echo "setup: the Swift toolchain (swift) is not on PATH; install Swift 6 from swift.org first" >&2
    exit 69
fi

[ "$(uname -s)" = "Linux" ] || exit 0

missing=()
dpkg -s libopenblas-dev >/dev/null 2>&1 || missing+=(libopenblas-dev)
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: please install OpenBLAS development files (${missing[*]}) with your package manager" >&2
    exit 69
fi
sudo=""
if [ "$(id -u)" != "0" ]; then
    command -v sudo >/dev/null 2>&1 || { echo "setup: need root (or sudo) to install ${missing[*]}" >&2; exit 77; }
    sudo="sudo"
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${missing[@]}" >/dev/null
