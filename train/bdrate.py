"""Bjontegaard delta rate (VCEG-M33), as tools/bench/bdrate.c computes it.

Used by export.py to compare the integer model with the float model;
Kodak benchmarks of the real files are tools/dlic-bench's job.
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
