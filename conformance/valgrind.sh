#!/bin/sh
# Decodes conformance streams under valgrind with a non-sanitized build
# (CI, .ci/run): a photo with 2 threads and its pixel hash checked, plus a
# must-fail stream. Skips when valgrind is absent. AVX-512 and AVX-VNNI are
# not emulated by valgrind, so the decoder runs with --cpu=avx2 (or scalar).
#     sh conformance/valgrind.sh BUILD_DIR    (from the repository root)
set -u
B=${1:?usage: conformance/valgrind.sh BUILD_DIR}
if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind.sh: valgrind not installed, skipped"
    exit 0
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/dlic-vg.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
name=kodak192x128-q75
want=$(awk -v n="$name" '$1 == n { print $10 }' conformance/streams.txt)
$VG "$B/dlic-dec" -quiet --cpu=avx2 --threads 2 "conformance/streams/$name.dlic" \
    -o "$T/out.ppm" || { echo "valgrind.sh: FAIL: decode of $name"; exit 1; }
got=$("$B/conformance/pixhash" "$T/out.ppm")
[ "$got" = "$want" ] || { echo "valgrind.sh: FAIL: $name: $got, want $want"; exit 1; }
$VG "$B/dlic-dec" -quiet --cpu=avx2 conformance/mustfail/z-out-of-range.dlic \
    -o "$T/bad.ppm" 2>/dev/null
[ $? -eq 1 ] || { echo "valgrind.sh: FAIL: must-fail stream under valgrind"; exit 1; }
echo "valgrind.sh: ok ($name $got)"
