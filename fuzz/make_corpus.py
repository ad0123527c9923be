#!/usr/bin/python3
"""Seed corpora of the fuzz targets, deterministic (fuzz/README.md).

    /usr/bin/python3 fuzz/make_corpus.py [BUILD_DIR]

Streams are made with BUILD_DIR/dlic-enc (default build/) and the test models
weights/dlic-test.dlicm and weights/dlic-test-cb.dlicm (checkerboard
context, decode seeds seed-cb* with the model bit 0x20 of the flags byte),
which the fuzz targets embed, so the seeds do not change when the default
model does. Writes fuzz/corpus/{probe,decode,rangecoder}/seed-*; crashers
found by fuzzing go beside them as crash-*.
"""
import os
import random
import struct
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "train"))
from intnet import chunk  # noqa: E402

SIG = b"\x89DLIC\r\n\x1a"
CB = 0x20           # FUZZ_CB_MODEL of fuzz/fuzz_common.h


def encode(enc, img, q, tmp, model="dlic-test.dlicm"):
    src = os.path.join(tmp, "in.png")
    out = os.path.join(tmp, "out.dlic")
    Image.fromarray(img).save(src)
    subprocess.run([enc, "-quiet", "--weights", os.path.join(ROOT, "weights", model),
                    "-q", str(q), src, "-o", out], check=True)
    with open(out, "rb") as f:
        return f.read()


def chunks(s):
    pos, out = 8, []
    while pos + 8 <= len(s):
        (n,) = struct.unpack_from("<I", s, pos)
        out.append((s[pos + 4:pos + 8].decode(), s[pos + 8:pos + 8 + n]))
        pos += 12 + n
    return out


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    enc = os.path.join(build, "dlic-enc")
    rng = np.random.default_rng(5)
    streams = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (h, w, q, gray) in enumerate([(1, 1, 75, 0), (8, 8, 0, 0),
                                             (17, 5, 100, 0), (64, 64, 50, 0),
                                             (3, 40, 90, 1), (33, 65, 20, 0)]):
            img = rng.integers(0, 256, (h, w, 3), np.uint8)
            img = (img // 2 + np.linspace(0, 120, w, dtype=np.uint8)[None, :, None])
            if gray:
                img = img[..., 0]
            streams.append(encode(enc, img, q, tmp))
        # The checkerboard-context model (SPEC §6.1, §7.4): 200x16 has 16
        # latent rows, many more than the lag R (3) of the test model.
        rng = np.random.default_rng(6)
        cb_streams = []
        for h, w, q, gray in [(1, 1, 75, 0), (8, 8, 0, 0), (17, 5, 100, 0), (64, 64, 50, 0),
                              (3, 40, 90, 1), (33, 65, 20, 0), (200, 16, 60, 0)]:
            img = rng.integers(0, 256, (h, w, 3), np.uint8)
            img = (img // 2 + np.linspace(0, 120, w, dtype=np.uint8)[None, :, None])
            if gray:
                img = img[..., 0]
            cb_streams.append(encode(enc, img, q, tmp, "dlic-test-cb.dlicm"))
    # Containers with ancillary chunks, gray HEAD, big dimensions.
    base = streams[1]
    cs = chunks(base)
    anc = SIG + chunk(*cs[0]) + chunk("iccp", b"icc!" * 8) + chunk("exif", b"MM\x00*") \
        + chunk("zzzz", b"") + chunk(*cs[1]) + chunk("abcd", b"x") + chunk(*cs[2]) \
        + chunk(*cs[3])
    streams.append(anc)

    out = {t: os.path.join(ROOT, "fuzz", "corpus", t)
           for t in ("probe", "decode", "rangecoder")}
    for d in out.values():
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            if f.startswith("seed-"):
                os.remove(os.path.join(d, f))

    def put(t, name, data):
        with open(os.path.join(out[t], "seed-" + name), "wb") as f:
            f.write(data)

    for i, s in enumerate(streams):
        for flags in (0, 1, 3):
            put("probe", "%02d-%d" % (i, flags), bytes([flags]) + s)
            put("decode", "%02d-%d" % (i, flags), bytes([flags]) + s)
        for t, p in chunks(s):
            if t in ("ZLAT", "YLAT"):
                put("rangecoder", "%02d-%s" % (i, t), bytes([0, 0 if t == "ZLAT" else 16]) + p)
    for i, s in enumerate(cb_streams):
        for flags in (CB, CB | 1, CB | 3):
            put("decode", "cb%02d-%d" % (i, flags), bytes([flags]) + s)
    r = random.Random(5)
    for i in range(4):
        recs = b"".join(bytes([r.randrange(256)]) + struct.pack("<i", r.randrange(-2**31, 2**31))
                        for _ in range(20 * (i + 1)))
        put("rangecoder", "roundtrip-%d" % i, b"\x01" + recs)
    # The conformance streams (default model; flags 3 rewrites the model id).
    conf = os.path.join(ROOT, "conformance", "streams")
    for f in sorted(os.listdir(conf)) if os.path.isdir(conf) else []:
        with open(os.path.join(conf, f), "rb") as fh:
            data = fh.read()
        if len(data) <= 4096:
            for t in ("probe", "decode"):
                put(t, "conf-" + f[:-5], b"\x03" + data)
    # The context conformance streams (weights/dlic-test-cb.dlicm).
    conf = os.path.join(ROOT, "conformance", "context", "streams")
    for f in sorted(os.listdir(conf)) if os.path.isdir(conf) else []:
        with open(os.path.join(conf, f), "rb") as fh:
            data = fh.read()
        if len(data) <= 4096:
            put("decode", "conf-" + f[:-5], bytes([CB | 3]) + data)
    put("probe", "empty", b"\x00")
    put("decode", "empty", b"\x00")
    put("rangecoder", "short", b"\x00\x00\x00\x00\x00\x00\x00")


if __name__ == "__main__":
    main()
