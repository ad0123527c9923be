#!/bin/sh
# dlic-info on known streams and models.
# Usage: sh tests/cli/info.sh BUILD_DIR   (from the repository root)
set -u
. tests/support/cli.sh "$@"

# has FILE REGEX...: every REGEX (grep -E) matches some line of FILE.
has() {
    f=$1
    shift
    for re in "$@"; do
        grep -Eq -- "$re" "$f" || { cat "$f" >&2; fail "no line matches '$re'"; }
    done
}

"$ENC" -quiet -q 42 "$D/rgb.png" -o "$T/rgb.dlic" || fail "encode rgb.png"
"$ENC" -quiet "$D/gray.png" -o "$T/gray.dlic" || fail "encode gray.png"
"$ENC" -quiet "$D/icc.png" -o "$T/icc.dlic" || fail "encode icc.png"
size=$(wc -c < "$T/rgb.dlic" | tr -d ' ')

"$INFO" "$T/rgb.dlic" > "$T/out" 2>"$T/err" || { cat "$T/err" >&2; fail "dlic-info exit $?"; }
[ -s "$T/err" ] && fail "stderr on a valid stream: $(cat "$T/err")"
has "$T/out" \
    '^Version: +1\.0$' \
    '^Dimensions: +72 x 40$' \
    '^Colour: +RGB' \
    '^Bit depth: +8$' \
    '^Quality: +42$' \
    '^Model id: +[0-9a-f]{16} \(matches the embedded model' \
    "^File size: +$size bytes" \
    '^Bits/pixel: +[0-9]+\.[0-9]+$' \
    '^  HEAD +8 +24 +ok$' \
    '^  ZLAT +[0-9]+ +[0-9]+ +ok$' \
    '^  YLAT +[0-9]+ +[0-9]+ +ok$' \
    '^  DEND +[0-9]+ +0 +ok$' \
    '^Status: +OK$'
# bpp = bytes * 8 / (72 * 40), to 4 decimals.
bpp=$(awk -v n="$size" 'BEGIN { printf "%.4f", n * 8 / 2880 }')
has "$T/out" "^Bits/pixel: +$bpp\$"
# The DEND chunk ends the file: offset + 12 = size.
dend=$(sed -n 's/^  DEND *\([0-9]*\) .*/\1/p' "$T/out")
[ $((dend + 12)) -eq "$size" ] || fail "DEND offset $dend in a $size-byte file"

"$INFO" "$T/gray.dlic" > "$T/out" || fail "dlic-info gray"
has "$T/out" '^Colour: +gray \(1\)$' '^Quality: +75$'
"$INFO" "$T/icc.dlic" > "$T/out" || fail "dlic-info icc"
has "$T/out" '^  iccp +44 +[0-9]+ +ok$'
"$INFO" - < "$T/rgb.dlic" > "$T/out" || fail "dlic-info from stdin"
has "$T/out" '^File: +stdin$' '^Status: +OK$'

# A flipped bit inside YLAT: the chunk list shows it, the status is INVALID.
cp "$T/rgb.dlic" "$T/bad.dlic"
printf '\125' | dd of="$T/bad.dlic" bs=1 seek=$((size - 20)) conv=notrunc 2>/dev/null
if "$INFO" "$T/bad.dlic" > "$T/out" 2>"$T/err"; then
    fail "dlic-info accepted a corrupt stream"
fi
has "$T/out" '^  YLAT .* BAD$' '^Status: +INVALID'
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "want one line on stderr: $(cat "$T/err")"
has "$T/err" '^dlic-info: .*bad\.dlic: '

# --model: the embedded model, then a model file.
"$INFO" --model > "$T/out" 2>"$T/err" || { cat "$T/err" >&2; fail "--model"; }
has "$T/out" \
    '^Model: +[ -~]+$' \
    '^Model id: +[0-9a-f]{16} \(the embedded default model\)$' \
    '^Test model: +(yes|no)' \
    '^M: +[0-9]+$' '^NZ: +[0-9]+$' \
    '^g_a: [0-9]+ layers?$' '^h_a: [0-9]+ layers?$' \
    '^h_s: [0-9]+ layers?$' '^g_s: [0-9]+ layers?$' \
    '^ +# +cin +cout +k +stride +shuffle +range +MAC/pixel$' \
    '^ +0 +3 +[0-9]+ +[135] +[12] +[12] +\[-?[0-9]+, -?[0-9]+\] +[0-9]+\.[0-9]+$' \
    '^  total MAC/pixel: [0-9]+\.[0-9]+$' \
    '^Encoder MAC/pixel \(g_a \+ h_a \+ h_s( \+ c_ctx \+ c_ep)?\): [0-9]+\.[0-9]+$' \
    '^Decoder MAC/pixel \(h_s( \+ c_ctx \+ c_ep)? \+ g_s\): +[0-9]+\.[0-9]+$'
# The last g_s layer clamps to [0, 255] (SPEC §8.3).
awk '/^[a-z_]+: [0-9]+ layers?$/ { g = $1 == "g_s:" } g && /^ +[0-9]+ / { last = $0 }
     END { print last }' "$T/out" |
    grep -q '\[0, 255\]' || fail "last g_s layer range is not [0, 255]"
# The encoder and decoder totals from the per-transform totals, in the
# order g_a, h_a, h_s, g_s, with a context (SPEC §6.1) c_ctx, c_ep, and
# with g_s lite (SPEC §8.7) its total and the lite decoder's.
check_totals() {
    awk '/total MAC\/pixel/ { t[n++] = $3 } /^g_s lite:/ { lite = 1 }
         /^Encoder/ { e = $NF } /^Decoder/ { d = $NF }
         /^Lite decoder/ { l = $0; sub(/.*\): /, "", l); sub(/ .*/, "", l) }
         END { k = n - lite; c = k == 6 ? t[4] + t[5] : 0
               de = t[0] + t[1] + t[2] + c - e; dd = t[2] + t[3] + c - d
               dl = lite ? t[2] + c + t[n - 1] - l : 0
               exit !((k == 4 || k == 6) && de < 0.02 && de > -0.02 && dd < 0.02 && dd > -0.02 &&
                      dl < 0.02 && dl > -0.02) }' \
        "$1" || fail "MAC totals do not add up ($2)"
}
check_totals "$T/out" "embedded model"

if [ -f weights/dlic-test.dlicm ]; then
    "$INFO" --model weights/dlic-test.dlicm > "$T/out" || fail "--model FILE"
    has "$T/out" '^Test model: +yes' '^g_s: '
    "$INFO" --weights weights/dlic-test.dlicm "$T/rgb.dlic" > "$T/out" || fail "--weights"
    has "$T/out" "^Model id: .*the given model" '^Status: +OK$'
fi

# A checkerboard-context model lists c_ctx and c_ep (SPEC §6.1).
if [ -f weights/dlic-test-cb.dlicm ]; then
    "$INFO" --model weights/dlic-test-cb.dlicm > "$T/out" || fail "--model context FILE"
    has "$T/out" '^c_ctx: 1 layer' '^c_ep: 2 layers' \
        '^Encoder MAC/pixel \(g_a \+ h_a \+ h_s \+ c_ctx \+ c_ep\)' \
        '^Decoder MAC/pixel \(h_s \+ c_ctx \+ c_ep \+ g_s\)'
    check_totals "$T/out" "context model"
fi

"$INFO" --help | grep -q 'Usage' || fail "--help"
echo "info.sh: ok"
