#!/bin/sh
# The training pipeline's self-test, train/test_arch.py: grow(), widen(),
# the checkerboard context, weight-only QAT and the g_s lite's pointwise
# layer keep their functions, and models of every architecture exported
# by export.build() decode with BUILD's dlic-enc and dlic-dec, on every
# CPU path, to the Python reference codec's streams and pixels.
# Usage: sh tests/cli/train.sh BUILD_DIR   (from the repository root)
set -u
. tests/support/cli.sh "$@"
PY=/usr/bin/python3
if [ ! -x "$PY" ] || ! "$PY" -c "import torch, numpy, PIL" 2>/dev/null; then
    echo "$ME: skipped (needs /usr/bin/python3 with torch, numpy and PIL: sh .ci/deps.sh)"
    exit 0
fi
[ -x "$ENC" ] && [ -x "$DEC" ] || fail "$ENC or $DEC missing"
if ! "$PY" train/test_arch.py "$B" > "$T/log" 2>&1; then
    grep -v '^ok' "$T/log"
    fail "train/test_arch.py"
fi
echo "$ME: train/test_arch.py: $(grep -c '^ok' "$T/log") checks passed"
