#!/bin/sh
# Replays the fuzz corpora (fuzz/corpus/*: seeds and every crasher found so
# far) through the fuzz targets built as plain programs (fuzz/README.md).
# Usage: sh tests/cli/fuzz_replay.sh BUILD_DIR   (from the repository root)
set -u
B=${1:?usage: fuzz_replay.sh BUILD_DIR}
fails=0
for t in probe rangecoder decode; do
    if [ ! -x "$B/fuzz/${t}_replay" ]; then
        echo "fuzz_replay.sh: FAIL: $B/fuzz/${t}_replay missing (make tests)" >&2
        fails=$((fails + 1))
    elif ! "$B/fuzz/${t}_replay" "fuzz/corpus/$t"; then
        echo "fuzz_replay.sh: FAIL: $t" >&2
        fails=$((fails + 1))
    fi
done
# The decode corpus through dlic-dec and train/refdec.py: same pixels or
# same error (needs /usr/bin/python3 with numpy, as tests/cli/refdec.sh).
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
    /usr/bin/python3 fuzz/differential.py "$B" || fails=$((fails + 1))
else
    echo "fuzz_replay.sh: no /usr/bin/python3 with numpy, differential check skipped"
fi
[ "$fails" -eq 0 ] || exit 1
echo "fuzz_replay.sh: ok"
