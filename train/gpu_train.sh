#!/bin/sh
# One leg of GPU training for the device tool (see train/README.md, "GPU").
#
# A device command may run 10 minutes and a warm machine is given back 30 s
# after a call, so a GPU session is three legs called back to back:
#
#   here, once:  /usr/bin/python3 train/make_gpu_pack.py        (< 50 MiB)
#                cp train/checkpoints/dlic.pt train/runs/main/lean.pt
#                (or the newer lean.pt of the CPU run, if there is one)
#   device:      run(command="sh train/gpu_train.sh 8", timeout_s=600,
#                    carry=["train/gpu_pack", "train/runs/main/lean.pt"])
#                ... the same call again as soon as the reply comes ...
#
# On a fresh machine a leg unpacks the data and starts from the carried lean
# checkpoint (weights only); on a machine still warm from the last leg it
# resumes train/runs/gpu/ckpt.pt exactly (optimizer and RNG state too),
# which never leaves the device (68 MB). Each leg trains $1 minutes (default
# 8) and leaves lean.pt, log.tsv, val.tsv and the output tail in $OUT/run.
# Back here, from the reply's files_at:
#   cp <files_at>/run/lean.pt train/runs/main/gpu-lean.pt
#   /usr/bin/python3 train/train.py --run train/runs/next \
#       --init train/runs/main/gpu-lean.pt ...
set -e
MIN=${1:-8}
OUT=${OUT:-/tmp/out}
RUN=${RUN:-train/runs/gpu}
DEVICE=${DEVICE:-cuda}
PY=python3
command -v /usr/bin/python3 >/dev/null && /usr/bin/python3 -c 'import torch' 2>/dev/null && PY=/usr/bin/python3
export PYTHONUNBUFFERED=1
$PY -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'
[ -f train/pack/train.npz ] || $PY train/make_gpu_pack.py --unpack
INIT=
if [ -f "$RUN/ckpt.pt" ]; then
    echo "warm machine: resuming $RUN/ckpt.pt"
elif [ -f train/runs/main/lean.pt ]; then
    INIT="--init train/runs/main/lean.pt"
fi
mkdir -p "$OUT/run"
set +e
$PY train/train.py --device "$DEVICE" --run "$RUN" $INIT --minutes "$MIN" \
    --batch 16 --lr 2e-4 --ckpt-minutes 2 --val-minutes 4 > "$OUT/run/stdout.log" 2>&1
rc=$?
set -e
tail -n 40 "$OUT/run/stdout.log"
for f in lean.pt log.tsv val.tsv; do
    [ -f "$RUN/$f" ] && cp "$RUN/$f" "$OUT/run/"
done
ls -la "$OUT/run"
exit $rc
