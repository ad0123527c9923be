#!/bin/sh
# Regenerates every conformance stream, hash and must-fail case with the
# current weights/default.dlicm and SPEC (conformance/README.md):
#     sh conformance/regen.sh            (from the repository root)
# Builds the tools first (non-sanitized, build/), then runs regen.py, which
# fails unless train/refdec.py and dlic-dec agree on every stream.
set -eu
cd "$(dirname "$0")/.."
B=${BUILD:-build}
make -j2 BUILD="$B" tools "$B/conformance/pixhash" >/dev/null
/usr/bin/python3 conformance/regen.py "$B"
/usr/bin/python3 conformance/regen_lite.py "$B"
