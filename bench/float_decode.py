#!/usr/bin/python3
"""Float decode time of the DLIC network in PyTorch, for the speed ratio
of `make bench-speed`: h_s then g_s (train/model.py, plain float convs,
no fake quantisation) on the latents of one image, median of several
runs. Weights are freshly initialised: the time depends on shapes only.

usage: float_decode.py [--width 768] [--height 512] [--threads 2] [--runs 5]
prints: float_decode_ms <median> macs_per_pixel <n>
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))

import torch  # noqa: E402

from model import DLIC  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--width", type=int, default=768)
    ap.add_argument("--height", type=int, default=512)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--N", type=int, default=128)
    ap.add_argument("--M", type=int, default=192)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = DLIC(N=a.N, M=a.M).eval()
    h, w = a.height // 16, a.width // 16
    y = torch.randn(1, a.M, h, w)
    z = torch.randn(1, a.N, h // 4, w // 4)
    times = []
    with torch.no_grad():
        for i in range(a.runs + 1):
            t0 = time.perf_counter()
            net.h_s(z)
            x = net.g_s(y)
            t1 = time.perf_counter()
            if i:                      # the first run warms up
                times.append((t1 - t0) * 1e3)
    assert x.shape[-2:] == (a.height, a.width)
    print("float_decode_ms %.1f runs %d threads %d" % (statistics.median(times), a.runs, a.threads))


if __name__ == "__main__":
    main()
