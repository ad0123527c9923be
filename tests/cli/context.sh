#!/bin/sh
# The CLIs with a checkerboard-context model (SPEC §6.1,
# weights/dlic-test-cb.dlicm): encode and decode, the model id check in
# both directions, and damaged context streams (exit status 1 and a
# message, never a crash).
# Usage: sh tests/cli/context.sh BUILD_DIR   (from the repository root)
set -u
. tests/support/cli.sh "$@"
W=weights/dlic-test-cb.dlicm
[ -f "$W" ] || { echo "$ME: skipped (no $W)"; exit 0; }

run "$ENC" -quiet --weights "$W" -q 70 "$D/rgb.png" -o "$T/cb.dlic"
run "$DEC" -quiet --weights "$W" "$T/cb.dlic" -o "$T/cb.ppm"
run "$ENC" -quiet --weights "$W" -q 30 "$D/gray.png" -o "$T/gray.dlic"
run "$DEC" -quiet --weights "$W" "$T/gray.dlic" -o "$T/gray.pgm"

# Another model's decoder refuses the stream, and the context decoder
# refuses another model's stream.
"$DEC" -quiet "$T/cb.dlic" -o "$T/x.ppm" 2>"$T/err" && fail "default model decoded a context stream"
grep -qi 'model' "$T/err" || fail "mismatch message: $(cat "$T/err")"
run "$ENC" -quiet -q 70 "$D/rgb.png" -o "$T/plain.dlic"
"$DEC" -quiet --weights "$W" "$T/plain.dlic" -o "$T/x.ppm" 2>"$T/err" &&
    fail "context model decoded another model's stream"

# Truncated context streams: status 1 with a message, every length.
size=$(wc -c < "$T/cb.dlic")
n=0
while [ $n -lt "$size" ]; do
    head -c $n "$T/cb.dlic" > "$T/cut.dlic"
    "$DEC" -quiet --weights "$W" "$T/cut.dlic" -o "$T/x.ppm" 2>"$T/err"
    st=$?
    [ $st -eq 1 ] || fail "truncated to $n bytes: exit status $st"
    [ -s "$T/err" ] || fail "truncated to $n bytes: no message"
    n=$((n + 1 + n / 8))
done

# A model file whose context is cut off is a bad model.
msize=$(wc -c < "$W")
head -c $((msize / 2)) "$W" > "$T/bad.dlicm"
"$DEC" -quiet --weights "$T/bad.dlicm" "$T/cb.dlic" -o "$T/x.ppm" 2>"$T/err" &&
    fail "a truncated context model was accepted"
echo "$ME: ok"
