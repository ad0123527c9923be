#!/usr/bin/python3
"""Regenerates the conformance streams, hashes and must-fail corpus.

    /usr/bin/python3 conformance/regen.py BUILD_DIR     (conformance/regen.sh)

For every vector of make_sources.VECTORS: encodes the committed source with
BUILD_DIR/dlic-enc (1 thread, scalar), adds container chunks where the
vector says so (or builds the stream in Python from hand-chosen latents),
decodes it with train/refdec.py (instrumented to count escape codes) and
with BUILD_DIR/dlic-dec, and fails unless both give the same pixel hash.
Then builds conformance/mustfail/ from a conformance stream and checks that
refdec.py fails each case with the designed error. Writes streams.txt,
streams/*.dlic, decoded/*.png, mustfail/*.dlic and mustfail/cases.txt.
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, os.path.join(ROOT, "train"))
sys.path.insert(0, HERE)
import intnet  # noqa: E402
import refdec  # noqa: E402
from intnet import (SIGNATURE, DlicError, RangeEncoder, chunk,  # noqa: E402
                    entropy_params, parse_model, pixel_hash)
from make_sources import VECTORS  # noqa: E402

DECODED_PNG = ("px1x1-q75", "gray64-q75", "text128x64-q85", "kodak192x128-q75",
               "synth-escapes")


def die(msg):
    sys.exit("regen: " + msg)


# --------------------------------------------------- instrumented refdec

ESCAPES = [0]
_value = intnet.RangeDecoder.value


def _counting_value(self, t):
    v = _value(self, t)
    if not t.lo <= v < t.lo + t.nv:
        ESCAPES[0] += 1
    return v


intnet.RangeDecoder.value = _counting_value


def ref_decode(data, m):
    """(pixel hash, escape count, head) from train/refdec.py."""
    ESCAPES[0] = 0
    rgb, hd = refdec.decode(data, m)
    return pixel_hash(rgb), ESCAPES[0], hd


# ------------------------------------------------------------ containers

def chunks(s):
    """[(type, payload)] of a well-formed stream."""
    pos, out = 8, []
    while pos < len(s):
        (n,) = struct.unpack_from("<I", s, pos)
        out.append((s[pos + 4:pos + 8].decode(), s[pos + 8:pos + 8 + n]))
        pos += 12 + n
    return out


def build(cs):
    return SIGNATURE + b"".join(chunk(t, p) for t, p in cs)


EXIF = (b"II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00"
        b"\x01\x00\x00\x00\x00\x00\x00\x00")        # TIFF header, Orientation = 1


def post_process(s, kind):
    cs = chunks(s)
    if kind == "exif":
        return build(cs[:1] + [("exif", EXIF)] + cs[1:])
    if kind == "anc":
        i = [t for t, _ in cs].index("ZLAT")
        return build(cs[:1] + [("iccp", b"not a real profile, stored as is"),
                               ("exif", EXIF), ("teSt", b""), ("zzzz", bytes(range(256)))]
                     + cs[1:i + 1] + [("mIdl", b"between ZLAT and YLAT")]
                     + cs[i + 1:i + 2] + [("exif", EXIF[::-1]), ("lAst", b"\x00")]
                     + cs[i + 2:])
    die("unknown post-processing " + kind)


def synth_stream(m, q, w, h, gray, seed):
    """A valid stream whose latents are chosen by hand, not by g_a: every
    hyper-latent at the ends of h_a's output range and latents of every
    size up to the largest SPEC §7.2 allows (30 escape one-bits)."""
    rng = np.random.default_rng(seed)
    Wp, Hp = intnet.padded_size(w, h)
    zlo, zhi = m.t["h_a"][-1].lo, m.t["h_a"][-1].hi
    Z = rng.choice([zlo, zhi, zlo + 1, zhi - 1, 0], (Hp // 64, Wp // 64, m.NZ))
    P, H = intnet.hyper_params(m, Z.astype(np.int64))
    MU, idx = entropy_params(m, P, q)
    ez, ey = RangeEncoder(), RangeEncoder()
    for y in range(Z.shape[0]):
        for x in range(Z.shape[1]):
            for c in range(m.NZ):
                ez.value(m.zt[c], int(Z[y, x, c]))

    def pick(idx, where):
        S = np.zeros(idx.shape, np.int64)
        for y in range(S.shape[0]):
            for x in range(S.shape[1]):
                if not where[y, x]:
                    continue
                for c in range(m.M):
                    t = m.gt[idx[y, x, c]]
                    hi, lo = t.lo + t.nv, t.lo - 1      # first escaped values
                    k = rng.integers(0, 8)
                    v = [0, hi, lo, hi + rng.integers(0, 1000), lo - rng.integers(0, 1000),
                         hi + (1 << 30) - 1, lo - (1 << 30) + 2,
                         int(rng.integers(-(1 << 29), 1 << 29))][k]
                    if gray:
                        v = [hi, lo, hi + 5, lo - 5][k % 4]
                    S[y, x, c] = v
        return S

    if H is None:
        S = pick(idx, np.ones(idx.shape[:2], bool))
    else:                               # §6.1: non-anchors from c_ep
        A = intnet.anchors(*idx.shape[:2])
        S = pick(idx, A)
        _, idx2 = entropy_params(m, intnet.context_params(
            m, H, intnet.dequantize_latent(m, S, MU, q), A), q)
        idx = np.where(A[..., None], idx, idx2)
        S += pick(idx, ~A)
    for y, x in intnet.latent_order(m, *S.shape[:2]):
        for c in range(m.M):
            ey.value(m.gt[idx[y, x, c]], int(S[y, x, c]))
    head = struct.pack("<BBHIIBBBBQ", 1, 0, 0, w, h, 1 if gray else 0, 8, q, 0, m.id)
    return build([("HEAD", head), ("ZLAT", ez.finish()), ("YLAT", ey.finish()),
                  ("DEND", b"")])


# ----------------------------------------------------------------- tools

class Tools:
    def __init__(self, build_dir, tmp):
        self.b, self.tmp = build_dir, tmp

    def run(self, *args, check=True):
        r = subprocess.run(args, capture_output=True, text=True)
        if check and r.returncode:
            die("%s failed: %s" % (" ".join(args), r.stderr.strip()))
        return r

    def hash_bytes(self, path):
        return self.run(os.path.join(self.b, "conformance", "pixhash"), "-b",
                        path).stdout.strip()

    def encode(self, src, q, out):
        self.run(os.path.join(self.b, "dlic-enc"), "-quiet", "--threads", "1",
                 "--cpu=scalar", "-q", str(q), src, "-o", out)

    def decode_hash(self, stream, png=None):
        ppm = os.path.join(self.tmp, "out.ppm")
        dec = os.path.join(self.b, "dlic-dec")
        self.run(dec, "-quiet", "--threads", "1", "--cpu=scalar", stream, "-o", ppm)
        if png:
            self.run(dec, "-quiet", stream, "-o", png)
        return self.run(os.path.join(self.b, "conformance", "pixhash"), ppm).stdout.strip()


# -------------------------------------------------------------- must-fail

def strerror_table():
    """dlic_strerror() messages, read from the library's source."""
    with open(os.path.join(ROOT, "codec", "lib.c")) as f:
        src = f.read()
    return dict(re.findall(r'case DLIC_ERR_([A-Z_]+):\s*return "([^"]+)"', src))


def mustfail_cases(base, m, png):
    """(name, designed error or None for CLI-level, CLI message, data,
    description). base is a valid stream with an ancillary chunk."""
    cs = chunks(base)
    types = [t for t, _ in cs]
    iz, iy = types.index("ZLAT"), types.index("YLAT")
    pay = dict(cs)
    head = bytearray(pay["HEAD"])
    out = []

    def add(name, err, data, desc):
        out.append((name, err, data, desc))

    # Truncation at every chunk boundary, inside headers and in the
    # entropy-coded data.
    add("trunc-sig4", "TRUNCATED", base[:4], "ends inside the signature")
    add("trunc-sig8", "TRUNCATED", base[:8], "signature only")
    pos = 8
    for k, (t, p) in enumerate(cs):
        pos_end = pos + 12 + len(p)
        if k < len(cs) - 1:
            add("trunc-after-%d-%s" % (k, t), "TRUNCATED", base[:pos_end],
                "ends after chunk %d (%s)" % (k, t))
        add("trunc-in-len-%d-%s" % (k, t), "TRUNCATED", base[:pos + 2],
            "ends inside the length of chunk %d (%s)" % (k, t))
        add("trunc-in-check-%d-%s" % (k, t), "TRUNCATED", base[:pos_end - 1],
            "ends inside the check of chunk %d (%s)" % (k, t))
        if t in ("ZLAT", "YLAT"):
            add("trunc-mid-%s" % t, "TRUNCATED", base[:pos + 8 + len(p) // 2],
                "ends in the middle of the %s range-coder data" % t)
        pos = pos_end

    def with_head(hb):
        c2 = list(cs)
        c2[0] = ("HEAD", bytes(hb))
        return build(c2)

    def head_field(off, fmt, v):
        hb = bytearray(head)
        struct.pack_into(fmt, hb, off, v)
        return with_head(hb)

    # Bit flips with the stored checks (checksum errors) ...
    b = bytearray(base); b[8 + 8 + 5] ^= 0x10
    add("flip-head-width", "CHECKSUM", bytes(b), "bit flip in HEAD.width, check kept")
    off_y = 8 + sum(12 + len(p) for _, p in cs[:iy]) + 8
    b = bytearray(base); b[off_y + len(pay["YLAT"]) // 2] ^= 0x01
    add("flip-ylat", "CHECKSUM", bytes(b), "bit flip in YLAT payload, check kept")
    b = bytearray(base); b[8 + 8 + 24] ^= 0x80
    add("flip-head-check", "CHECKSUM", bytes(b), "bit flip in HEAD's check")
    b = bytearray(base); b[1] ^= 0x02
    add("flip-signature", "NOT_DLIC", bytes(b), "bit flip in the signature")
    b = bytearray(base); b[8 + 4] ^= 0x20
    add("flip-head-type", "CHECKSUM", bytes(b), "HEAD type 'hEAD' (the check covers the type)")
    # ... and with checks fixed up, so that the deeper checks are reached.
    add("head-version2", "UNSUPPORTED", head_field(0, "<B", 2), "version_major 2")
    add("head-flags", "UNSUPPORTED", head_field(2, "<H", 1), "flags 1")
    add("head-width0", "CORRUPT", head_field(4, "<I", 0), "width 0")
    add("head-height0", "CORRUPT", head_field(8, "<I", 0), "height 0")
    add("head-width65536", "CORRUPT", head_field(4, "<I", 65536), "width 65536")
    add("head-height-absurd", "CORRUPT", head_field(8, "<I", 0xFFFFFFFF), "height 2^32 - 1")
    add("head-colour2", "UNSUPPORTED", head_field(12, "<B", 2), "colour model 2")
    add("head-depth16", "UNSUPPORTED", head_field(13, "<B", 16), "bit depth 16")
    add("head-quality101", "CORRUPT", head_field(14, "<B", 101), "quality 101")
    add("head-reserved", "CORRUPT", head_field(15, "<B", 1), "reserved byte 1")
    add("model-id", "MODEL_MISMATCH", head_field(16, "<Q", m.id ^ 1), "another model id")
    b = bytearray(head); struct.pack_into("<II", b, 4, 65535, 65535)
    add("head-65535x65535", "LIMIT", with_head(b),
        "65535 x 65535 (valid size above dlic-dec's pixel limit; refdec: TRUNCATED)")
    add("head-short", "CORRUPT", build([("HEAD", bytes(head[:23]))] + cs[1:]), "HEAD length 23")
    # Chunk structure.
    b = bytearray(base); struct.pack_into("<I", b, off_y - 8, 0x7FFFFFF0)
    add("len-past-end", "TRUNCATED", bytes(b), "YLAT length 2^31 - 16, past the end")
    b = bytearray(base); struct.pack_into("<I", b, off_y - 8, 0x80000000)
    add("len-2-31", "CORRUPT", bytes(b), "YLAT length 2^31")
    add("type-not-letter", "CORRUPT",
        base[:off_y - 4] + b"Y1AT" + base[off_y:], "chunk type 'Y1AT'")
    add("unknown-critical", "UNSUPPORTED",
        build(cs[:iz] + [("QXYZ", b"abc")] + cs[iz:]), "unknown critical chunk QXYZ")
    add("missing-zlat", "CORRUPT", build(cs[:iz] + cs[iz + 1:]), "no ZLAT")
    add("missing-head", "CORRUPT", build(cs[1:]), "no HEAD (stream starts with an ancillary chunk)")
    add("repeated-head", "CORRUPT", build(cs[:1] + cs), "HEAD twice")
    add("ylat-before-zlat", "CORRUPT",
        build(cs[:iz] + [cs[iy], cs[iz]] + cs[iy + 1:]), "YLAT before ZLAT")
    add("repeated-ylat", "CORRUPT", build(cs[:iy + 1] + cs[iy:]), "YLAT twice")
    add("dend-nonempty", "CORRUPT", build(cs[:-1] + [("DEND", b"\x00")]), "DEND with length 1")
    add("after-dend", "CORRUPT", base + b"\x00", "one byte after DEND")
    add("after-dend-chunk", "CORRUPT", base + chunk("zzzz", b""), "an ancillary chunk after DEND")
    add("only-signature-and-dend", "CORRUPT", build([("DEND", b"")]), "DEND only")

    # Range-coder data, checks valid (SPEC §4.5, §7).
    def with_chunk(t, p):
        return build([(tt, p if tt == t else pp) for tt, pp in cs])

    y = pay["YLAT"]
    add("ylat-first-byte", "CORRUPT", with_chunk("YLAT", b"\x01" + y[1:]),
        "YLAT first range-coder byte is not 0")
    add("ylat-code-max", "CORRUPT", with_chunk("YLAT", b"\x00\xff\xff\xff\xff" + y[5:]),
        "YLAT initial code 2^32 - 1")
    add("ylat-value-2-16", "CORRUPT", with_chunk("YLAT", b"\x00\xff\xff\x00\x00" + y[5:]),
        "YLAT first symbol: code / r >= 2^16")
    add("ylat-4-bytes", "TRUNCATED", with_chunk("YLAT", y[:4]), "YLAT of 4 bytes")
    add("ylat-empty", "TRUNCATED", with_chunk("YLAT", b""), "YLAT of 0 bytes")
    add("ylat-cut", "TRUNCATED", with_chunk("YLAT", y[:len(y) // 2]),
        "YLAT cut in half, length and check fixed up")
    add("ylat-extra", "CORRUPT", with_chunk("YLAT", y + b"\x00"),
        "one byte more than the range decoder reads")
    add("zlat-extra", "CORRUPT", with_chunk("ZLAT", pay["ZLAT"] + b"\x00\x00"),
        "two bytes more than the range decoder reads")
    # Z outside the output range of h_a (SPEC §7.3).
    zhi = m.t["h_a"][-1].hi
    nz = len(refdec.decode(base, m)[0]) and None    # (base must decode)
    del nz
    Wp, Hp = intnet.padded_size(*struct.unpack_from("<II", head, 4))
    ez = RangeEncoder()
    for i in range((Hp // 64) * (Wp // 64) * m.NZ):
        ez.value(m.zt[i % m.NZ], zhi + 1 if i == 0 else 0)
    add("z-out-of-range", "CORRUPT", with_chunk("ZLAT", ez.finish()),
        "first hyper-latent = h_a's output maximum + 1")
    # Exp-Golomb prefix of 31 one-bits (SPEC §7.2).
    ez = RangeEncoder()
    t = m.zt[0]
    ez.encode(t.cum[t.nv], int(t.f[t.nv]))
    for _ in range(31):
        ez.bypass(1)
    for _ in range(40):
        ez.bypass(0)
    add("escape-31-ones", "CORRUPT", with_chunk("ZLAT", ez.finish()),
        "escape with 31 leading one-bits")
    # Bytes that are not a DLIC stream.
    with open(png, "rb") as f:
        add("png-renamed", "NOT_DLIC", f.read(), "a PNG file renamed to .dlic")
    add("text", "NOT_DLIC", b"hello, world\n", "a text file")
    add("empty", None, b"", "an empty file (dlic-dec: 'empty file')")
    return out


def make_mustfail(base, m, tools, png):
    d = os.path.join(HERE, "mustfail")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    msgs = strerror_table()
    lines = []
    for name, err, data, desc in mustfail_cases(base, m, png):
        path = os.path.join(d, name + ".dlic")
        with open(path, "wb") as f:
            f.write(data)
        if err is None:
            msg = "empty file"
        else:
            msg = msgs[err]
            try:
                refdec.decode(data, m)
                got = "OK"
            except DlicError as e:
                got = e.name
            # refdec has no pixel limit: there the 65535 x 65535 stream
            # runs out of ZLAT data.
            want = "TRUNCATED" if err == "LIMIT" else err
            if got != want:
                die("mustfail %s: refdec.py gives %s, designed %s" % (name, got, want))
        # dlic-info checks the container only (SPEC §4): exit 1 iff
        # refdec.py's container checks fail.
        try:
            refdec.parse_head(refdec.read_chunks(data)[0]["HEAD"])
            info = 0
        except DlicError:
            info = 1
        lines.append("%s|1|%d|%s|%s|%s" % (name, info, err or "-", msg, desc))
    with open(os.path.join(d, "cases.txt"), "w") as f:
        f.write("# Must-fail corpus (conformance/README.md). Generated by "
                "conformance/regen.sh; do not edit.\n"
                "# model %016x\n"
                "# name|dlic-dec exit status|dlic-info exit status|dlic_error|dlic-dec stderr substring|"
                "description\n"
                % m.id)
        f.write("\n".join(lines) + "\n")
    return len(lines)


# ------------------------------------------------------------------ main

def main():
    if len(sys.argv) != 2:
        die("usage: regen.py BUILD_DIR")
    b = sys.argv[1]
    with open(os.path.join(ROOT, "weights", "default.dlicm"), "rb") as f:
        m = parse_model(f.read())
    info = subprocess.run([os.path.join(b, "dlic-info"), "--model"], capture_output=True,
                          text=True).stdout
    mm = re.search(r"^Model id:\s*([0-9a-f]{16})", info, re.M)
    if not mm or int(mm.group(1), 16) != m.id:
        die("%s embeds model %s, weights/default.dlicm is %016x: rebuild first"
            % (b, mm.group(1) if mm else "?", m.id))
    sdir, ddir = os.path.join(HERE, "streams"), os.path.join(HERE, "decoded")
    for d in (sdir, ddir):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    rows, total_esc = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        tools = Tools(b, tmp)
        for name, src, q, post, desc in VECTORS:
            path = os.path.join(sdir, name + ".dlic")
            if src is None:
                gray = "gray" in name
                data = synth_stream(m, q, 70 if gray else 40, 3 if gray else 70, gray,
                                    len(name))
                with open(path, "wb") as f:
                    f.write(data)
                enc_hash = "-"
            else:
                tools.encode(os.path.join(HERE, "sources", src + ".png"), q, path)
                enc_hash = tools.hash_bytes(path)
                if post:
                    with open(path, "rb") as f:
                        data = post_process(f.read(), post)
                    with open(path, "wb") as f:
                        f.write(data)
            with open(path, "rb") as f:
                data = f.read()
            ref, esc, hd = ref_decode(data, m)
            png = os.path.join(ddir, name + ".png") if name in DECODED_PNG else None
            got = tools.decode_hash(path, png)
            if got != ref:
                die("%s: dlic-dec gives %s, train/refdec.py gives %s" % (name, got, ref))
            total_esc += esc
            rows.append("%s %s %d %d %d %s %d %s %s %s %d %s" % (
                name, src + ".png" if src else "-", q, hd["width"], hd["height"],
                "gray" if hd["colour"] else "rgb", len(data), tools.hash_bytes(path),
                enc_hash, ref, esc, desc))
            print("regen: %-22s %7d bytes  %s  escapes %d" % (name, len(data), ref, esc))
        if not any(int(r.split()[10]) for r in rows if not r.startswith("synth")):
            print("regen: note: no encoded stream has escape codes (only the synth-* ones)")
        if total_esc == 0:
            die("no stream contains an escape code")
        base = os.path.join(sdir, "kodak96x64-q70-exif.dlic")
        with open(base, "rb") as f:
            n = make_mustfail(f.read(), m, tools, os.path.join(HERE, "sources",
                                                                "solid_1x1.png"))
    with open(os.path.join(HERE, "streams.txt"), "w") as f:
        f.write("# DLIC conformance streams (SPEC §9, conformance/README.md).\n"
                "# Generated by conformance/regen.sh; do not edit.\n"
                "# model %016x %s\n"
                "# name source quality width height colour bytes stream_xxh3 "
                "encoder_xxh3 pixels_xxh3 escapes description\n" % (m.id, m.name))
        f.write("\n".join(rows) + "\n")
    print("regen: %d streams (%d escape codes), %d must-fail cases, model %016x"
          % (len(rows), total_esc, n, m.id))


if __name__ == "__main__":
    main()
