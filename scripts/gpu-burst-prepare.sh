#!/usr/bin/env bash
# Prepare what the GPU burst carries (docs/gpu-burst.md), into the ignored folder .burst/:
# the data pack (at most 50 MiB, from ../shared/data/train2 and ../shared/data/train) and a
# constriction wheel for the device's Python 3.12. Run here, on the CPU machine, once per checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
. ./scripts/ensure-venv.sh app,test
data="${1:-../shared/data}"
.venv/bin/msp pack "$data/train2" "$data/train" --out .burst/pack --max-mib 50
mkdir -p .burst/wheels
version="$(.venv/bin/python -c 'from importlib.metadata import version; print(version("constriction"))')"
.venv/bin/python -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d .burst/wheels "constriction==$version"
du -sh .burst/pack .burst/wheels
