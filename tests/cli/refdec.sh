#!/bin/sh
# The C decoder against the Python reference decoder (train/refdec.py):
# small images encoded by dlic-enc with the test model at several
# qualities must decode to identical pixels with dlic-dec and refdec.py;
# the C encoder against the Python one (train/intnet.py): the same bytes.
# Usage: sh tests/cli/refdec.sh BUILD_DIR
set -u
B=${1:-build}
B=$(cd "$B" 2>/dev/null && pwd) || { echo "refdec.sh: FAIL: no build dir ${1:-build}"; exit 1; }
cd "$(dirname "$0")/../.." || exit 1
PY=/usr/bin/python3
MODEL=weights/dlic-test.dlicm
if [ ! -x "$PY" ] || ! "$PY" -c "import numpy" 2>/dev/null; then
    echo "refdec.sh: SKIP (needs /usr/bin/python3 with numpy)"
    exit 0
fi
for t in dlic-enc dlic-dec; do
    if [ ! -x "$B/$t" ]; then
        echo "refdec.sh: FAIL: $B/$t missing"
        exit 1
    fi
done
# The Python reference codec on its own first (encoder, decoder, errors).
if ! "$PY" train/test_refdec.py >/dev/null; then
    echo "FAIL: train/test_refdec.py"
    "$PY" train/test_refdec.py | grep -v '^ok'
    exit 1
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM

# Test images: 1x1, 3x7 colour, 70x45 gray, a 128x96 crop of a 200x150 image.
"$PY" - "$T" <<'PYEOF' || exit 1
import sys
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(7)
def pnm(name, a):
    magic = b"P5" if a.ndim == 2 else b"P6"
    with open(f"{d}/{name}", "wb") as f:
        f.write(magic + b"\n%d %d\n255\n" % (a.shape[1], a.shape[0]) + a.tobytes())
yy, xx = np.mgrid[0:150, 0:200]
big = np.stack([xx * 255 // 199, yy * 255 // 149, (xx * yy) % 256], -1)
big = np.clip(big + rng.integers(-25, 26, big.shape), 0, 255).astype(np.uint8)
pnm("big.ppm", big)
pnm("crop.ppm", np.ascontiguousarray(big[31:127, 40:168]))
pnm("one.ppm", np.array([[[200, 30, 90]]], np.uint8))
pnm("small.ppm", rng.integers(0, 256, (7, 3, 3)).astype(np.uint8))
g = (np.add.outer(np.arange(45) * 3, np.arange(70) * 2) % 256).astype(np.uint8)
pnm("gray.pgm", g)
PYEOF

# raw pixels of a PPM/PGM, whatever its header spacing
raw() {
    "$PY" -c '
import sys
b = open(sys.argv[1], "rb").read()
f, pos = [], 0
while len(f) < 4:
    while b[pos:pos + 1].isspace(): pos += 1
    if b[pos:pos + 1] == b"#":
        pos = b.index(b"\n", pos)
        continue
    e = pos
    while not b[e:e + 1].isspace(): e += 1
    f.append(b[pos:e]); pos = e
sys.stdout.buffer.write(f[0] + b"\n" + f[1] + b" " + f[2] + b"\n" + b[pos + 1:])
' "$1"
}

fail=0
n=0
for img in one.ppm small.ppm gray.pgm crop.ppm; do
    ext=${img##*.}
    for q in 0 40 75 100; do
        s="$T/${img%.*}-q$q"
        n=$((n + 1))
        if ! "$B/dlic-enc" -quiet --weights "$MODEL" -q "$q" "$T/$img" -o "$s.dlic"; then
            echo "FAIL: dlic-enc $img -q $q"; fail=1; continue
        fi
        if ! "$B/dlic-dec" -quiet --weights "$MODEL" "$s.dlic" -o "$s.c.$ext"; then
            echo "FAIL: dlic-dec $img -q $q"; fail=1; continue
        fi
        if ! h=$("$PY" train/refdec.py --model "$MODEL" "$s.dlic" -o "$s.py.$ext"); then
            echo "FAIL: refdec.py $img -q $q"; fail=1; continue
        fi
        raw "$s.c.$ext" >"$s.c.raw" && raw "$s.py.$ext" >"$s.py.raw"
        if cmp -s "$s.c.raw" "$s.py.raw"; then
            echo "ok   $img q=$q $(wc -c <"$s.dlic") bytes $h"
        else
            echo "FAIL: $img q=$q: dlic-dec and refdec.py pixels differ"; fail=1
        fi
    done
done
# Streams of the encoder's latent search (effort 7, codec/enc/refine.h),
# with and without the checkerboard context, decode identically too.
for model in "$MODEL" weights/dlic-test-cb.dlicm; do
    for img in crop.ppm gray.pgm; do
        ext=${img##*.}
        s="$T/${img%.*}-e7-$(basename "$model" .dlicm)"
        n=$((n + 1))
        if "$B/dlic-enc" -quiet --weights "$model" -e 7 -q 60 "$T/$img" -o "$s.dlic" &&
            "$B/dlic-dec" -quiet --weights "$model" "$s.dlic" -o "$s.c.$ext" &&
            "$PY" train/refdec.py --model "$model" "$s.dlic" -o "$s.py.$ext" >/dev/null &&
            raw "$s.c.$ext" >"$s.c.raw" && raw "$s.py.$ext" >"$s.py.raw" &&
            cmp -s "$s.c.raw" "$s.py.raw"; then
            echo "ok   $img -e 7 ($(basename "$model")) $(wc -c <"$s.dlic") bytes"
        else
            echo "FAIL: $img -e 7 ($(basename "$model")): dlic-dec and refdec.py differ"; fail=1
        fi
    done
done
# The other direction: a stream of the Python reference encoder
# (train/intnet.py) must decode with dlic-dec to the encoder's own
# reconstruction.
for q in 20 90; do
    s="$T/pyenc-q$q"
    n=$((n + 1))
    if ! "$PY" - "$T/crop.ppm" "$s" "$q" "$MODEL" <<'PYEOF'
import sys
import numpy as np
sys.path.insert(0, "train")
import intnet
import refdec
src, out, q, model = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
b = open(src, "rb").read()
img = np.frombuffer(b[-128 * 96 * 3:], np.uint8).reshape(96, 128, 3)
m = intnet.parse_model(open(model, "rb").read())
data = intnet.encode_image(m, img, q)
open(out + ".dlic", "wb").write(data)
rgb, _ = refdec.decode(data, m)
refdec.write_pnm(out + ".py.ppm", rgb, False)
PYEOF
    then
        echo "FAIL: Python encoder q=$q"; fail=1; continue
    fi
    if "$B/dlic-dec" -quiet --weights "$MODEL" "$s.dlic" -o "$s.c.ppm" &&
        raw "$s.c.ppm" >"$s.c.raw" && raw "$s.py.ppm" >"$s.py.raw" &&
        cmp -s "$s.c.raw" "$s.py.raw"; then
        echo "ok   Python-encoded crop.ppm q=$q decodes identically with dlic-dec"
    else
        echo "FAIL: Python-encoded crop.ppm q=$q: dlic-dec differs"; fail=1
    fi
done
# And the two encoders agree byte for byte (effort 5: the rounding of
# codec/enc/rdoq.h that intnet.py mirrors), with and without the
# checkerboard context, colour and gray.
for model in "$MODEL" weights/dlic-test-cb.dlicm; do
    for img in crop.ppm gray.pgm; do
        for q in 10 75; do
            s="$T/both-$(basename "$model" .dlicm)-${img%.*}-q$q"
            n=$((n + 1))
            if ! "$PY" - "$T/$img" "$s.py.dlic" "$q" "$model" <<'PYEOF'
import sys
import numpy as np
sys.path.insert(0, "train")
import intnet
src, out, q, model = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
b = open(src, "rb").read()
gray = b[:2] == b"P5"
w, h = (128, 96) if not gray else (70, 45)
img = np.frombuffer(b[-w * h * (1 if gray else 3):], np.uint8)
img = img.reshape(h, w) if gray else img.reshape(h, w, 3)
m = intnet.parse_model(open(model, "rb").read())
open(out, "wb").write(intnet.encode_image(m, img, q))
PYEOF
            then
                echo "FAIL: Python encoder $img q=$q ($(basename "$model"))"; fail=1; continue
            fi
            if "$B/dlic-enc" -quiet --weights "$model" -q "$q" "$T/$img" -o "$s.c.dlic" &&
                cmp -s "$s.c.dlic" "$s.py.dlic"; then
                echo "ok   dlic-enc and intnet.encode_image agree: $img q=$q ($(basename "$model"))"
            else
                echo "FAIL: $img q=$q ($(basename "$model")): dlic-enc and intnet.encode_image differ"
                fail=1
            fi
        done
    done
done

[ $fail -eq 0 ] && echo "refdec.sh: $n streams identical" || echo "refdec.sh: FAILED"
exit $fail
