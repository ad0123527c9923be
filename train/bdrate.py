"""Bjontegaard delta rate (VCEG-M33), as tools/bench/bdrate.c computes it.

Used by export.py to compare the integer model with the float model;
Kodak benchmarks of the real files are tools/dlic-bench's job, and
`bdrate.py REF_DIR TEST_DIR` compares the DLIC points of two dlic-bench
output folders (e.g. two encoder efforts).
"""
import math

import numpy as np


def bd_rate(ref, test):
    """BD-rate (%) of test vs ref; each a list of (bpp, psnr) points.

    Cubic fit of log(rate) as a function of PSNR, integrated over the
    overlapping PSNR interval."""
    r1 = np.log([p[0] for p in ref])
    d1 = np.array([p[1] for p in ref])
    r2 = np.log([p[0] for p in test])
    d2 = np.array([p[1] for p in test])
    deg = min(3, len(ref) - 1, len(test) - 1)
    p1, p2 = np.polyfit(d1, r1, deg), np.polyfit(d2, r2, deg)
    lo, hi = max(d1.min(), d2.min()), min(d1.max(), d2.max())
    if hi <= lo:
        return float("nan")
    i1, i2 = np.polyint(p1), np.polyint(p2)
    a1 = np.polyval(i1, hi) - np.polyval(i1, lo)
    a2 = np.polyval(i2, hi) - np.polyval(i2, lo)
    return (math.exp((a2 - a1) / (hi - lo)) - 1) * 100


def _curves(folder):
    """dlic-bench's points.csv in folder: the mean curve (bpp and PSNR
    averaged over the images at each quality, as avg_dlic.csv) and each
    image's curve."""
    import csv
    import os
    per, by_q = {}, {}
    with open(os.path.join(folder, "points.csv")) as f:
        for row in csv.DictReader(f):
            if row["codec"] != "dlic":
                continue
            p = (float(row["bpp"]), float(row["psnr"]))
            per.setdefault(row["image"], []).append(p)
            by_q.setdefault(int(row["quality"]), {})[row["image"]] = p
    return by_q, per


def main():
    """BD-rate of the DLIC points of one dlic-bench output folder against
    another's, over the images and qualities both have: the mean curve and
    the mean of the per-image BD-rates."""
    import sys
    if len(sys.argv) != 3:
        raise SystemExit("usage: bdrate.py REF_BENCH_DIR TEST_BENCH_DIR")
    (qa, pa), (qb, pb) = _curves(sys.argv[1]), _curves(sys.argv[2])
    imgs = sorted(set(pa) & set(pb))
    qs = sorted(q for q in set(qa) & set(qb)
                if all(i in qa[q] and i in qb[q] for i in imgs))
    if len(qs) < 2 or not imgs:
        raise SystemExit("fewer than two common qualities or no common image")

    def mean(byq):
        return [tuple(np.mean([byq[q][i][k] for i in imgs]) for k in (0, 1)) for q in qs]

    per = [bd_rate([qa[q][i] for q in qs], [qb[q][i] for q in qs]) for i in imgs]
    print(f"{len(imgs)} images, qualities {','.join(map(str, qs))}: BD-rate "
          f"{bd_rate(mean(qa), mean(qb)):+.2f}% on the mean curve, "
          f"{np.mean(per):+.2f}% per image (mean), "
          f"{sum(p < 0 for p in per)} of {len(per)} images better")


if __name__ == "__main__":
    main()
