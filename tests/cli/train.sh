#!/bin/sh
# The training pipeline's self-test, train/test_arch.py: grow(), widen(),
# the checkerboard context, weight-only QAT and the g_s lite's pointwise
# layer keep their functions, and models of every architecture exported
# by export.build() decode with BUILD's dlic-enc and dlic-dec, on every
# CPU path, to the Python reference codec's streams and pixels.
# Usage: sh tests/cli/train.sh BUILD_DIR
set -u
B=${1:-build}
B=$(cd "$B" 2>/dev/null && pwd) || { echo "train.sh: FAIL: no build dir ${1:-build}"; exit 1; }
cd "$(dirname "$0")/../.." || exit 1
PY=/usr/bin/python3
if [ ! -x "$PY" ] || ! "$PY" -c "import torch, numpy, PIL" 2>/dev/null; then
    echo "train.sh: SKIP (needs /usr/bin/python3 with torch, numpy and PIL: sh .ci/deps.sh)"
    exit 0
fi
for t in dlic-enc dlic-dec; do
    if [ ! -x "$B/$t" ]; then
        echo "train.sh: FAIL: $B/$t missing"
        exit 1
    fi
done
T=$(mktemp)
trap 'rm -f "$T"' EXIT INT TERM
if ! "$PY" train/test_arch.py "$B" > "$T" 2>&1; then
    grep -v '^ok' "$T"
    echo "train.sh: FAILED (train/test_arch.py)"
    exit 1
fi
echo "train.sh: train/test_arch.py: $(grep -c '^ok' "$T") checks passed"
