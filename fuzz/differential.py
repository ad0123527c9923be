#!/usr/bin/python3
"""Differential check of the decode corpus: C decoder against train/refdec.py.

    /usr/bin/python3 fuzz/differential.py BUILD_DIR

For every input of fuzz/corpus/decode, applies the fuzz target's fix-ups
(flags byte, fuzz/fuzz_common.h), then decodes the stream with
BUILD_DIR/dlic-dec and with train/refdec.py, both with the test model that
the flags byte picks (weights/dlic-test-cb.dlicm with bit 0x20, else
weights/dlic-test.dlicm): they must give the same pixel hash (SPEC §9) or
the same error (dlic_strerror text). Exits 1 on any difference.
"""
import os
import re
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "train"))
import intnet  # noqa: E402
import refdec  # noqa: E402

MODELS = [os.path.join(ROOT, "weights", f) for f in ("dlic-test.dlicm", "dlic-test-cb.dlicm")]
CB = 0x20           # FUZZ_CB_MODEL of fuzz/fuzz_common.h


def fixup(d, flags, model_id):
    """fuzz_fixup() of fuzz/fuzz_common.c."""
    d, pos = bytearray(d), 8
    while pos + 8 <= len(d):
        (n,) = struct.unpack_from("<I", d, pos)
        if n > len(d) - pos - 8 or len(d) - pos - 8 - n < 4:
            break
        if flags & 2 and d[pos + 4:pos + 8] == b"HEAD" and n == 24:
            struct.pack_into("<Q", d, pos + 8 + 16, model_id)
        if flags & 1:
            struct.pack_into("<I", d, pos + 8 + n, intnet.xxh32(bytes(d[pos + 4:pos + 8 + n])))
        pos += 12 + n
    return bytes(d)


def main():
    b = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    models = []
    for path in MODELS:
        with open(path, "rb") as f:
            models.append(intnet.parse_model(f.read()))
    with open(os.path.join(ROOT, "codec", "lib.c")) as f:
        msgs = dict(re.findall(r'case DLIC_ERR_([A-Z_]+):\s*return "([^"]+)"', f.read()))
    corpus = os.path.join(ROOT, "fuzz", "corpus", "decode")
    n = bad = pixels = 0
    with tempfile.TemporaryDirectory() as t:
        for name in sorted(os.listdir(corpus)):
            with open(os.path.join(corpus, name), "rb") as f:
                data = f.read()
            if len(data) < 2:
                continue
            cb = 1 if data[0] & CB else 0
            m = models[cb]
            s = fixup(data[1:], data[0], m.id)
            path = os.path.join(t, "s.dlic")
            with open(path, "wb") as f:
                f.write(s)
            try:
                want = intnet.pixel_hash(refdec.decode(s, m)[0])
            except intnet.DlicError as e:
                want = "error " + e.name
            r = subprocess.run([os.path.join(b, "dlic-dec"), "-quiet", "--weights", MODELS[cb],
                                path, "-o", os.path.join(t, "o.ppm")],
                               capture_output=True, text=True)
            if r.returncode == 0:
                got = subprocess.run([os.path.join(b, "conformance", "pixhash"),
                                      os.path.join(t, "o.ppm")],
                                     capture_output=True, text=True).stdout.strip()
            else:
                got = "error " + next((k for k, v in msgs.items() if v in r.stderr),
                                      r.stderr.strip())
            n += 1
            pixels += not want.startswith("error")
            if got != want:
                bad += 1
                print("differential.py: %s: refdec.py %s, dlic-dec %s" % (name, want, got))
    print("differential.py: %d inputs (%d decode to pixels), %d differences"
          % (n, pixels, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
