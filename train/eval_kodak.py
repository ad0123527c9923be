#!/usr/bin/python3
"""Rate-distortion of DLIC on Kodak through the real CLIs, with BD-rates.

    /usr/bin/python3 train/eval_kodak.py [--build build] [--weights FILE]
        [--q 10,30,50,70,90] [--images 24] [--webp]

For each quality: dlic-enc then dlic-dec on every image, bpp from the file
size, RGB PSNR (peak 255) per image, averaged per quality as CompressAI does.
With --webp, libwebp (through Pillow, method 6) is measured on the same
images. BD-rates are against WebP (if measured) and against the published
BPG 4:4:4 curve of shared/BRIEF.md. This is the quick check used when
training; tools/dlic-bench is the full benchmark.
"""
import argparse
import io
import math
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
KODAK = os.path.join(ROOT, "..", "shared", "data", "kodak")

# shared/BRIEF.md, BPG 4:4:4 (bpgenc 0.9.8) on Kodak: (bpp, PSNR)
BPG444 = [(0.0678, 26.20), (0.1610, 28.68), (0.3516, 31.60),
          (0.6847, 34.86), (1.1997, 38.26), (1.9297, 41.48)]


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * math.log10(255.0 ** 2 / max(mse, 1e-10))


def bd_rate(ref, test):
    """Bjontegaard delta rate (%) of test vs ref; each a list of (bpp, psnr).

    Cubic fit of log(rate) as a function of PSNR, integrated over the
    overlapping PSNR interval (VCEG-M33)."""
    r1 = np.log([p[0] for p in ref]); d1 = np.array([p[1] for p in ref])
    r2 = np.log([p[0] for p in test]); d2 = np.array([p[1] for p in test])
    deg = min(3, len(ref) - 1, len(test) - 1)
    p1 = np.polyfit(d1, r1, deg); p2 = np.polyfit(d2, r2, deg)
    lo, hi = max(d1.min(), d2.min()), min(d1.max(), d2.max())
    if hi <= lo:
        return float("nan")
    i1, i2 = np.polyint(p1), np.polyint(p2)
    a1 = np.polyval(i1, hi) - np.polyval(i1, lo)
    a2 = np.polyval(i2, hi) - np.polyval(i2, lo)
    return (math.exp((a2 - a1) / (hi - lo)) - 1) * 100


def dlic_point(args, path, q, tmp):
    base = os.path.join(tmp, f"{os.path.basename(path)}.{q}")
    enc = [os.path.join(args.build, "dlic-enc"), "-q", str(q), "--threads", "1",
           path, "-o", base + ".dlic"]
    dec = [os.path.join(args.build, "dlic-dec"), "--threads", "1",
           base + ".dlic", "-o", base + ".png"]
    if args.weights:
        enc[1:1] = ["--weights", args.weights]
        dec[1:1] = ["--weights", args.weights]
    subprocess.run(enc, check=True)
    subprocess.run(dec, check=True)
    a = np.asarray(Image.open(path).convert("RGB"))
    b = np.asarray(Image.open(base + ".png").convert("RGB"))
    bits = os.path.getsize(base + ".dlic") * 8
    return bits / (a.shape[0] * a.shape[1]), psnr(a, b)


def webp_point(path, q):
    im = Image.open(path).convert("RGB")
    buf = io.BytesIO()
    im.save(buf, "WEBP", quality=q, method=6)
    b = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    a = np.asarray(im)
    return buf.tell() * 8 / (a.shape[0] * a.shape[1]), psnr(a, b)


def curve(fn, qs, images, jobs):
    out = []
    with ThreadPoolExecutor(jobs) as ex:
        for q in qs:
            pts = list(ex.map(lambda p: fn(p, q), images))
            out.append((q, float(np.mean([p[0] for p in pts])),
                        float(np.mean([p[1] for p in pts]))))
            print(f"  q={q:3d}  bpp {out[-1][1]:.4f}  PSNR {out[-1][2]:.3f}",
                  file=sys.stderr, flush=True)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--weights")
    ap.add_argument("--q", default="5,20,40,60,80,100")
    ap.add_argument("--images", type=int, default=24)
    ap.add_argument("--webp", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    images = sorted(os.path.join(KODAK, f) for f in os.listdir(KODAK)
                    if f.endswith(".png"))[:args.images]
    qs = [int(v) for v in args.q.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        print("DLIC", file=sys.stderr)
        d = curve(lambda p, q: dlic_point(args, p, q, tmp), qs, images, args.jobs)
    dl = [(b, p) for _, b, p in d]
    print("| codec | q | bpp | PSNR |\n|---|---|---|---|")
    for q, b, p in d:
        print(f"| DLIC | {q} | {b:.4f} | {p:.2f} |")
    if args.webp:
        print("WebP", file=sys.stderr)
        w = curve(webp_point, [5, 20, 40, 60, 80, 95], images, args.jobs)
        for q, b, p in w:
            print(f"| WebP m6 | {q} | {b:.4f} | {p:.2f} |")
        print(f"\nBD-rate vs WebP (measured): {bd_rate([(b, p) for _, b, p in w], dl):+.1f}%")
    print(f"BD-rate vs BPG 4:4:4 (published): {bd_rate(BPG444, dl):+.1f}%")


if __name__ == "__main__":
    main()
