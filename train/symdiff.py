#!/usr/bin/python3
"""What an encoder search changed: compare two streams of one image.

    /usr/bin/python3 train/symdiff.py [--model M] A.dlic B.dlic [...]

Arguments come in pairs (A B A B ...), typically effort 5 and a search
effort of the same image and quality.  For each pair it prints the share
of latent values (the dequantised YH of SPEC §6) and of coded symbols S
that differ, the share of zero symbols in each, and whether the
hyper-latent Z differs.  It decodes with refdec.py (pure Python: a few
seconds per Kodak image).
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from intnet import DlicError, parse_model  # noqa: E402
from refdec import DEFAULT_MODEL, decode_latent  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("streams", nargs="+")
    ap.add_argument("--model", "--weights", default=DEFAULT_MODEL)
    a = ap.parse_args()
    if len(a.streams) % 2:
        ap.error("streams come in pairs")
    with open(a.model, "rb") as f:
        m = parse_model(f.read())
    tot = np.zeros(5)
    for i in range(0, len(a.streams), 2):
        try:
            la, lb = (decode_latent(open(p, "rb").read(), m)
                      for p in a.streams[i:i + 2])
        except (DlicError, OSError) as e:
            print(f"symdiff: {e}", file=sys.stderr)
            return 1
        (za, sa, ya, _), (zb, sb, yb, _) = la, lb
        if sa.shape != sb.shape:
            print(f"symdiff: {a.streams[i]} and {a.streams[i + 1]} differ in size",
                  file=sys.stderr)
            return 1
        r = np.array([np.mean(ya != yb), np.mean(sa != sb), np.mean(sa == 0),
                      np.mean(sb == 0), float(np.any(za != zb))])
        tot += r
        print(f"{os.path.basename(a.streams[i])} {os.path.basename(a.streams[i + 1])}: "
              f"YH changed {r[0]:.2%}, S changed {r[1]:.2%}, "
              f"zero S {r[2]:.2%} -> {r[3]:.2%}, Z {'changed' if r[4] else 'same'}")
    n = len(a.streams) // 2
    if n > 1:
        r = tot / n
        print(f"mean of {n}: YH changed {r[0]:.2%}, S changed {r[1]:.2%}, "
              f"zero S {r[2]:.2%} -> {r[3]:.2%}, Z changed in {r[4]:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
