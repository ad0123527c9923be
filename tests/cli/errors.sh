#!/bin/sh
# Bad input and bad command lines: each must give a nonzero exit (1 for a
# failed operation, 2 for a usage error), exactly one line on stderr naming
# the problem, and no output file (an existing one left untouched).
# Usage: sh tests/cli/errors.sh BUILD_DIR   (from the repository root)
set -u
. tests/support/cli.sh "$@"
mkdir "$T/out"
fails=0

fail() { echo "errors.sh: FAIL: $*" >&2; fails=$((fails + 1)); }

# expect STATUS PATTERN CMD...: CMD must exit with STATUS, print one line on
# stderr that starts with the tool's name and matches PATTERN (grep -E), and
# leave nothing in $T/out.
expect() {
    want=$1 pat=$2
    shift 2
    tool=$(basename "$1")
    "$@" >"$T/stdout" 2>"$T/err" </dev/null
    got=$?
    lines=$(wc -l < "$T/err")
    if [ "$got" -ne "$want" ]; then
        fail "exit $got, want $want: $* ($(head -n 3 "$T/err"))"
    elif [ "$lines" -ne 1 ]; then
        fail "$lines lines on stderr, want 1: $*: $(head -n 5 "$T/err")"
    elif ! grep -q "^$tool: " "$T/err" || ! grep -Eqi -- "$pat" "$T/err"; then
        fail "message '$(cat "$T/err")' does not match '$pat': $*"
    fi
    if [ -n "$(ls -A "$T/out")" ]; then
        fail "output left behind by: $* ($(ls -A "$T/out"))"
        rm -f "$T/out/"* "$T/out/".[!.]* 2>/dev/null
    fi
}

# poke FILE OFFSET: flip the lowest bit of one byte in place.
poke() {
    v=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
    [ -n "$v" ] || { echo "poke: offset $2 past end of $1" >&2; return 1; }
    nv=$(( v % 2 ? v - 1 : v + 1 ))
    printf "\\$(printf %03o "$nv")" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

size_of() { wc -c < "$1" | tr -d ' '; }

O=$T/out/x.dlic
printf 'P6\n4 4\n255\n' > "$T/hdr.ppm"
awk 'BEGIN { printf "P6\n8 8\n255\n"; for (i = 0; i < 192; i++) printf "%c", i }' > "$T/ok.ppm"
"$ENC" -quiet "$T/ok.ppm" -o "$T/ok.dlic" || { echo "errors.sh: cannot encode" >&2; exit 1; }
"$ENC" -quiet "$D/rgb.png" -o "$T/rgb.dlic" || { echo "errors.sh: cannot encode" >&2; exit 1; }
N=$(size_of "$T/rgb.dlic")

# --- dlic-enc: bad input ---------------------------------------------------
echo "hello, world" > "$T/text.txt"
: > "$T/empty"
head -c 200 "$D/rgb.png" > "$T/trunc.png"
head -c 400 "$D/rgb.jpg" > "$T/trunc.jpg"
head -c 300 "$D/rgb.webp" > "$T/trunc.webp"
head -c 100 "$T/ok.ppm" > "$T/trunc.ppm"
printf 'P6\n4 4\n0\n' > "$T/maxval0.ppm"
printf 'P6\n0 4\n255\n' > "$T/zero.ppm"
printf 'P6\n70000 4\n255\n' > "$T/wide.ppm"
printf 'P6\n4 x\n255\n' > "$T/garbled.ppm"
cp "$D/rgb.png" "$T/badcrc.png"; poke "$T/badcrc.png" 40

expect 1 'unrecognised image format' "$ENC" "$T/text.txt" -o "$O"
expect 1 'empty' "$ENC" "$T/empty" -o "$O"
expect 1 'empty' "$ENC" - -o "$O"
expect 1 'No such file' "$ENC" "$T/missing.png" -o "$O"
expect 1 'directory' "$ENC" "$T" -o "$O"
expect 1 'PNG: .*truncated' "$ENC" "$T/trunc.png" -o "$O"
expect 1 'PNG: ' "$ENC" "$T/badcrc.png" -o "$O"
expect 1 'JPEG: ' "$ENC" "$T/trunc.jpg" -o "$O"
expect 1 'WebP: ' "$ENC" "$T/trunc.webp" -o "$O"
expect 1 'PNM: truncated' "$ENC" "$T/trunc.ppm" -o "$O"
expect 1 'PNM: truncated' "$ENC" "$T/hdr.ppm" -o "$O"
expect 1 'maxval' "$ENC" "$T/maxval0.ppm" -o "$O"
expect 1 'zero width' "$ENC" "$T/zero.ppm" -o "$O"
expect 1 'larger than' "$ENC" "$T/wide.ppm" -o "$O"
expect 1 'malformed header' "$ENC" "$T/garbled.ppm" -o "$O"
expect 1 'CMYK' "$ENC" "$D/cmyk.jpg" -o "$O"
expect 1 '100000 x 100000' "$ENC" "$D/huge.png" -o "$O"
expect 1 'limit' "$ENC" "$D/bigpixels.png" -o "$O"
expect 1 'already a DLIC' "$ENC" "$T/ok.dlic" -o "$O"
expect 1 'model' "$ENC" --weights "$D/rgb.png" "$T/ok.ppm" -o "$O"
expect 1 'No such file' "$ENC" --weights "$T/missing.dlicm" "$T/ok.ppm" -o "$O"
expect 1 'No such file|cannot create' "$ENC" -quiet "$T/ok.ppm" -o "$T/out/nodir/x.dlic"

# A failed encode leaves an existing output alone.
echo keep > "$T/keep.dlic"
"$ENC" "$T/text.txt" -o "$T/keep.dlic" 2>/dev/null && fail "text input accepted"
[ "$(cat "$T/keep.dlic")" = keep ] || fail "failed encode changed an existing output"

# --- dlic-dec: bad streams -------------------------------------------------
P=$T/out/x.png
for n in 4 8 20 40 $((N / 2)) $((N - 5)) $((N - 1)); do
    head -c "$n" "$T/rgb.dlic" > "$T/cut.dlic"
    expect 1 'trunc|corrupt|invalid' "$DEC" "$T/cut.dlic" -o "$P"
done
# Bit flips: signature, chunk length, HEAD fields, model id, both latents,
# and a checksum.
for off in 0 3 8 15 16 20 24 30 36 $((N / 2)) $((N - 12)) $((N - 2)); do
    cp "$T/rgb.dlic" "$T/flip.dlic"
    poke "$T/flip.dlic" "$off"
    expect 1 '.' "$DEC" "$T/flip.dlic" -o "$P"
    expect 1 '.' "$INFO" "$T/flip.dlic"
done
cp "$T/rgb.dlic" "$T/tail.dlic"; printf 'x' >> "$T/tail.dlic"
expect 1 'corrupt|invalid' "$DEC" "$T/tail.dlic" -o "$P"
expect 1 'empty' "$DEC" "$T/empty" -o "$P"
expect 1 'signature|not a DLIC' "$DEC" "$D/rgb.png" -o "$P"
expect 1 'No such file' "$DEC" "$T/missing.dlic" -o "$P"
expect 1 'model' "$DEC" --weights "$T/text.txt" "$T/rgb.dlic" -o "$P"
echo keep > "$T/keep.png"
"$DEC" "$T/cut.dlic" -o "$T/keep.png" 2>/dev/null && fail "truncated stream decoded"
[ "$(cat "$T/keep.png")" = keep ] || fail "failed decode changed an existing output"

# A stream made with another model. Use weights/dlic-test.dlicm when it
# differs from the embedded model, else a copy with one name byte changed
# (and its XXH32 check recomputed, SPEC §8.1) when xxhsum is available.
id_of() { "$INFO" --model ${1:+"$1"} 2>/dev/null | sed -n 's/^Model id: *\([0-9a-f]*\).*/\1/p'; }
other=
def_id=$(id_of "")
[ -n "$def_id" ] || fail "dlic-info --model prints no model id"
if [ -f weights/dlic-test.dlicm ] && [ "$(id_of weights/dlic-test.dlicm)" != "$def_id" ]; then
    other=weights/dlic-test.dlicm
elif [ -f weights/dlic-test.dlicm ] && command -v xxhsum >/dev/null 2>&1; then
    m=weights/dlic-test.dlicm
    s=$(size_of "$m")
    head -c $((s - 4)) "$m" > "$T/body"
    poke "$T/body" 13
    h=$(xxhsum -H0 "$T/body" 2>/dev/null | cut -c1-8)
    # xxhsum prints the hash big-endian; the file stores it little-endian.
    esc=$(echo "$h" | awk '{ d = "0123456789abcdef"
        for (i = 7; i >= 1; i -= 2)
            printf "\\%03o", (index(d, substr($0, i, 1)) - 1) * 16 + index(d, substr($0, i + 1, 1)) - 1 }')
    { cat "$T/body"; printf "$esc"; } > "$T/other.dlicm"
    if "$INFO" --model "$T/other.dlicm" >/dev/null 2>&1; then
        other=$T/other.dlicm
    else
        fail "crafted model does not load: $("$INFO" --model "$T/other.dlicm" 2>&1)"
    fi
fi
if [ -n "$other" ]; then
    "$ENC" -quiet --weights "$other" "$T/ok.ppm" -o "$T/other.dlic" ||
        fail "cannot encode with $other"
    expect 1 'model' "$DEC" "$T/other.dlic" -o "$P"
    "$DEC" --weights "$other" "$T/other.dlic" -o "$T/other.ppm" 2>/dev/null ||
        fail "stream does not decode with its own model"
    expect 1 'model' "$DEC" --weights "$other" "$T/ok.dlic" -o "$P"
    "$INFO" "$T/other.dlic" | grep -q 'does not match' ||
        fail "dlic-info does not report the model mismatch"
else
    echo "errors.sh: no second model available, skipping the model mismatch test"
fi

# --- usage errors (exit 2) -------------------------------------------------
for prog in "$ENC" "$DEC" "$INFO"; do
    expect 2 'unknown option.*--help' "$prog" --frobnicate "$T/ok.ppm"
    expect 2 'no input' "$prog"
    expect 2 'more than one' "$prog" a b
done
expect 2 'quality' "$ENC" -q 101 "$T/ok.ppm" -o "$O"
expect 2 'quality' "$ENC" -q -1 "$T/ok.ppm" -o "$O"
expect 2 'quality' "$ENC" -q abc "$T/ok.ppm" -o "$O"
expect 2 'quality' "$ENC" -q 50x "$T/ok.ppm" -o "$O"
expect 2 'quality' "$ENC" "$T/ok.ppm" -o "$O" -q
expect 2 'threads' "$ENC" --threads 257 "$T/ok.ppm" -o "$O"
expect 2 'threads' "$ENC" --threads=-1 "$T/ok.ppm" -o "$O"
expect 2 'threads' "$DEC" --threads two "$T/ok.dlic" -o "$P"
expect 2 'cpu' "$ENC" --cpu=sse9 "$T/ok.ppm" -o "$O"
expect 2 'cpu' "$DEC" --cpu= "$T/ok.dlic" -o "$P"
expect 2 '-o needs' "$ENC" "$T/ok.ppm" -o
expect 2 'more than one -o' "$ENC" "$T/ok.ppm" -o "$O" -o "$O"
expect 2 'weights' "$DEC" "$T/ok.dlic" --weights
expect 2 'extension' "$DEC" "$T/ok.dlic" -o "$T/out/x.bmp"
expect 2 'extension' "$DEC" "$T/ok.dlic" -o "$T/out/noext"
"$ENC" --help >/dev/null 2>&1 || fail "dlic-enc --help"
"$DEC" --version | grep -q '^dlic-dec [0-9]' || fail "dlic-dec --version"

[ "$fails" -eq 0 ] || { echo "errors.sh: $fails failure(s)" >&2; exit 1; }
echo "errors.sh: ok"
