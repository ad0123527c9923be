#!/bin/sh
# dlic-bench on two tiny images with DLIC (small test model), JPEG and WebP:
# outputs exist and look sane, a second run resumes from the cache, a missing
# external codec is skipped with a note, usage errors exit 2.
# Usage: sh tests/cli/bench.sh BUILD_DIR   (from the repository root)
set -u
. tests/support/cli.sh "$@"

mkdir "$T/img"
cp "$D/rgb.png" "$T/img/a.png"
cp "$D/gray.png" "$T/img/b.png"
cp "$D/rgb.jpg" "$T/img/c.jpg"          # a third image, left out by --images 2

PLOT=--no-plot
command -v gnuplot >/dev/null 2>&1 && PLOT=
run() {
    "$BENCH" --codecs dlic,jpeg,webp --images 2 -j 2 --weights weights/dlic-test.dlicm \
        --qualities dlic=10,50,90 --qualities webp=5,50,90 --speed $PLOT \
        --out "$T/out" "$@" "$T/img"
}
run > "$T/stdout" 2> "$T/stderr" || { cat "$T/stderr" >&2; fail "dlic-bench exit $?"; }

for f in points.csv avg_dlic.csv avg_jpeg.csv avg_webp.csv summary.md cache.tsv \
         ref-bpg444.csv; do
    [ -s "$T/out/$f" ] || fail "no $f"
done
if [ -z "$PLOT" ]; then
    for f in rd_psnr.png rd_psnr.svg rd_msssim.png rd_msssim.svg; do
        [ -s "$T/out/$f" ] || fail "no $f"
    done
fi
cmp -s "$T/stdout" "$T/out/summary.md" || fail "stdout is not summary.md"

# 2 images x (3 DLIC + 10 JPEG + 3 WebP qualities) points, plus the header.
n=$(wc -l < "$T/out/points.csv" | tr -d ' ')
[ "$n" -eq 33 ] || fail "points.csv has $n lines, expected 33"
grep -q ',c.jpg,' "$T/out/points.csv" && fail "--images 2 measured a third image"
# Every point: bytes > 0, 0 < bpp < 30, 5 < PSNR <= 99, 0 < MS-SSIM <= 1.
awk -F, 'NR > 1 && !($4 > 0 && $6 > 0 && $6 < 30 && $7 > 5 && $7 <= 99 &&
                     $8 > 0 && $8 <= 1) { print; bad = 1 } END { exit bad }' \
    "$T/out/points.csv" || fail "implausible points"
# Averaged JPEG: sorted by bpp, PSNR rising with the rate.
awk -F, 'NR > 2 && !($2 > b && $3 > p) { bad = 1 } NR > 1 { b = $2; p = $3 }
         END { exit bad || NR != 11 }' "$T/out/avg_jpeg.csv" ||
    fail "avg_jpeg.csv is not a rising curve of 10 points"
# (n/a when the curves do not overlap, as with the untrained test model)
grep -Eq '^\| WebP \(libwebp, m6\) \(measured\) \| ([-+][0-9.]+%|n/a) \|' \
    "$T/out/summary.md" || fail "no BD-rate of DLIC against WebP"
grep -Eq '^\| measured \| [-+][0-9.]+% \|' "$T/out/summary.md" ||
    fail "no WebP-against-JPEG sanity figure"
grep -q '^## Speed' "$T/out/summary.md" || fail "no speed table with --speed"

# Second run: everything comes from the cache, same results.
cut -d, -f1-9 "$T/out/points.csv" > "$T/points1"      # all but the times
run > /dev/null 2> "$T/stderr2" || { cat "$T/stderr2" >&2; fail "second run"; }
grep -q '0 points to measure, 32 cached' "$T/stderr2" ||
    { cat "$T/stderr2" >&2; fail "second run did not use the cache"; }
cut -d, -f1-9 "$T/out/points.csv" | cmp -s "$T/points1" - || fail "cached results differ"

# An external codec not on PATH is skipped with a note.
PATH=/nonexistent "$BENCH" --codecs jpeg,avif --qualities jpeg=50 --images 1 \
    --no-plot --out "$T/out2" "$T/img" > /dev/null 2> "$T/stderr3" ||
    { cat "$T/stderr3" >&2; fail "run without avifenc"; }
grep -q 'note: skipping avif' "$T/stderr3" || fail "no note for a missing avifenc"

# Usage errors.
"$BENCH" --codecs nosuch "$T/img" > /dev/null 2>&1
[ $? -eq 2 ] || fail "unknown codec: exit status not 2"
"$BENCH" --qualities jpeg=5,x "$T/img" > /dev/null 2>&1
[ $? -eq 2 ] || fail "bad quality list: exit status not 2"
"$BENCH" --codecs jpeg --out "$T/out3" "$T/nosuch" > /dev/null 2>&1
[ $? -eq 1 ] || fail "missing folder: exit status not 1"
exit 0
