#!/bin/sh
# The browser decoder against the native one (issue: Kodak decode in
# headless Chromium at most 3x the native single-thread time): encodes the
# first N Kodak images at quality Q, times each stream's decode in the
# viewer page in headless Chromium (web/test-browser.sh --time, RUNS decodes
# each) and the native in-memory decode of the same image and quality with
# one thread (bench/speed.c, RUNS runs), and prints the median times, their
# ratio and both decoders' GMAC/s against the multiply-add peak of their
# instruction path (native i16 vpdpwssd: `speed peak`; SIMD128
# i32x4.dot_i16x8_s: bench/wasm_peak.c).
#
# usage: bench/wasm_speed.sh [BUILD]   (make, make wasm, make wasm-peak first)
# env:   KODAK (../shared/data/kodak), N (24), Q (50), RUNS (5),
#        CPU (the native decoder's kernels: scalar|avx2|avxvnni|avx512; best)
set -eu
B=${1:-build}
KODAK=${KODAK:-../shared/data/kodak}
N=${N:-24}
Q=${Q:-50}
RUNS=${RUNS:-5}
export RUNS
for f in "$B/dlic-enc" "$B/bench/speed" "$B/wasm/index.html" "$B/wasm/peak.wasm"; do
    [ -e "$f" ] || { echo "wasm_speed.sh: $f missing (make BUILD=$B all bench-speed wasm wasm-peak)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
imgs=$(ls "$KODAK"/kodim*.png | head -n "$N")
for i in $imgs; do
    "$B/dlic-enc" -quiet -q "$Q" "$i" -o "$tmp/$(basename "$i" .png).dlic"
done
# A shared machine's speed drifts: the peaks and the native times are
# measured before and after the browser's, and their means used.
peaks() {
    "$B/bench/speed" peak
    node bench/wasm_peak.mjs "$B/wasm/peak.wasm"
}
native() {
    # shellcheck disable=SC2086
    "$B/bench/speed" time --threads 1 --runs "$RUNS" --quality "$Q" ${CPU:+--cpu "$CPU"} $imgs
}
echo "== peaks of one core, native: $B/bench/speed time --threads 1 --runs $RUNS --quality $Q ${CPU:+--cpu $CPU }(N=$N)"
peaks | tee "$tmp/peak"
native > "$tmp/native"
echo "== headless Chromium: web/test-browser.sh $B --time ($RUNS decodes a stream)"
sh web/test-browser.sh "$B" --time "$tmp"/*.dlic > "$tmp/web"
grep -q '"ms"' "$tmp/web" || { cat "$tmp/web"; exit 1; }
echo "== native and peaks again"
native >> "$tmp/native"
peaks | tee -a "$tmp/peak"
awk '
function med(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
FILENAME ~ /peak$/ { pk[$1] += $2 / 2; pn[$1]++; pv[$1, pn[$1]] = $2; next }
FILENAME ~ /native$/ && /^# model/ { for (i = 1; i <= NF; i++) if ($i == "decode") mac = $(i+1); next }
FILENAME ~ /native$/ && /^kodim/ { sub(/\.png$/, "", $1); nat[$1] += $5 / 2; nn[$1]++; n1[$1, nn[$1]] = $5; px[$1] = $2 * $3; next }
FILENAME ~ /web$/ {
    if (!match($0, /"stream":"[^"]*"/)) next
    s = substr($0, RSTART + 10, RLENGTH - 11); sub(/\.dlic$/, "", s)
    match($0, /"ms":[0-9.]+/); t = substr($0, RSTART + 5, RLENGTH - 5)
    k[s]++; w[s, k[s]] = t
}
END {
    printf "%-12s %10s %10s %7s\n", "image", "native_ms", "chrome_ms", "ratio"
    for (s in nat) {
        if (!(s in k)) { print "no browser time for " s; exit 1 }
        n = 0; for (j = 1; j <= k[s]; j++) v[++n] = w[s, j]
        m = med(v, n); delete v
        r[++nr] = m / nat[s]; tn += nat[s]; tw += m; tp += px[s]
        printf "%-12s %10.1f %10.1f %6.2fx\n", s, nat[s], m, m / nat[s]
    }
    for (s in nat) { b1 += n1[s, 1]; b2 += n1[s, 2] }
    printf "median ratio over %d images: %.2fx (total time ratio %.2fx)\n", nr, med(r, nr), tw / tn
    printf "drift: native total %.0f then %.0f ms; peaks %s then %s, %s then %s\n", b1, b2,
        pv["peak_i16_gmacs_per_core", 1], pv["peak_i16_gmacs_per_core", 2],
        pv["peak_simd128_i16_gmacs_per_core", 1], pv["peak_simd128_i16_gmacs_per_core", 2]
    gn = mac * tp / (tn * 1e6); gw = mac * tp / (tw * 1e6)
    printf "native  %6.1f GMAC/s = %4.1f%% of its i16 peak %.1f\n", gn, 100 * gn / pk["peak_i16_gmacs_per_core"], pk["peak_i16_gmacs_per_core"]
    printf "browser %6.1f GMAC/s = %4.1f%% of the SIMD128 peak %.1f (Node)\n", gw, 100 * gw / pk["peak_simd128_i16_gmacs_per_core"], pk["peak_simd128_i16_gmacs_per_core"]
    printf "3x needs the browser at %.1f%% of the SIMD128 peak\n", 100 * gn / 3 / pk["peak_simd128_i16_gmacs_per_core"]
}' "$tmp/peak" "$tmp/native" "$tmp/web"
