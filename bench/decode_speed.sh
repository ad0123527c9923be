#!/bin/sh
# Decode speed of DLIC (and its lite decoder, dlic-dec --lite, on the same
# streams when the embedded model has g_s lite) against dwebp, avifdec,
# djxl and djpeg, side by side
# in one run (issue 36; README, "Decode speed"): each Kodak image is coded
# by every codec at the quality of its sweep whose size is nearest 0.5 bpp,
# then each stream is decoded RUNS times on 1 and on 2 threads, the codecs
# alternating, to a raw file (PPM; avifdec: Y4M, its only raw output) on
# a RAM disk. Reported: megapixels per second of the median decode per
# image, and their median over the images, for each codec and thread count.
#
#   sh bench/decode_speed.sh BUILD [KODAK_DIR] [N_IMAGES] [RUNS]
#
# Needs the Debian packages webp, libavif-bin, libjxl-tools and
# libjpeg-turbo-progs (`apt-get install ...`); a codec whose tools are
# missing is left out with a note. Prints a Markdown table on stdout.
set -u
B=${1:-build}
K=${2:-../shared/data/kodak}
N=${3:-24}
RUNS=${4:-5}
[ -x "$B/dlic-enc" ] && [ -x "$B/dlic-dec" ] || { echo "decode_speed.sh: build $B first" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/dev/shm}/dspeed.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM

now() { date +%s%N; }
bpp() { echo "$(wc -c < "$1") * 8 / $2" | bc -l; }

# codec: name, encoder tools, qualities, encode and decode commands
have() { for t in "$@"; do command -v "$t" >/dev/null 2>&1 || return 1; done; }
CODECS="dlic"
"$B/dlic-info" --model | grep -q '^Lite id:' && CODECS="$CODECS dlic-lite"
have cwebp dwebp && CODECS="$CODECS webp" || echo "note: webp tools missing, left out" >&2
have avifenc avifdec && CODECS="$CODECS avif" || echo "note: avif tools missing, left out" >&2
have cjxl djxl && CODECS="$CODECS jxl" || echo "note: jxl tools missing, left out" >&2
have cjpeg djpeg && CODECS="$CODECS jpeg" || echo "note: jpeg tools missing, left out" >&2

quals() {
    case $1 in
    dlic) echo "0 10 20 30 40 50 60 70 80" ;;
    webp) echo "5 15 30 45 60 75 90" ;;
    avif) echo "56 48 40 34 28 22 16" ;;            # quantizer: lower is better
    jxl) echo "1.0 1.5 2.0 3.0 4.0 5.0 6.5" ;;      # distance: lower is better
    jpeg) echo "10 20 30 45 60 75 90" ;;
    esac
}
enc() {  # codec quality src.png out
    case $1 in
    dlic) "$B/dlic-enc" -quiet --threads 2 -q "$2" "$3" -o "$4" ;;
    webp) cwebp -quiet -m 6 -q "$2" "$3" -o "$4" ;;
    avif) avifenc -j 2 --min "$2" --max "$2" -y 444 "$3" "$4" >/dev/null ;;
    jxl) cjxl "$3" "$4" -d "$2" -e 7 --quiet >/dev/null 2>&1 ;;
    jpeg) cjpeg -quality "$2" -optimize -outfile "$4" "${3%.png}.ppm" ;;
    esac
}
dec() {  # codec threads stream
    case $1 in
    dlic) "$B/dlic-dec" -quiet --threads "$2" "$3" -o "$T/out.ppm" ;;
    dlic-lite) "$B/dlic-dec" -quiet --lite --threads "$2" "$3" -o "$T/out.ppm" ;;
    webp) if [ "$2" -gt 1 ]; then dwebp -quiet -mt "$3" -ppm -o "$T/out.ppm"
          else dwebp -quiet "$3" -ppm -o "$T/out.ppm"; fi ;;
    avif) avifdec -j "$2" "$3" "$T/out.y4m" >/dev/null ;;
    jxl) djxl "$3" "$T/out.ppm" --num_threads="$2" >/dev/null 2>&1 ;;
    jpeg) djpeg -outfile "$T/out.ppm" "$3" ;;   # libjpeg-turbo: one thread
    esac
}
ext() { case $1 in dlic|dlic-lite) echo dlic ;; webp) echo webp ;; avif) echo avif ;; jxl) echo jxl ;; jpeg) echo jpg ;; esac; }

imgs=$(ls "$K"/*.png | sort | head -n "$N")
for img in $imgs; do
    name=$(basename "$img" .png)
    # the source as PNG and PPM (cjpeg reads no PNG), and its pixel count
    cp "$img" "$T/$name.png"
    "$B/dlic-dec" -quiet "$T/$name.png" -o "$T/$name.ppm" 2>/dev/null ||
        /usr/bin/python3 -c "import sys; from PIL import Image; Image.open(sys.argv[1]).convert('RGB').save(sys.argv[2])" "$img" "$T/$name.ppm" ||
        { echo "decode_speed.sh: cannot convert $img to PPM" >&2; exit 1; }
    px=$(head -c 64 "$T/$name.ppm" | tr -s ' \n' '  ' | awk '{print $2 * $3}')
    echo "$px" > "$T/$name.px"
    for c in $CODECS; do
        if [ "$c" = dlic-lite ]; then      # the dlic stream, decoded --lite
            cp "$T/$name.dlic" "$T/$name.$c"
            cp "$T/$name.dlic.bpp" "$T/$name.$c.bpp"
            continue
        fi
        best=""; bestd=""
        for q in $(quals "$c"); do
            s="$T/$name.$c.$q.$(ext "$c")"
            enc "$c" "$q" "$T/$name.png" "$s" || { echo "decode_speed.sh: $c -q $q failed on $name" >&2; exit 1; }
            d=$(echo "b=$(bpp "$s" "$px") - 0.5; if (b < 0) -b else b" | bc -l)
            if [ -z "$best" ] || [ "$(echo "$d < $bestd" | bc -l)" = 1 ]; then
                [ -n "$best" ] && rm -f "$best"; best=$s; bestd=$d
            else
                rm -f "$s"
            fi
        done
        mv "$best" "$T/$name.$c"
        echo "$(bpp "$T/$name.$c" "$px")" > "$T/$name.$c.bpp"
    done
done
# alternate codecs within each run so that load drifts hit them alike
for th in 1 2; do
    for r in $(seq 1 "$RUNS"); do
        for img in $imgs; do
            name=$(basename "$img" .png)
            for c in $CODECS; do
                t0=$(now); dec "$c" "$th" "$T/$name.$c" || { echo "decode_speed.sh: $c decode failed on $name" >&2; exit 1; }
                t1=$(now)
                echo "$(( (t1 - t0) / 1000 ))" >> "$T/$name.$c.t$th"
            done
        done
    done
done
median() { sort -n | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
echo "| codec | mean bpp (nearest 0.5) | MP/s, 1 thread | MP/s, 2 threads |"
echo "|---|---|---|---|"
for c in $CODECS; do
    mp1=""; mp2=""; b=""
    for img in $imgs; do
        name=$(basename "$img" .png)
        px=$(cat "$T/$name.px")
        for th in 1 2; do
            us=$(median < "$T/$name.$c.t$th")
            echo "$px / $us" | bc -l >> "$T/$c.mps$th"
        done
        cat "$T/$name.$c.bpp" >> "$T/$c.bpps"
    done
    b=$(awk '{s+=$1} END{printf "%.3f", s/NR}' "$T/$c.bpps")
    m1=$(median < "$T/$c.mps1"); m2=$(median < "$T/$c.mps2")
    printf "| %s | %s | %.1f | %.1f |\n" "$c" "$b" "$m1" "$m2"
done
echo
echo "($(echo "$imgs" | wc -l) Kodak images, median of $RUNS decodes each, median over images; $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
