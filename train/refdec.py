#!/usr/bin/python3
"""DLIC reference decoder in Python/numpy, written from SPEC.md alone.

    /usr/bin/python3 train/refdec.py [--model weights/default.dlicm] IN.dlic \\
        [-o OUT.ppm]

Prints the SPEC §9 hash of the decoded RGB pixels ("xxh3:<16 hex>", or
"sha256:<hex>" without python3-xxhash) and writes a binary PPM (P6; a
gray stream is written as R = G = B, or as P5 when OUT ends in .pgm).
On failure it prints the dlic_error name and exits with status 1.

It is meant to be read next to the specification: the container (§4),
the model file (§8, via intnet.parse_model), the range decoder (§7,
intnet.RangeDecoder), the entropy parameters (§6) and the integer
network (§5, intnet.run_layer) are each a few lines.  It is slow (the
range decoder is pure Python) but exact.
"""
import argparse
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from intnet import (LITE, SIGNATURE, DlicError, RangeDecoder, anchors,  # noqa: E402
                    context_lag, context_params, dequantize_latent,
                    entropy_params, fail,
                    hyper_params, latent_order, padded_size, parse_model,
                    pixel_hash, run_transform, xxh32)

DEFAULT_MODEL = os.path.join(HERE, "..", "weights", "default.dlicm")
CRITICAL = ("HEAD", "ZLAT", "YLAT", "DEND")


def read_chunks(data):
    """SPEC §4.1, §4.2: the chunk list, every rule checked.
    Returns {type: payload} for the critical chunks plus the ancillary
    chunks as a list of (type, payload)."""
    if len(data) < 8:
        if SIGNATURE.startswith(data):
            fail("TRUNCATED", "data ends inside the signature")
        fail("NOT_DLIC", "no DLIC signature")
    if data[:8] != SIGNATURE:
        fail("NOT_DLIC", "no DLIC signature")
    pos, crit, anc = 8, {}, []
    while True:
        if pos + 8 > len(data):
            fail("TRUNCATED", "data ends before DEND")
        (length,) = struct.unpack_from("<I", data, pos)
        ctype = data[pos + 4:pos + 8]
        if length > 2**31 - 1:
            fail("CORRUPT", "chunk length >= 2^31")
        if not all(65 <= c <= 90 or 97 <= c <= 122 for c in ctype):
            fail("CORRUPT", "chunk type is not four letters")
        end = pos + 8 + length + 4
        if end > len(data):
            fail("TRUNCATED", f"chunk {ctype!r} extends past the data")
        payload = data[pos + 8:pos + 8 + length]
        (check,) = struct.unpack_from("<I", data, end - 4)
        if check != xxh32(ctype + payload):
            fail("CHECKSUM", f"chunk {ctype.decode()}")
        name = ctype.decode("ascii")
        pos = end
        if 97 <= ctype[0] <= 122:                      # ancillary
            if not crit:
                fail("CORRUPT", "first chunk is not HEAD")
            anc.append((name, payload))
            continue
        if name not in CRITICAL:
            fail("UNSUPPORTED", f"unknown critical chunk {name}")
        want = CRITICAL[len(crit)]
        if name != want:
            fail("CORRUPT", f"critical chunk {name} where {want} belongs")
        crit[name] = payload
        if name == "DEND":
            if length != 0:
                fail("CORRUPT", "DEND is not empty")
            if pos != len(data):
                fail("CORRUPT", "bytes after DEND")
            return crit, anc


def parse_head(p):
    """SPEC §4.3."""
    if len(p) != 24:
        fail("CORRUPT", "HEAD length is not 24")
    (vmaj, vmin, flags, width, height, colour, depth, quality, reserved,
     model_id) = struct.unpack("<BBHIIBBBBQ", p)
    if vmaj != 1:
        fail("UNSUPPORTED", f"version {vmaj}.{vmin}")
    if flags != 0:
        fail("UNSUPPORTED", f"flags {flags:#x}")
    if not 1 <= width <= 65535 or not 1 <= height <= 65535:
        fail("CORRUPT", f"size {width}x{height}")
    if colour not in (0, 1):
        fail("UNSUPPORTED", f"colour model {colour}")
    if depth != 8:
        fail("UNSUPPORTED", f"bit depth {depth}")
    if quality > 100:
        fail("CORRUPT", f"quality {quality}")
    if reserved != 0:
        fail("CORRUPT", "reserved byte")
    return dict(width=width, height=height, colour=colour, q=quality,
                model_id=model_id)


def decode_latent(data, m):
    """Stream bytes -> (Z, S, YH, head dict): the hyper-latent, the coded
    symbols and the dequantised latent (§6, §7), before the synthesis."""
    crit, _ = read_chunks(data)
    hd = parse_head(crit["HEAD"])
    if hd["model_id"] != m.id:
        fail("MODEL_MISMATCH", f"stream model {hd['model_id']:016x}, "
             f"decoder model {m.id:016x}")
    w, h, q = hd["width"], hd["height"], hd["q"]
    Wp, Hp = padded_size(w, h)                          # §3.2

    # §7.3: the hyper-latent
    zlo, zhi = m.t["h_a"][-1].lo, m.t["h_a"][-1].hi
    rd = RangeDecoder(crit["ZLAT"])
    Z = np.zeros((Hp // 64, Wp // 64, m.NZ), np.int64)
    for y in range(Hp // 64):
        for x in range(Wp // 64):
            for c in range(m.NZ):
                v = rd.value(m.zt[c])
                if not zlo <= v <= zhi:
                    fail("CORRUPT", "Z outside the output range of h_a")
                Z[y, x, c] = v
    rd.finish()

    # §6, §7.4: entropy parameters, then the latent
    P, H = hyper_params(m, Z)
    MU, idx = entropy_params(m, P, q)
    rd = RangeDecoder(crit["YLAT"])
    yh, yw = Hp // 16, Wp // 16
    S = np.zeros((yh, yw, m.M), np.int64)
    A = anchors(yh, yw)
    R = context_lag(m) if H is not None else 0
    done = -1                          # non-anchor rows with c_ep's MU, idx
    for y, x in latent_order(m, yh, yw):
        if H is not None and not A[y, x] and y > done:   # §6.1: its anchors are in S
            # c_ep's row y reads rows y - R .. y + R only (§7.4), so run the
            # context on those; the tensor's own edges stay zero-padded.
            a, b = max(0, y - R), min(yh, y + R + 1)
            YH = dequantize_latent(m, S[a:b], MU[a:b], q)
            MU2, idx2 = entropy_params(m, context_params(m, H[a:b], YH, A[a:b])[y - a], q)
            MU[y] = np.where(A[y, :, None], MU[y], MU2)
            idx[y] = np.where(A[y, :, None], idx[y], idx2)
            done = y
        for c in range(m.M):
            S[y, x, c] = rd.value(m.gt[idx[y, x, c]])
    rd.finish()
    return Z, S, dequantize_latent(m, S, MU, q), hd


def decode(data, m, lite=False):
    """Stream bytes -> (H x W x 3 uint8 RGB, head dict); lite: synthesis
    by g_s lite (§8.7) instead of g_s."""
    if lite and LITE not in m.t:
        fail("UNSUPPORTED", "the model has no g_s lite (SPEC §8.7)")
    _, _, YH, hd = decode_latent(data, m)
    w, h = hd["width"], hd["height"]

    # §5.3, §3.3, §3.1: synthesis, crop, gray
    X = run_transform(m, LITE if lite else "g_s", YH)[:h, :w]
    if hd["colour"] == 1:
        g = (X[..., 0] + 2 * X[..., 1] + X[..., 2] + 2) >> 2
        X = np.repeat(g[..., None], 3, axis=2)
    return X.astype(np.uint8), hd


def write_pnm(path, rgb, gray):
    h, w = rgb.shape[:2]
    if gray and path.lower().endswith(".pgm"):
        body, magic = rgb[..., 0], b"P5"
    else:
        body, magic = rgb, b"P6"
    with open(path, "wb") as f:
        f.write(magic + b"\n%d %d\n255\n" % (w, h))
        f.write(np.ascontiguousarray(body, np.uint8).tobytes())


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input")
    ap.add_argument("-o", "--output")
    ap.add_argument("--model", "--weights", default=DEFAULT_MODEL)
    ap.add_argument("--lite", action="store_true",
                    help="synthesise with the model's g_s lite (SPEC §8.7)")
    a = ap.parse_args()
    try:
        with open(a.model, "rb") as f:
            m = parse_model(f.read())
        with open(a.input, "rb") as f:
            data = f.read()
        rgb, hd = decode(data, m, a.lite)
    except DlicError as e:
        print(f"refdec: {e}", file=sys.stderr)
        return 1
    if a.output:
        write_pnm(a.output, rgb, hd["colour"] == 1)
    print(pixel_hash(rgb))
    return 0


if __name__ == "__main__":
    sys.exit(main())
