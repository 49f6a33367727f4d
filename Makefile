# `make demo` and `make test` work on a fresh Linux machine with Swift: both install what
# the build needs first (scripts/setup.sh).
SWIFT_BUILD = swift build -c release

.PHONY: setup build demo test lint format fuzz bench clean

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT_BUILD) --product wrnn

demo: build
	.build/release/wrnn demo

# The sweep tests submit to a real single-node Slurm, which scripts/slurm-up.sh installs and starts.
# then every file reader under libFuzzer + AddressSanitizer for FUZZ_SECONDS each, within an RSS limit
FUZZ_SECONDS ?= 60
test: setup lint
	@scripts/slurm-up.sh
	swift test -c release
	scripts/fuzz.sh $(FUZZ_SECONDS)

# swift-format (shipped with the toolchain) with the committed .swift-format: `make format` applies
# it, `make lint` (part of `make test`) fails on any difference, on generated tiles that differ from
# their generator's output, on a stale copy of the Python package in the binary (scripts/embed_python.py),
# and on a target whose declared dependencies differ from what it imports.
lint:
	swift format lint --strict --recursive --parallel Sources Tests Package.swift
	python3 scripts/generate_avx512_tiles.py --check
	python3 scripts/embed_python.py --check
	python3 scripts/check_imports.py

format:
	swift format format --in-place --recursive --parallel Sources Tests Package.swift

fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

# Our timings next to PyTorch's on the same machine (needs `pip install torch`).
bench: build
	.build/release/wrnn bench --torch

clean:
	rm -rf .build
