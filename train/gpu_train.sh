#!/bin/sh
# One-command GPU training run, for the device tool (see train/README.md):
#
#   here:   /usr/bin/python3 train/make_gpu_pack.py      (once; < 50 MiB)
#   device: run(command="sh train/gpu_train.sh 24",
#               carry=["train/gpu_pack", "train/runs/main/lean.pt"])
#
# Trains for $1 minutes (default 24) on CUDA, starting from the lean
# checkpoint (weights only) when present, and leaves the full checkpoint,
# the lean checkpoint and the logs in $OUT/run. Back here:
#   cp <files_at>/run/lean.pt train/runs/main/gpu-lean.pt
#   /usr/bin/python3 train/train.py --init train/runs/main/gpu-lean.pt ...
set -e
MIN=${1:-24}
OUT=${OUT:-/tmp/out}
PY=python3
command -v /usr/bin/python3 >/dev/null && /usr/bin/python3 -c 'import torch' 2>/dev/null && PY=/usr/bin/python3
$PY -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'
$PY train/make_gpu_pack.py --unpack
INIT=
[ -f train/runs/main/lean.pt ] && INIT="--init train/runs/main/lean.pt"
mkdir -p "$OUT/run"
$PY train/train.py --device cuda --run "$OUT/run" $INIT --minutes "$MIN" \
    --batch 16 --lr 1e-4 --ckpt-minutes 3 --val-minutes 8 2>&1 | tail -n 60
rm -f "$OUT/run/ckpt.pt.tmp"
# The full checkpoint (with optimizer state) may exceed what comes back;
# the lean one always fits.
ls -la "$OUT/run"
