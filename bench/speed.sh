#!/bin/sh
# Speed benchmark (make bench-speed): encode/decode time per Kodak image
# (medians of RUNS in-memory runs, bench/speed.c), achieved GMAC/s against
# the int8 vpdpbusd peak of one core (and the i16 vpdpwssd one, the path of
# 12-bit activations), peak RSS of a decode in a process of
# its own (a Kodak image and a BIG synthetic one), and the PyTorch float
# decode time of the same network (bench/float_decode.py) for the ratio.
# With a model that has g_s lite (SPEC §8.7) the lite decode of the same
# streams is timed too, each run right after the full one, with the median
# ratio of the two times.
#
# usage: bench/speed.sh [BUILD]
# env:   BENCH_WEIGHTS  model file (default: the embedded model)
#        KODAK          image folder (default ../shared/data/kodak)
#        KODAK_N        use the first N images (default all)
#        RUNS           runs per median (default 5)
#        THREADS        worker threads (default 2)
#        RDO            encoder's rate-distortion optimised rounding, 1 or
#                       0 (dlic-enc --no-rdo; default 1)
#        BIG            size of the big RSS test, WxH (default 8000x6000;
#                       empty: skip)
#        PYTHON         interpreter with torch (default /usr/bin/python3;
#                       empty: skip the float decode)
#        CPUS           --cpu levels to time side by side as well, e.g.
#                       "avx2 avxvnni": image by image, each level in turn,
#                       so that a changing machine load weighs on them alike;
#                       prints their median ms and the ratios to the first
set -eu
B=${1:-build}
S=$B/bench/speed
KODAK=${KODAK:-../shared/data/kodak}
RUNS=${RUNS:-5}
THREADS=${THREADS:-2}
BIG=${BIG-8000x6000}
PYTHON=${PYTHON-/usr/bin/python3}
W=
[ -n "${BENCH_WEIGHTS:-}" ] && W="--weights $BENCH_WEIGHTS"
W="$W --rdo ${RDO:-1}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

imgs=$(ls "$KODAK"/kodim*.png | head -n "${KODAK_N:-1000}")
[ -n "$imgs" ] || { echo "speed.sh: no images in $KODAK" >&2; exit 1; }

echo "== int8 and i16 peaks of one core (register-only vpdpbusd, vpdpwssd loops)"
$S peak | tee "$tmp/peak"
echo "== per image: median of $RUNS runs, $THREADS threads, cpu: best"
# shellcheck disable=SC2086
$S time $W --threads "$THREADS" --runs "$RUNS" $imgs | tee "$tmp/time"

if [ -n "${CPUS:-}" ]; then
    echo "== per image and CPU path: median of $RUNS runs, $THREADS threads, cpu: $CPUS"
    for img in $imgs; do
        for cpu in $CPUS; do
            # shellcheck disable=SC2086
            $S time $W --cpu "$cpu" --threads "$THREADS" --runs "$RUNS" "$img" |
                awk -v c="$cpu" '!/^#/ && $1 != "image" { print c, $0 }' | tee -a "$tmp/cpus"
        done
    done
fi

first=$(echo "$imgs" | head -n 1)
# shellcheck disable=SC2086
$S encode $W "$first" "$tmp/k.dlic"
# shellcheck disable=SC2086
$S rss $W --threads "$THREADS" "$tmp/k.dlic" | tee "$tmp/rss_k"
if [ -n "$BIG" ]; then
    echo "== encoding a synthetic $BIG image for the RSS test"
    # shellcheck disable=SC2086
    $S encode $W --threads "$THREADS" "synth:$BIG" "$tmp/big.dlic"
    # shellcheck disable=SC2086
    $S rss $W --threads "$THREADS" "$tmp/big.dlic" | tee "$tmp/rss_big"
fi

M=$(sed -n 's/^# model .* M \([0-9]*\) NZ .*/\1/p' "$tmp/time")
NZ=$(sed -n 's/^# model .* NZ \([0-9]*\):.*/\1/p' "$tmp/time")
if [ -n "$PYTHON" ]; then
    echo "== PyTorch float decode (h_s + g_s, N=$NZ M=$M, 768x512, $THREADS threads)"
    "$PYTHON" bench/float_decode.py --threads "$THREADS" --runs "$RUNS" --N "$NZ" --M "$M" \
        | tee "$tmp/float" || echo "float_decode_ms 0" > "$tmp/float"
fi

# Median of a[1..n] (sorts a).
MED='
function med(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
'

echo
echo "== summary (medians over images)"
awk -v peak="$(awk '$1 == "peak_gmacs_per_core" {print $2}' "$tmp/peak")" \
    -v peak16="$(awk '$1 == "peak_i16_gmacs_per_core" {print $2}' "$tmp/peak")" -v threads="$THREADS" \
    -v fl="$(awk '{print $2}' "$tmp/float" 2>/dev/null || echo 0)" \
    -v rk="$(sed -n 's/.*peak_rss_kb \([0-9]*\).*/\1/p' "$tmp/rss_k")" \
    -v rb="$(sed -n 's/.*peak_rss_kb \([0-9]*\).*/\1/p' "$tmp/rss_big" 2>/dev/null)" \
    -v big="$BIG" "$MED"'
/^# model/ { for (i = 1; i <= NF; i++) { if ($i == "encode") em = $(i+1); if ($i == "decode") dm = $(i+1) } }
/^kodim/ { n++; e[n] = $4; d[n] = $5; ge[n] = $6; gd[n] = $7; if (NF >= 9) { nl++; l[nl] = $8; lr[nl] = $9 } }
END {
    me = med(e, n); md = med(d, n); mge = med(ge, n); mgd = med(gd, n)
    printf "%-34s %10s\n", "metric", "value"
    printf "%-34s %10d\n", "images", n
    printf "%-34s %10.0f\n", "encode MAC/pixel", em
    printf "%-34s %10.0f\n", "decode MAC/pixel", dm
    printf "%-34s %10.1f\n", "encode ms (median)", me
    printf "%-34s %10.1f\n", "decode ms (median)", md
    printf "%-34s %10.1f\n", "encode GMAC/s", mge
    printf "%-34s %10.1f\n", "decode GMAC/s", mgd
    printf "%-34s %10.1f\n", "int8 peak GMAC/s per core", peak
    if (peak > 0) printf "%-34s %9.1f%%\n", "decode fraction of peak x threads", 100 * mgd / (peak * threads)
    printf "%-34s %10.1f\n", "i16 peak GMAC/s per core", peak16
    if (peak16 > 0) printf "%-34s %9.1f%%\n", "decode fraction of i16 peak x thr.", 100 * mgd / (peak16 * threads)
    if (nl > 0) printf "%-34s %10.1f\n", "lite decode ms (median)", med(l, nl)
    if (nl > 0) printf "%-34s %9.3fx\n", "lite / full decode time (median)", med(lr, nl)
    if (fl > 0) printf "%-34s %10.1f\n", "PyTorch float decode ms", fl
    if (fl > 0) printf "%-34s %9.2fx\n", "speedup vs float decode", fl / md
    printf "%-34s %10.1f\n", "peak RSS MB, Kodak decode", rk / 1024
    if (rb != "") printf "%-34s %10.1f\n", "peak RSS MB, " big " decode", rb / 1024
}' "$tmp/time"

[ -z "${CPUS:-}" ] || awk -v cpus="$CPUS" "$MED"'
{ n[$1]++; e[$1, n[$1]] = $5; d[$1, n[$1]] = $6 }
END {
    printf "\n%-10s %6s %10s %10s %14s %14s\n", "cpu", "images", "encode ms", "decode ms",
           "enc ratio", "dec ratio"
    k = split(cpus, c, " ")
    for (i = 1; i <= k; i++) {
        for (j = 1; j <= n[c[i]]; j++) { ee[j] = e[c[i], j]; dd[j] = d[c[i], j] }
        me[i] = med(ee, n[c[i]]); md[i] = med(dd, n[c[i]])
        printf "%-10s %6d %10.1f %10.1f %13.2fx %13.2fx\n", c[i], n[c[i]], me[i], md[i],
               me[1] / me[i], md[1] / md[i]
    }
    print "(ratio: median ms of " c[1] " / median ms of the path; above 1: faster)"
}' "$tmp/cpus"
