#!/bin/sh
# Metadata through the tools: --metadata of dlic-enc and dlic-dec, the EXIF
# block of PNG (eXIf), JPEG (APP1) and WebP (EXIF) inputs stored byte for
# byte in the stream's exif chunk and written back as PNG eXIf.
# Inputs: tests/data/exif.* (see tests/data/make_exif.py).
# Usage: sh tests/cli/metadata.sh BUILD_DIR   (from the repository root)
set -u
. tests/support/cli.sh "$@"

MW=
[ -f weights/dlic-test.dlicm ] && MW="--weights weights/dlic-test.dlicm"

# dlic_chunk FILE TYPE: the payload of the stream's first TYPE chunk on
# stdout (dlic-info gives the offset of its length field); nothing if none.
dlic_chunk() {
    set -- "$1" $("$INFO" "$1" | awk -v t="$2" '$1 == t { print $2, $3; exit }')
    [ $# -eq 3 ] || return 0
    tail -c +$(($2 + 9)) "$1" | head -c "$3"
}

# png_chunks FILE: "TYPE OFFSET LENGTH" of each chunk of a PNG, payload
# offsets counted from 0.
png_chunks() {
    od -An -v -tu1 "$1" | awk '
        { for (i = 1; i <= NF; i++) b[n++] = $i }
        END {
            for (p = 8; p + 8 <= n; p += 12 + len) {
                len = ((b[p] * 256 + b[p + 1]) * 256 + b[p + 2]) * 256 + b[p + 3]
                printf "%c%c%c%c %d %d\n", b[p + 4], b[p + 5], b[p + 6], b[p + 7],
                       p + 8, len
            }
        }'
}

# png_types FILE: the chunk types of a PNG on one line.
png_types() { png_chunks "$1" | awk '{ printf "%s%s", s, $1; s = " " }'; }

# png_chunk FILE TYPE: the payload of the PNG's first TYPE chunk on stdout.
png_chunk() {
    set -- "$1" $(png_chunks "$1" | awk -v t="$2" '$1 == t { print $2, $3; exit }')
    [ $# -eq 3 ] || return 0
    tail -c +$(($2 + 1)) "$1" | head -c "$3"
}

# has CHUNK FILE: dlic-info lists CHUNK in the stream FILE.
has() { "$INFO" "$2" | grep -q "^  $1 "; }

[ -s "$D/exif.bin" ] || fail "no $D/exif.bin"

# --- dlic-enc: EXIF from every format, byte for byte ------------------------
for f in exif.png exif_late.png exif.jpg exif.webp exif_id.webp; do
    run "$ENC" $MW -quiet --metadata all "$D/$f" -o "$T/$f.all.dlic"
    dlic_chunk "$T/$f.all.dlic" exif > "$T/$f.exif"
    cmp -s "$T/$f.exif" "$D/exif.bin" ||
        fail "$f: exif chunk ($(wc -c < "$T/$f.exif") bytes) differs from exif.bin"
    run "$ENC" $MW -quiet "$D/$f" -o "$T/$f.default.dlic"
    has exif "$T/$f.default.dlic" && fail "$f: EXIF kept by default"
    run "$ENC" $MW -quiet -metadata=exif "$D/$f" -o "$T/$f.exif.dlic"
    cmp -s "$T/$f.all.dlic" "$T/$f.exif.dlic" || [ "$f" = exif.png ] ||
        fail "$f: --metadata all and exif differ with no ICC profile"
done

# A PNG whose tail after the image data is cut (here IEND) still encodes;
# only a late eXIf in that tail could be lost.
n=$(wc -c < "$D/exif_late.png")
head -c $((n - 12)) "$D/exif_late.png" > "$T/cut.png"
run "$ENC" $MW -quiet --metadata all "$T/cut.png" -o "$T/cut.dlic"
run "$DEC" $MW "$T/cut.dlic" -o "$T/cut.ppm"
run "$ENC" $MW -quiet --metadata all "$D/exif_late.png" -o "$T/late.dlic"
run "$DEC" $MW "$T/late.dlic" -o "$T/late.ppm"
cmp -s "$T/cut.ppm" "$T/late.ppm" || fail "a cut PNG tail changes the pixels"

# exif.png has both blocks: each list keeps exactly what it names.
P=$T/exif.png
for case in "all:iccp exif" "none:" "icc:iccp" "exif:exif" "icc,exif:iccp exif" \
            "none,exif:exif" "exif,none:" "all,none,icc:iccp"; do
    list=${case%%:*} want=${case#*:}
    run "$ENC" $MW -quiet --metadata "$list" "$D/exif.png" -o "$P.dlic"
    got=$("$INFO" "$P.dlic" | awk '$1 == "iccp" || $1 == "exif" { printf "%s%s", s, $1; s = " " }')
    [ "$got" = "$want" ] || fail "--metadata $list: chunks '$got', want '$want'"
done
has iccp "$T/exif.png.default.dlic" || fail "ICC profile not kept by default"
# Metadata never changes the pixels.
run "$DEC" $MW "$T/exif.png.all.dlic" -o "$T/all.ppm"
run "$ENC" $MW -quiet --metadata none "$D/exif.png" -o "$T/none.dlic"
run "$DEC" $MW "$T/none.dlic" -o "$T/none.ppm"
cmp -s "$T/all.ppm" "$T/none.ppm" || fail "--metadata changes the pixels"

run "$ENC" $MW -v --metadata all "$D/exif.jpg" -o "$T/v.dlic"
grep -q 'EXIF' "$T/err" || fail "-v does not mention the EXIF kept: $(cat "$T/err")"
run "$ENC" $MW -v "$D/exif.jpg" -o "$T/v.dlic"
grep -q 'EXIF' "$T/err" && fail "-v mentions EXIF that was dropped"

# --- dlic-dec: PNG eXIf and iCCP, --metadata ----------------------------------
S=$T/exif.png.all.dlic
run "$DEC" $MW "$S" -o "$T/out.png"
png_chunk "$T/out.png" eXIf > "$T/out.exif"
cmp -s "$T/out.exif" "$D/exif.bin" || fail "decoded PNG: eXIf differs from exif.bin"
# One eXIf, before IDAT (libpng before 1.6.40 can write a second one).
[ "$(png_types "$T/out.png")" = "IHDR iCCP eXIf IDAT IEND" ] ||
    fail "decoded PNG: chunks $(png_types "$T/out.png")"
run "$DEC" $MW -v --metadata=none "$S" -o "$T/none.png"
grep -q 'ICC profile, EXIF' "$T/err" || fail "dlic-dec -v: $(cat "$T/err")"
[ "$(png_types "$T/none.png")" = "IHDR IDAT IEND" ] ||
    fail "--metadata none: chunks $(png_types "$T/none.png")"
run "$DEC" $MW --metadata icc "$S" -o "$T/icc.png"
[ "$(png_types "$T/icc.png")" = "IHDR iCCP IDAT IEND" ] ||
    fail "--metadata icc: chunks $(png_types "$T/icc.png")"
run "$DEC" $MW --metadata exif "$S" -o "$T/exif.png"
[ "$(png_types "$T/exif.png")" = "IHDR eXIf IDAT IEND" ] ||
    fail "--metadata exif: chunks $(png_types "$T/exif.png")"
run "$DEC" $MW "$S" -o "$T/out.ppm"
cmp -s "$T/out.ppm" "$T/all.ppm" || fail "PPM output differs"
# The PNG writer's eXIf reads back the same: PNG -> DLIC -> PNG -> DLIC.
run "$ENC" $MW -quiet --metadata all "$T/out.png" -o "$T/again.dlic"
dlic_chunk "$T/again.dlic" exif | cmp -s - "$D/exif.bin" ||
    fail "EXIF changed on a second round trip"

# --- bad lists -----------------------------------------------------------------
for tool in "$ENC" "$DEC"; do
    for bad in "" foo xmp icc, ,icc "icc,,exif" ICC "all exif"; do
        "$tool" --metadata "$bad" "$S" -o "$T/bad.png" >"$T/out" 2>"$T/err" </dev/null
        st=$?
        [ $st -eq 2 ] || fail "$tool --metadata '$bad': exit $st, want 2"
        [ "$(wc -l < "$T/err")" -eq 1 ] && grep -q "^$(basename "$tool"): .*--metadata" "$T/err" ||
            fail "$tool --metadata '$bad': message '$(cat "$T/err")'"
    done
    "$tool" "$S" --metadata >"$T/out" 2>"$T/err" </dev/null
    [ $? -eq 2 ] && [ "$(wc -l < "$T/err")" -eq 1 ] || fail "$tool: --metadata without a list"
done
[ -e "$T/bad.png" ] && fail "output written despite a usage error"
echo "metadata.sh: ok"
