#!/bin/sh
# Round trips through dlic-enc and dlic-dec for every input format, exact
# output sizes and colour, determinism, stdin/stdout, threads and CPU paths.
# Usage: sh tests/cli/enc_dec.sh BUILD_DIR   (from the repository root)
set -u
. tests/support/cli.sh "$@"

# pnm_size FILE: "MAGIC W H" of a PNM written by dlic-dec ("P6\nW H\n255\n").
pnm_size() {
    printf '%s %s\n' "$(head -c 2 "$1")" "$(sed -n 2p "$1")"
}

# png_info FILE: "W H DEPTH COLOURTYPE" from the IHDR.
png_info() {
    od -An -tu1 -j16 -N10 "$1" | awk '{ print $1*16777216 + $2*65536 + $3*256 + $4,
        $5*16777216 + $6*65536 + $7*256 + $8, $9, $10 }'
}

same() { cmp -s "$1" "$2" || fail "$3: $1 and $2 differ"; }

# Small test images written with awk: 50x30 RGB and gray, 8 and 16 bits.
# The small test model keeps this test fast whatever the embedded model is;
# one round trip below uses the embedded model.
MW=
[ -f weights/dlic-test.dlicm ] && MW="--weights weights/dlic-test.dlicm"

mkppm() {   # mkppm FILE P5|P6 MAXVAL
    awk -v magic="$2" -v maxv="$3" 'BEGIN {
        w = 50; h = 30; ch = (magic == "P6") ? 3 : 1
        printf "%s\n# made by enc_dec.sh\n%d %d\n%d\n", magic, w, h, maxv
        for (y = 0; y < h; y++) for (x = 0; x < w; x++) for (c = 0; c < ch; c++) {
            v = (c == 0) ? int(x * 255 / (w - 1)) : (c == 1) ? int(y * 255 / (h - 1)) \
                : ((int(x / 8) + int(y / 8)) % 2 ? 220 : 30)
            if (maxv == 65535) printf "%c%c", v, v   # v * 257
            else printf "%c", v
        }
    }' > "$1"
}
mkppm "$T/a.ppm" P6 255
mkppm "$T/a16.ppm" P6 65535
mkppm "$T/g.pgm" P5 255
mkppm "$T/g16.pgm" P5 65535

# --- PPM / PGM -------------------------------------------------------------
run "$ENC" $MW -quiet "$T/a.ppm" -o "$T/a.dlic"
run "$DEC" $MW "$T/a.dlic" -o "$T/a.out.ppm"
[ "$(pnm_size "$T/a.out.ppm")" = "P6 50 30" ] || fail "PPM round trip: $(pnm_size "$T/a.out.ppm")"
run "$DEC" $MW "$T/a.dlic" -o "$T/a.out.png"
[ "$(png_info "$T/a.out.png")" = "50 30 8 2" ] || fail "PNG of RGB: $(png_info "$T/a.out.png")"
run "$ENC" $MW -quiet "$T/a16.ppm" -o "$T/a16.dlic"
same "$T/a.dlic" "$T/a16.dlic" "16-bit PPM must equal its 8-bit version"

run "$ENC" $MW -quiet "$T/g.pgm" -o "$T/g.dlic"
"$INFO" "$T/g.dlic" | grep -q '^Colour: *gray' || fail "PGM did not give a gray stream"
run "$DEC" $MW "$T/g.dlic" -o "$T/g.out.pgm"
[ "$(pnm_size "$T/g.out.pgm")" = "P5 50 30" ] || fail "PGM round trip"
run "$DEC" $MW "$T/g.dlic" -o "$T/g.out.ppm"
[ "$(pnm_size "$T/g.out.ppm")" = "P5 50 30" ] || fail "gray stream to .ppm must give P5"
run "$DEC" $MW "$T/g.dlic" -o "$T/g.out.png"
[ "$(png_info "$T/g.out.png")" = "50 30 8 0" ] || fail "gray stream must give gray PNG"
run "$ENC" $MW -quiet "$T/g16.pgm" -o "$T/g16.dlic"
same "$T/g.dlic" "$T/g16.dlic" "16-bit PGM must equal its 8-bit version"

# --- PNG, JPEG, WebP (tests/data, 72x40; see tests/data/make.py) ----------
for f in rgb.png rgba.png gray.png gray_alpha.png palette.png rgb16.png \
         gray16.png icc.png rgb.jpg gray.jpg icc.jpg rgb.webp rgba.webp icc.webp; do
    run "$ENC" $MW "$D/$f" -o "$T/$f.dlic"
    case $f in
        rgba.*|gray_alpha.png|palette.png)
            grep -q "alpha" "$T/err" || fail "$f: no warning about dropped alpha" ;;
        *)  [ -s "$T/err" ] && fail "$f: unexpected stderr: $(cat "$T/err")" ;;
    esac
    case $f in gray*) colour=0 ;; *) colour=2 ;; esac
    run "$DEC" $MW "$T/$f.dlic" -o "$T/$f.out.png"
    [ "$(png_info "$T/$f.out.png")" = "72 40 8 $colour" ] ||
        fail "$f: decoded PNG is $(png_info "$T/$f.out.png"), want 72 40 8 $colour"
done
same "$T/rgb.png.dlic" "$T/rgba.png.dlic" "RGBA PNG with alpha dropped"
same "$T/rgb.png.dlic" "$T/rgb16.png.dlic" "16-bit PNG"
same "$T/gray.png.dlic" "$T/gray_alpha.png.dlic" "gray+alpha PNG"
same "$T/gray.png.dlic" "$T/gray16.png.dlic" "16-bit gray PNG"

# The ICC profile travels PNG/JPEG/WebP -> DLIC -> PNG.
for f in icc.png icc.jpg icc.webp; do
    "$INFO" "$T/$f.dlic" | grep -q '^  iccp ' || fail "$f: no iccp chunk in the stream"
done
grep -q iCCP "$T/icc.png.out.png" || fail "no iCCP chunk in the decoded PNG"
grep -q iCCP "$T/rgb.png.out.png" && fail "iCCP chunk out of nowhere"

# --- determinism, stdin/stdout, threads, CPU paths -------------------------
run "$ENC" $MW -quiet "$D/rgb.png" -o "$T/again.dlic"
same "$T/rgb.png.dlic" "$T/again.dlic" "encoding twice"
"$ENC" $MW -quiet - -o - < "$D/rgb.png" > "$T/stdio.dlic" 2>"$T/err" || fail "stdin/stdout encode"
same "$T/rgb.png.dlic" "$T/stdio.dlic" "encoding through stdin/stdout"
"$DEC" $MW - -o - < "$T/rgb.png.dlic" > "$T/stdio.png" 2>"$T/err" || fail "stdin/stdout decode"
same "$T/rgb.png.out.png" "$T/stdio.png" "decoding through stdin/stdout"
"$DEC" $MW --ppm - -o - < "$T/a.dlic" > "$T/stdio.ppm" 2>"$T/err" || fail "--ppm to stdout"
same "$T/a.out.ppm" "$T/stdio.ppm" "--ppm to stdout"

run "$ENC" $MW -quiet --threads 1 "$T/a.ppm" -o "$T/t1.dlic"
run "$ENC" $MW -quiet --threads=2 "$T/a.ppm" -o "$T/t2.dlic"
same "$T/t1.dlic" "$T/t2.dlic" "--threads 1 vs 2 (encoder)"
same "$T/a.dlic" "$T/t1.dlic" "--threads 1 vs default (encoder)"
run "$DEC" $MW --threads 1 "$T/a.dlic" -o "$T/t1.ppm"
run "$DEC" $MW --threads 2 "$T/a.dlic" -o "$T/t2.ppm"
same "$T/t1.ppm" "$T/t2.ppm" "--threads 1 vs 2 (decoder)"
for cpu in scalar avx2 avxvnni avx512; do
    run "$ENC" $MW -quiet --cpu=$cpu "$T/a.ppm" -o "$T/$cpu.dlic"
    same "$T/a.dlic" "$T/$cpu.dlic" "--cpu=$cpu vs default (encoder)"
    run "$DEC" $MW --cpu=$cpu "$T/a.dlic" -o "$T/$cpu.ppm"
    same "$T/a.out.ppm" "$T/$cpu.ppm" "--cpu=$cpu vs default (decoder)"
done

# --- quality, verbose, overwriting ------------------------------------------
run "$ENC" $MW -q 5 -quiet "$T/a.ppm" -o "$T/q5.dlic"
run "$ENC" $MW -q=95 -quiet "$T/a.ppm" -o "$T/q95.dlic"
"$INFO" "$T/q5.dlic" | grep -q '^Quality: *5$' || fail "-q 5 not in the header"
"$INFO" "$T/q95.dlic" | grep -q '^Quality: *95$' || fail "-q=95 not in the header"
run "$ENC" $MW -v "$T/a.ppm" -o "$T/v.dlic"
grep -q 'bpp' "$T/err" && grep -q '50 x 30' "$T/err" && grep -q 'Model' "$T/err" ||
    fail "-v output lacks size, bpp or model: $(cat "$T/err")"
same "$T/a.dlic" "$T/v.dlic" "-v changes the output"
echo old > "$T/over.dlic"
run "$ENC" $MW -quiet "$T/a.ppm" -o "$T/over.dlic"
same "$T/a.dlic" "$T/over.dlic" "overwriting an existing output"
run "$ENC" $MW -quiet "$T/a.ppm" -o /dev/null
echo old > "$T/target.dlic"
ln -s target.dlic "$T/link.dlic"
run "$ENC" $MW -quiet "$T/a.ppm" -o "$T/link.dlic"
[ -L "$T/link.dlic" ] || fail "writing through a symlink replaced the link"
same "$T/a.dlic" "$T/target.dlic" "writing through a symlink"
run "$DEC" $MW "$T/a.dlic" -o "$T/out.PNG"
[ "$(png_info "$T/out.PNG")" = "50 30 8 2" ] || fail "upper-case .PNG extension"
leftover=$(find "$T" -name '.*.??????' | head -n 1)
[ -z "$leftover" ] || fail "temporary file left behind: $leftover"

# --- the embedded model ----------------------------------------------------
"$ENC" -quiet "$D/rgb.png" -o "$T/def.dlic" 2>"$T/err" || fail "encode with the embedded model"
"$INFO" "$T/def.dlic" | grep -q 'matches the embedded model' || fail "embedded model id"
"$DEC" "$T/def.dlic" -o "$T/def.png" 2>"$T/err" || fail "decode with the embedded model"
# --png-small: another PNG (libpng's defaults) of the same pixels
"$DEC" --png-small "$T/def.dlic" -o "$T/small.png" 2>"$T/err" || fail "decode --png-small"
cmp -s "$T/def.png" "$T/small.png" && fail "--png-small wrote the same file"
"$DEC" --ppm "$T/def.dlic" -o "$T/def.ppm" 2>"$T/err" || fail "decode --ppm"
"$ENC" -quiet "$T/small.png" -o "$T/s1.dlic" && "$ENC" -quiet "$T/def.ppm" -o "$T/s2.dlic" ||
    fail "re-encode the decoded PNG and PPM"
same "$T/s1.dlic" "$T/s2.dlic" "--png-small pixels"
[ "$(png_info "$T/def.png")" = "72 40 8 2" ] || fail "embedded model: $(png_info "$T/def.png")"
# --lite: the embedded model's g_s lite (SPEC §8.7) decodes the same stream
# to other pixels of the same size, identically with 1 and 3 threads; a
# model without one is a one-line error and no output
"$DEC" --lite --ppm "$T/def.dlic" -o "$T/lite1.ppm" --threads 1 2>"$T/err" || fail "decode --lite"
"$DEC" --lite --ppm "$T/def.dlic" -o "$T/lite3.ppm" --threads 3 2>"$T/err" || fail "decode --lite, 3 threads"
same "$T/lite1.ppm" "$T/lite3.ppm" "--lite with 1 and 3 threads"
cmp -s "$T/lite1.ppm" "$T/def.ppm" && fail "--lite decoded the full synthesis's pixels"
[ "$(pnm_size "$T/lite1.ppm")" = "$(pnm_size "$T/def.ppm")" ] || fail "--lite changed the size"
"$DEC" -v --lite "$T/def.dlic" -o "$T/lite.png" 2>"$T/err" || fail "decode --lite -v"
grep -q 'lite synthesis' "$T/err" || fail "-v does not say --lite: $(cat "$T/err")"
if [ -n "$MW" ]; then
    "$ENC" -quiet $MW "$D/rgb.png" -o "$T/tm.dlic" 2>"$T/err" || fail "encode with the test model"
    "$DEC" $MW --lite "$T/tm.dlic" -o "$T/tm-lite.png" 2>"$T/err" && fail "--lite with a model without g_s lite"
    [ "$(wc -l < "$T/err")" -eq 1 ] && grep -q 'no lite transform' "$T/err" ||
        fail "--lite without g_s lite: $(cat "$T/err")"
    [ -e "$T/tm-lite.png" ] && fail "--lite without g_s lite left an output file"
fi
# --no-rdo: nearest rounding of the latent (codec/enc/rdoq.h), another valid
# stream; the default only leaves a value's nearest integer for a cheaper one
"$ENC" -quiet --no-rdo "$D/rgb.png" -o "$T/near.dlic" 2>"$T/err" || fail "encode --no-rdo"
"$DEC" "$T/near.dlic" -o "$T/near.png" 2>"$T/err" || fail "decode a --no-rdo stream"
cmp -s "$T/def.dlic" "$T/near.dlic" && fail "--no-rdo made the same stream as the default"
[ "$(wc -c < "$T/def.dlic")" -le "$(wc -c < "$T/near.dlic")" ] ||
    fail "rate-distortion optimised rounding made a larger stream than --no-rdo"
# --refine: latent refinement (codec/enc/refine.h) gives another valid stream
"$ENC" -quiet --refine 3 "$D/rgb.png" -o "$T/ref.dlic" 2>"$T/err" || fail "encode --refine 3"
"$DEC" "$T/ref.dlic" -o "$T/ref.png" 2>"$T/err" || fail "decode a --refine stream"
[ "$(png_info "$T/ref.png")" = "72 40 8 2" ] || fail "--refine: $(png_info "$T/ref.png")"
for bad in 1001 -1 x; do
    rm -f "$T/bad.dlic"
    "$ENC" -quiet --refine "$bad" "$D/rgb.png" -o "$T/bad.dlic" 2>"$T/err" &&
        fail "--refine $bad accepted"
    grep -q "refine needs" "$T/err" || fail "--refine $bad: $(cat "$T/err")"
    [ -e "$T/bad.dlic" ] && fail "--refine $bad left an output file"
done
# --effort: 5 is the default encoder, 1-4 round to the nearest (--no-rdo),
# 6-9 refine (another valid stream); outside 1..9 a usage error, no output
"$ENC" -quiet -e 5 "$D/rgb.png" -o "$T/e5.dlic" 2>"$T/err" || fail "encode -e 5"
cmp -s "$T/def.dlic" "$T/e5.dlic" || fail "-e 5 differs from the default"
"$ENC" -quiet --effort 2 "$D/rgb.png" -o "$T/e2.dlic" 2>"$T/err" || fail "encode --effort 2"
cmp -s "$T/near.dlic" "$T/e2.dlic" || fail "--effort 2 differs from --no-rdo"
"$ENC" -quiet --effort 6 "$D/rgb.png" -o "$T/e6.dlic" 2>"$T/err" || fail "encode --effort 6"
"$DEC" "$T/e6.dlic" -o "$T/e6.png" 2>"$T/err" || fail "decode an --effort 6 stream"
[ "$(png_info "$T/e6.png")" = "72 40 8 2" ] || fail "--effort 6: $(png_info "$T/e6.png")"
for bad in 0 10 -1 x; do
    rm -f "$T/bad.dlic"
    "$ENC" -quiet --effort "$bad" "$D/rgb.png" -o "$T/bad.dlic" 2>"$T/err"
    [ $? -eq 2 ] || fail "--effort $bad: not a usage error"
    grep -q "effort needs" "$T/err" || fail "--effort $bad: $(cat "$T/err")"
    [ -e "$T/bad.dlic" ] && fail "--effort $bad left an output file"
done
# an image too large for the search (DLIC_REFINE_MAX_MEMORY) is encoded at
# effort 5, with a one-line note, to the same bytes as -e 5
{ printf 'P5\n2048 1600\n255\n'; head -c 3276800 /dev/zero | tr '\0' '\200'; } > "$T/big.pgm"
"$ENC" -e 8 "$T/big.pgm" -o "$T/big8.dlic" 2>"$T/err" || fail "-e 8 on 2048x1600: $(cat "$T/err")"
grep -q "too large for the latent search of effort 8" "$T/err" || fail "no note: $(cat "$T/err")"
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "more than one line: $(cat "$T/err")"
"$ENC" -quiet -e 5 "$T/big.pgm" -o "$T/big5.dlic" 2>"$T/err" || fail "-e 5 on 2048x1600"
cmp -s "$T/big8.dlic" "$T/big5.dlic" || fail "the fallback differs from -e 5"

# --- one real photo (optional) ---------------------------------------------
K=../shared/data/kodak/kodim01.png
if [ -f "$K" ]; then
    run "$ENC" $MW -quiet "$K" -o "$T/k.dlic"
    run "$DEC" $MW "$T/k.dlic" -o "$T/k.png"
    [ "$(png_info "$T/k.png")" = "768 512 8 2" ] || fail "kodim01: $(png_info "$T/k.png")"
else
    echo "enc_dec.sh: $K not found, skipping the photo test"
fi

echo "enc_dec.sh: ok"
