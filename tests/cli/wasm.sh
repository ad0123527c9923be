#!/bin/sh
# The WebAssembly decoder (make wasm; README, "In the browser") in Node:
# the conformance suite through the ES module (tests/wasm/conformance.mjs),
# the kernels' checkasm (make wasm-checkasm), and the Node CLI dlic-dec.mjs
# against dlic-dec (same pixels, exit status and a one-line error, no
# output file on failure).
# Usage: sh tests/cli/wasm.sh BUILD_DIR. Skips without node or emcc; fails
# when emcc is there but BUILD_DIR/wasm was not built.
set -u
B=${1:-build}
W=$B/wasm
if ! command -v node >/dev/null 2>&1 || ! command -v emcc >/dev/null 2>&1; then
    echo "wasm.sh: SKIP (needs node and emcc: Debian's nodejs, emscripten)"
    exit 0
fi
[ -f "$W/dlic-dec.mjs" ] || { echo "wasm.sh: FAIL: $W missing (make BUILD=$B wasm)"; exit 1; }
fail() { echo "wasm.sh: FAIL: $*"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM

node tests/wasm/conformance.mjs "$W" || fail "conformance"
# the SIMD128 kernel against the C one, bit for bit (tests/test_checkasm.c)
[ -f "$W/checkasm.cjs" ] || fail "$W/checkasm.cjs missing (make BUILD=$B wasm-checkasm)"
node "$W/checkasm.cjs" > "$T/checkasm" 2>&1 || { cat "$T/checkasm"; fail "checkasm"; }
grep "layers OK" "$T/checkasm"

s=conformance/streams/kodak192x128-q75.dlic
h=$(node "$W/dlic-dec.mjs" --hash "$s" "$T/w.ppm") || fail "dlic-dec.mjs exit $?"
grep -q "^kodak192x128-q75 .* $h " conformance/streams.txt || fail "hash $h not the manifest's"
if [ -x "$B/dlic-dec" ]; then
    "$B/dlic-dec" -quiet "$s" -o "$T/n.ppm" && cmp -s "$T/w.ppm" "$T/n.ppm" ||
        fail "dlic-dec.mjs and dlic-dec write different PPMs"
fi
# --lite: g_s lite (SPEC §8.7), the pixels of conformance/lite.txt
h=$(node "$W/dlic-dec.mjs" --lite --hash "$s" "$T/wl.ppm") || fail "dlic-dec.mjs --lite exit $?"
grep -q "^kodak192x128-q75 $h\$" conformance/lite.txt || fail "--lite hash $h not conformance/lite.txt's"
head -c 100 "$s" > "$T/cut.dlic"
node "$W/dlic-dec.mjs" "$T/cut.dlic" "$T/cut.ppm" 2> "$T/err"
st=$?
[ $st -eq 1 ] || fail "truncated stream: exit $st, want 1"
[ "$(wc -l < "$T/err")" -eq 1 ] && grep -q "truncated" "$T/err" || fail "truncated stream: stderr '$(cat "$T/err")'"
[ ! -e "$T/cut.ppm" ] || fail "an output file after a failure"
node "$W/dlic-dec.mjs" "$s" > /dev/null 2>&1
[ $? -eq 2 ] || fail "one argument: want usage exit 2"
node "$W/dlic-dec.mjs" --model "$T/nosuch" "$s" "$T/x.ppm" 2> "$T/err"
[ $? -eq 1 ] && grep -q "cannot read model" "$T/err" || fail "missing model: '$(cat "$T/err")'"
echo "wasm.sh: ok"
