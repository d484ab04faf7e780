#!/usr/bin/env bash
# The GPU burst (docs/gpu-burst.md): train from the shipped weights for a wall-clock budget,
# then, in the same call, check bit-exactness across devices and time the decoders on the device.
# Runs from a plain checkout with `python3` holding torch: the project is imported from source
# and constriction comes from the carried wheel when the machine lacks it.
#
# Writes into $OUT (or out/burst): burst-raw.pt, burst-ema.pt, burst.json (written every
# BURST_SAVE_EVERY s, so a cut-off run still returns them), train.log, timings.txt,
# cross-device.txt, device.txt.
#
# Environment (defaults are the GPU burst's): BURST_DEVICE=cuda BURST_BUDGET=420 (training s)
# BURST_SAVE_EVERY=120 BURST_BATCH=128 BURST_CROP=256 BURST_MAX_STEPS= BURST_SERIAL_SIZE=2048x1365
# BURST_BENCH_REPEAT=3 BURST_BENCH_IMAGE=codec/data/demo/kodim23.png BURST_PACK=.burst/pack BURST_INIT=codec/data/weights/msp.pt
# BURST_ARGS= (more `msp burst` arguments, e.g. "--from-scratch --width 128 --latent 192 --lr 5e-4")
# BURST_CHECKS=1 (0 skips the cross-device test and the timings, once they have been measured on this kind)
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-out/burst}"
device="${BURST_DEVICE:-cuda}"
py="${PYTHON:-python3}"
mkdir -p "$out"

if ! "$py" -c "import constriction" 2>/dev/null; then
    site="$(mktemp -d)"
    "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$site" \
        .burst/wheels/constriction-*-cp3*.whl || { echo "gpu-burst: no usable constriction wheel in .burst/wheels" >&2; exit 2; }
    export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1

{ "$py" -c "import sys, torch; print(sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.cuda.is_available())"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; } >"$out/device.txt" 2>&1

status=0
max_steps=()
[ -n "${BURST_MAX_STEPS:-}" ] && max_steps=(--max-steps "$BURST_MAX_STEPS")
"$py" -m codec.cli burst --device "$device" --out "$out" --pack "${BURST_PACK:-.burst/pack}" \
    --init-weights "${BURST_INIT:-codec/data/weights/msp.pt}" --budget "${BURST_BUDGET:-420}" \
    --save-every "${BURST_SAVE_EVERY:-120}" --batch-size "${BURST_BATCH:-128}" --crop-size "${BURST_CROP:-256}" \
    "${max_steps[@]}" ${BURST_ARGS:-} 2>&1 | tee "$out/train.log" || status=1
[ "${BURST_CHECKS:-1}" = 0 ] && exit $status

# A bitstream encoded on CUDA decodes bit-exactly on the CPU and the reverse (skipped without CUDA).
"$py" -m pytest -q -p no:cacheprovider tests/codec/test_roundtrip.py -k across_devices 2>&1 | tee "$out/cross-device.txt" || status=1

# Timings: every profile's decode against the serial context model, on the device, with the
# shipped weights so that the figures compare with the README's CPU table. Only the fast profile
# is encoded in the table above it: LOF encodes (best: ~32 s per encode on an H200) are not what
# this measures, and they once ran the call past its time limit.
"$py" -m codec.cli bench --device "$device" --image "${BURST_BENCH_IMAGE:-codec/data/demo/kodim23.png}" --profile fast \
    --serial --serial-size "${BURST_SERIAL_SIZE:-2048x1365}" --repeat "${BURST_BENCH_REPEAT:-3}" 2>&1 | tee "$out/timings.txt" || status=1
exit $status
