#!/usr/bin/python3
"""Self-test of the Python reference codec (no C tools needed).

    /usr/bin/python3 train/test_refdec.py

Round-trips small images through intnet.encode_image (the reference
encoder) and refdec.decode with weights/dlic-test.dlicm, checks the
pixels against the encoder's own reconstruction, and checks the error
of a set of damaged streams (SPEC §4).  Exits nonzero on any failure.
"""
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import intnet  # noqa: E402
import refdec  # noqa: E402

MODEL = os.path.join(HERE, "..", "weights", "dlic-test.dlicm")
failures = 0


def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures += 1


def expect_error(m, data, name, what):
    try:
        refdec.decode(data, m)
    except intnet.DlicError as e:
        check(e.name == name, f"{what}: {e.name} (want {name})")
        return
    check(False, f"{what}: decoded (want {name})")


def reconstruction(m, img, q):
    """What the encoder expects the decoder to produce: g_s of the latent
    intnet.analyse() codes (§6), cropped (§3)."""
    h, w = img.shape[:2]
    _, S, MU, idx = intnet.analyse(m, img, q, intnet.RDOQ_KAPPA)
    YH = intnet.dequantize_latent(m, S, MU, q)
    return intnet.run_transform(m, "g_s", YH)[:h, :w].astype(np.uint8), S, idx


def test_image(rng, h, w):
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.stack([(xx * 255 // max(w - 1, 1)), (yy * 255 // max(h - 1, 1)),
                    ((xx + yy) * 7) % 256], -1).astype(np.int64)
    img += rng.integers(-20, 21, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def test_rangecoder(rng):
    """Random symbols, bypass bits and escaped values through §7."""
    t = intnet.Table(-3, [1, 2000, 30000, 30000, 3000, 534, 1])
    enc = intnet.RangeEncoder()
    vals = list(rng.integers(-5, 6, 3000)) + [-2**30, 2**30 - 1, 100000, -7]
    for v in vals:
        enc.value(t, int(v))
    data = enc.finish()
    dec = intnet.RangeDecoder(data)
    got = [dec.value(t) for _ in vals]
    dec.finish()
    check(got == [int(v) for v in vals], f"range coder round trip ({len(data)} bytes)")


def main():
    rng = np.random.default_rng(1)
    with open(MODEL, "rb") as f:
        m = intnet.parse_model(f.read())
    print(f"model {m.name} id {m.id:016x}")
    test_rangecoder(rng)

    cases = [(1, 1, 75), (3, 7, 0), (45, 70, 100), (96, 128, 50), (70, 130, 30)]
    for h, w, q in cases:
        img = test_image(rng, h, w)
        data = intnet.encode_image(m, img, q)
        rgb, hd = refdec.decode(data, m)
        want, S, idx = reconstruction(m, img, q)
        esc = sum(int(((S[idx == i] < m.gt[i].lo)
                       | (S[idx == i] >= m.gt[i].lo + m.gt[i].nv)).sum())
                  for i in np.unique(idx))
        check(np.array_equal(rgb, want),
              f"{w}x{h} q={q}: {len(data)} bytes, {esc} escapes, "
              f"{intnet.pixel_hash(rgb)}")

    # gray (§3.1)
    g = test_image(rng, 20, 33)[..., 1]
    data = intnet.encode_image(m, g, 60)
    rgb, hd = refdec.decode(data, m)
    want, _, _ = reconstruction(m, np.repeat(g[..., None], 3, 2), 60)
    wi = want.astype(np.int64)
    wg = (wi[..., 0] + 2 * wi[..., 1] + wi[..., 2] + 2) >> 2
    check(hd["colour"] == 1 and np.array_equal(rgb[..., 0], wg)
          and np.array_equal(rgb[..., 1], wg), "gray 33x20")

    # container rules (§4)
    img = test_image(rng, 8, 8)
    good = intnet.encode_image(m, img, 75, ancillary=[("exif", b"II*\x00")])
    rgb, _ = refdec.decode(good, m)
    check(True, "ancillary chunk skipped")
    expect_error(m, good[:-1], "TRUNCATED", "truncated")
    expect_error(m, good + b"\x00", "CORRUPT", "byte after DEND")
    expect_error(m, b"PNG" + good[3:], "NOT_DLIC", "bad signature")
    bad = bytearray(good)
    bad[8 + 8 + 3] ^= 1                                   # inside HEAD
    expect_error(m, bytes(bad), "CHECKSUM", "flipped HEAD byte")
    head = good[8:8 + 8 + 24 + 4]
    rest = good[8 + len(head):]
    h2 = bytearray(head[8:32])
    h2[0] = 2
    expect_error(m, intnet.SIGNATURE + intnet.chunk("HEAD", bytes(h2)) + rest,
                 "UNSUPPORTED", "version 2")
    h2 = bytearray(head[8:32])
    h2[16:24] = struct.pack("<Q", m.id ^ 1)
    expect_error(m, intnet.SIGNATURE + intnet.chunk("HEAD", bytes(h2)) + rest,
                 "MODEL_MISMATCH", "other model id")
    expect_error(m, intnet.SIGNATURE + head + intnet.chunk("ABCD", b"") + rest,
                 "UNSUPPORTED", "unknown critical chunk")
    expect_error(m, intnet.SIGNATURE + head + head + rest, "CORRUPT", "repeated HEAD")
    # model file checks (§8.6)
    with open(MODEL, "rb") as f:
        raw = f.read()
    for what, bad in (("truncated model", raw[:-1]), ("byte after check", raw + b"\0"),
                      ("flipped weight", raw[:200] + bytes([raw[200] ^ 4]) + raw[201:])):
        try:
            intnet.parse_model(bad)
            check(False, f"{what}: accepted")
        except intnet.DlicError as e:
            check(e.name == "BAD_MODEL", f"{what}: {e.name}")
    # g_s lite (§8.7): m's g_s appended as the extension keeps the model
    # id; the lite decode of a stream then equals the full one; damage
    # to the extension is BAD_MODEL; a model without one refuses --lite
    m2 = intnet.parse_model(raw)
    m2.t[intnet.LITE] = m2.t["g_s"]
    ext = intnet.write_model(m2)
    ml = intnet.parse_model(ext)
    check(ml.id == m.id and len(ext) > len(raw) and ext[:len(raw)] == raw,
          "g_s lite: same model id, main part unchanged")
    check(np.array_equal(refdec.decode(good, ml, lite=True)[0],
                         refdec.decode(good, ml)[0]), "g_s lite = g_s decodes alike")
    for what, bad in (("lite truncated", ext[:-1]), ("byte after lite", ext + b"\0"),
                      ("lite flipped", ext[:len(raw) + 40] + bytes([ext[len(raw) + 40] ^ 4])
                       + ext[len(raw) + 41:]),
                      ("lite magic", raw + b"LITF" + ext[len(raw) + 4:])):
        try:
            intnet.parse_model(bad)
            check(False, f"{what}: accepted")
        except intnet.DlicError as e:
            check(e.name == "BAD_MODEL", f"{what}: {e.name}")
    try:
        refdec.decode(good, m, lite=True)
        check(False, "--lite without g_s lite: decoded")
    except intnet.DlicError as e:
        check(e.name == "UNSUPPORTED", f"--lite without g_s lite: {e.name}")
    L = m.t["h_s"][0]
    L.B = L.B.copy()
    L.B[0] = 2**31 - 1                       # breaks the accumulator bound
    body = intnet.write_model(m)
    try:
        intnet.parse_model(body)
        check(False, "accumulator bound: accepted")
    except intnet.DlicError as e:
        check(e.name == "BAD_MODEL" and "accumulator" in str(e),
              f"accumulator bound: {e}")
    print("ALL OK" if failures == 0 else f"{failures} FAILURES")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
