"""Shared integer machinery of DLIC in Python/numpy, written from SPEC.md.

Used by export.py (writes and checks model files), refdec.py (the
reference decoder) and test_refdec.py (round trips).  Sections:

- hashes (SPEC §1), errors (dlic.h codes)
- model file: dataclasses, writer, parser with every check of SPEC §8.6
- integer network (SPEC §5)
- range coder and value coding with escapes (SPEC §7.1, §7.2)
- container (SPEC §4) and a reference encoder (SPEC §3, §6, §7)

Everything is exact integer arithmetic.  Convolutions use float64
matrix products: every partial sum is an integer of magnitude below 2^31
(the §8.6 accumulator bound), far inside float64's exact range 2^53, so
the result does not depend on the summation order.
"""
import bisect
import hashlib
import math
import struct
from dataclasses import dataclass, field

import numpy as np

# ----------------------------------------------------------------- errors

ERR = {"INVALID_ARG": 1, "NOMEM": 2, "NOT_DLIC": 3, "TRUNCATED": 4,
       "CORRUPT": 5, "CHECKSUM": 6, "UNSUPPORTED": 7, "MODEL_MISMATCH": 8,
       "BAD_MODEL": 9, "LIMIT": 10, "STATE": 11}


class DlicError(Exception):
    """An error of include/dlic/dlic.h: .name is e.g. "CORRUPT"."""

    def __init__(self, name, msg=""):
        super().__init__(f"DLIC_ERR_{name}: {msg}")
        self.name = name
        self.code = ERR[name]


def fail(name, msg=""):
    raise DlicError(name, msg)


# ----------------------------------------------------------------- hashes

try:
    import xxhash as _xx
except ImportError:          # pure-Python fallback (slow but exact)
    _xx = None

_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF
_P32 = (2654435761, 2246822519, 3266489917, 668265263, 374761393)
_P64 = (11400714785074694791, 14029467366897019727, 1609587929392839161,
        9650029242287828579, 2870177450012600261)


def _rotl32(x, r):
    return ((x << r) | (x >> (32 - r))) & _M32


def _rotl64(x, r):
    return ((x << r) | (x >> (64 - r))) & _M64


def _xxh32_py(b):
    p1, p2, p3, p4, p5 = _P32
    n, i = len(b), 0
    if n >= 16:
        v = [(p1 + p2) & _M32, p2, 0, (-p1) & _M32]
        while i + 16 <= n:
            for j in range(4):
                w = int.from_bytes(b[i:i + 4], "little")
                v[j] = (_rotl32((v[j] + w * p2) & _M32, 13) * p1) & _M32
                i += 4
        h = (_rotl32(v[0], 1) + _rotl32(v[1], 7) + _rotl32(v[2], 12)
             + _rotl32(v[3], 18)) & _M32
    else:
        h = p5
    h = (h + n) & _M32
    while i + 4 <= n:
        h = (_rotl32((h + int.from_bytes(b[i:i + 4], "little") * p3) & _M32, 17)
             * p4) & _M32
        i += 4
    while i < n:
        h = (_rotl32((h + b[i] * p5) & _M32, 11) * p1) & _M32
        i += 1
    h ^= h >> 15
    h = (h * p2) & _M32
    h ^= h >> 13
    h = (h * p3) & _M32
    return h ^ (h >> 16)


def _xxh64_py(b):
    p1, p2, p3, p4, p5 = _P64

    def rnd(acc, w):
        return (_rotl64((acc + w * p2) & _M64, 31) * p1) & _M64

    def merge(h, v):
        return ((h ^ rnd(0, v)) * p1 + p4) & _M64

    n, i = len(b), 0
    if n >= 32:
        v = [(p1 + p2) & _M64, p2, 0, (-p1) & _M64]
        while i + 32 <= n:
            for j in range(4):
                v[j] = rnd(v[j], int.from_bytes(b[i:i + 8], "little"))
                i += 8
        h = (_rotl64(v[0], 1) + _rotl64(v[1], 7) + _rotl64(v[2], 12)
             + _rotl64(v[3], 18)) & _M64
        for j in range(4):
            h = merge(h, v[j])
    else:
        h = p5
    h = (h + n) & _M64
    while i + 8 <= n:
        h ^= rnd(0, int.from_bytes(b[i:i + 8], "little"))
        h = (_rotl64(h, 27) * p1 + p4) & _M64
        i += 8
    if i + 4 <= n:
        h ^= (int.from_bytes(b[i:i + 4], "little") * p1) & _M64
        h = (_rotl64(h, 23) * p2 + p3) & _M64
        i += 4
    while i < n:
        h ^= (b[i] * p5) & _M64
        h = (_rotl64(h, 11) * p1) & _M64
        i += 1
    h ^= h >> 33
    h = (h * p2) & _M64
    h ^= h >> 29
    h = (h * p3) & _M64
    return h ^ (h >> 32)


def xxh32(b):
    return _xx.xxh32_intdigest(bytes(b)) if _xx else _xxh32_py(bytes(b))


def xxh64(b):
    return _xx.xxh64_intdigest(bytes(b)) if _xx else _xxh64_py(bytes(b))


def pixel_hash(rgb):
    """SPEC §9 hash of an H x W x 3 uint8 array: 'xxh3:<16 hex>' when
    python3-xxhash has XXH3, else 'sha256:<hex>'."""
    b = np.ascontiguousarray(rgb, np.uint8).tobytes()
    if _xx is not None and hasattr(_xx, "xxh3_64_intdigest"):
        return "xxh3:%016x" % _xx.xxh3_64_intdigest(b)
    return "sha256:" + hashlib.sha256(b).hexdigest()


# ------------------------------------------------------------- model file

MAGIC = b"DLICMDL\x00"
NQ = 101
TRANSFORMS = ("g_a", "h_a", "h_s", "g_s")
CONTEXT = ("c_ctx", "c_ep")            # flags bit 1: checkerboard context
FLAG_TEST, FLAG_CONTEXT = 1, 2
LITE = "g_s_lite"                      # SPEC §8.7, after the check
LITE_MAGIC = b"LITE"


def transforms_of(m):
    """The transforms of a model file's main part, in file order (SPEC
    §8.1); g_s lite (m.t[LITE], §8.7) is not one of them."""
    return TRANSFORMS + (CONTEXT if m.flags & FLAG_CONTEXT else ())


def has_lite(m):
    return LITE in m.t


@dataclass
class Layer:
    cin: int
    cout: int
    k: int
    stride: int
    shuffle: int
    lo: int
    hi: int
    W: np.ndarray            # int64 [cout][k][k][cin]
    B: np.ndarray            # int64 [cout]
    MUL: np.ndarray          # int64 [cout]
    SH: np.ndarray           # int64 [cout]
    ilo: int = 0             # input range, filled in by check_model
    ihi: int = 0

    @property
    def cout_after(self):
        return self.cout // (self.shuffle * self.shuffle)


@dataclass
class Table:
    lo: int
    f: np.ndarray            # int64 [nv + 1], last entry is the escape

    @property
    def nv(self):
        return len(self.f) - 1

    def __post_init__(self):
        self.f = np.asarray(self.f, np.int64)
        self.cum = [0] + np.cumsum(self.f).tolist()      # len nv + 2


@dataclass
class Model:
    name: str
    flags: int
    M: int
    NZ: int
    YMAX: int
    t: dict                  # transform name -> [Layer]
    zt: list                 # [Table] * NZ
    NS: int
    KS: int
    gt: list                 # [Table] * NS
    GQ: np.ndarray           # int64 [NQ][M]
    IGQ: np.ndarray
    LQ: np.ndarray
    version: int = 1
    id: int = 0
    lite_id: int = 0         # XXH64 of the g_s lite extension (§8.7), 0: none
    size: int = 0
    extra: dict = field(default_factory=dict)

    def range_of(self, tname):
        """Input range of a transform (SPEC §5.3); c_ep's is the union of
        its two parts' (h_s's hidden output and c_ctx's output)."""
        if tname == "g_a":
            return 0, 255
        if tname == "h_s":
            last = self.t["h_a"][-1]
            return last.lo, last.hi
        if tname == "c_ep":
            a, b = self.t["h_s"][-2], self.t["c_ctx"][-1]
            return min(a.lo, b.lo), max(a.hi, b.hi)
        return -self.YMAX, self.YMAX


def _table_bytes(t):
    return struct.pack("<hH", t.lo, t.nv) + np.asarray(t.f, "<u2").tobytes()


def write_layer(L):
    """One layer of a transform (SPEC §8.2) as bytes."""
    return b"".join([struct.pack("<HHBBBBhh", L.cin, L.cout, L.k, L.stride,
                                 L.shuffle, 0, L.lo, L.hi),
                     np.asarray(L.W, np.int64).astype("i1").tobytes(),
                     np.asarray(L.B, np.int64).astype("<i4").tobytes(),
                     np.asarray(L.MUL, np.int64).astype("<u4").tobytes(),
                     np.asarray(L.SH, np.int64).astype("u1").tobytes()])


def _write_transform(layers):
    return struct.pack("<B", len(layers)) + b"".join(write_layer(L) for L in layers)


def write_model(m):
    """Serialize a Model (SPEC §8.1); returns bytes (check appended), then
    g_s lite with its own check when m has one (§8.7)."""
    name = m.name.encode("ascii")
    out = [MAGIC, struct.pack("<HH", m.version, m.flags),
           struct.pack("<B", len(name)), name,
           struct.pack("<HHH", m.M, m.NZ, m.YMAX)]
    for tn in transforms_of(m):
        out.append(_write_transform(m.t[tn]))
    for t in m.zt:
        out.append(_table_bytes(t))
    out.append(struct.pack("<HB", m.NS, m.KS))
    for t in m.gt:
        out.append(_table_bytes(t))
    out.append(struct.pack("<B", NQ))
    rec = np.zeros((NQ, m.M), dtype=[("g", "<u4"), ("ig", "<u4"), ("l", "<i4")])
    rec["g"], rec["ig"], rec["l"] = m.GQ, m.IGQ, m.LQ
    out.append(rec.tobytes())
    body = b"".join(out)
    data = body + struct.pack("<I", xxh32(body))
    if has_lite(m):
        ext = LITE_MAGIC + _write_transform(m.t[LITE])
        data += ext + struct.pack("<I", xxh32(ext))
    return data


class _Reader:
    def __init__(self, data):
        self.d, self.p = data, 0

    def take(self, n):
        if self.p + n > len(self.d):
            fail("BAD_MODEL", "model file truncated")
        b = self.d[self.p:self.p + n]
        self.p += n
        return b

    def unpack(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))

    def array(self, dtype, n):
        dt = np.dtype(dtype)
        return np.frombuffer(self.take(dt.itemsize * n), dt).astype(np.int64)


def _read_table(r):
    lo, nv = r.unpack("<hH")
    if not 1 <= nv <= 8191:
        fail("BAD_MODEL", f"table nv {nv} out of 1..8191")
    f = r.array("<u2", nv + 1)
    if f.min() < 1 or int(f.sum()) != 65536:
        fail("BAD_MODEL", "table frequencies must be >= 1 and sum to 65536")
    return Table(lo, f)


def _read_transform(r, tn):
    """One transform (SPEC §8.2)."""
    (nl,) = r.unpack("<B")
    if not 1 <= nl <= 16:
        fail("BAD_MODEL", f"{tn}: {nl} layers")
    layers = []
    for _ in range(nl):
        cin, cout, k, s, shuf, res, lo, hi = r.unpack("<HHBBBBhh")
        if (cin < 1 or cout < 1 or k not in (1, 3, 5) or s not in (1, 2)
                or shuf not in (1, 2) or (shuf == 2 and cout % 4)
                or res != 0 or lo > hi):
            fail("BAD_MODEL", f"{tn}: bad layer header")
        W = r.array("i1", cout * k * k * cin).reshape(cout, k, k, cin)
        B = r.array("<i4", cout)
        MUL = r.array("<u4", cout)
        SH = r.array("u1", cout)
        if MUL.max() > 2**31 - 1 or SH.max() > 62:
            fail("BAD_MODEL", f"{tn}: MUL or SH out of range")
        layers.append(Layer(cin, cout, k, s, shuf, lo, hi, W, B, MUL, SH))
    return layers


def parse_model(data):
    """Parse a model file and apply every check of SPEC §8.6."""
    data = bytes(data)
    r = _Reader(data)
    if r.take(8) != MAGIC:
        fail("BAD_MODEL", "bad magic")
    version, flags = r.unpack("<HH")
    if version != 1:
        fail("BAD_MODEL", f"version {version}")
    if flags & ~(FLAG_TEST | FLAG_CONTEXT):
        fail("BAD_MODEL", f"flags {flags:#x}")
    (nlen,) = r.unpack("<B")
    name = r.take(nlen)
    if any(c < 0x20 or c > 0x7E for c in name):
        fail("BAD_MODEL", "name is not printable ASCII")
    M, NZ, YMAX = r.unpack("<HHH")
    if M < 1 or NZ < 1 or not 1 <= YMAX <= 4095:
        fail("BAD_MODEL", f"M={M} NZ={NZ} YMAX={YMAX}")
    t = {}
    for tn in TRANSFORMS + (CONTEXT if flags & FLAG_CONTEXT else ()):
        t[tn] = _read_transform(r, tn)
    zt = [_read_table(r) for _ in range(NZ)]
    NS, KS = r.unpack("<HB")
    if not 1 <= NS <= 256 or KS > 15:
        fail("BAD_MODEL", f"NS={NS} KS={KS}")
    gt = [_read_table(r) for _ in range(NS)]
    (nq,) = r.unpack("<B")
    if nq != NQ:
        fail("BAD_MODEL", f"NQ={nq}")
    rec = np.frombuffer(r.take(12 * NQ * M),
                        dtype=[("g", "<u4"), ("ig", "<u4"), ("l", "<i4")])
    GQ = rec["g"].astype(np.int64).reshape(NQ, M)
    IGQ = rec["ig"].astype(np.int64).reshape(NQ, M)
    LQ = rec["l"].astype(np.int64).reshape(NQ, M)
    for a in (GQ, IGQ):
        if a.min() < 1 or a.max() > 2**28:
            fail("BAD_MODEL", "GQ/IGQ out of 1..2^28")
    if np.abs(LQ).max() >= 2**24:
        fail("BAD_MODEL", "|LQ| >= 2^24")
    body_end = r.p
    (check,) = r.unpack("<I")
    if check != xxh32(data[:body_end]):
        fail("BAD_MODEL", "check mismatch")
    main_end = r.p
    if r.p != len(data):                 # SPEC §8.7
        if r.take(4) != LITE_MAGIC:
            fail("BAD_MODEL", "bytes after check")
        t[LITE] = _read_transform(r, LITE)
        (lcheck,) = r.unpack("<I")
        if lcheck != xxh32(data[main_end:r.p - 4]):
            fail("BAD_MODEL", "g_s lite check mismatch")
        if r.p != len(data):
            fail("BAD_MODEL", "bytes after g_s lite")
    m = Model(name.decode("ascii"), flags, M, NZ, YMAX, t, zt, NS, KS, gt,
              GQ, IGQ, LQ, version=version, id=xxh64(data[:main_end]),
              lite_id=xxh64(data[main_end:]) if len(data) > main_end else 0,
              size=len(data))
    check_model(m)
    return m


def check_model(m):
    """Shape rules (SPEC §8.3) and the accumulator bound (§8.6); fills in
    each layer's input range.  Raises DlicError("BAD_MODEL")."""
    def bad(msg):
        fail("BAD_MODEL", msg)

    ctx = bool(m.flags & FLAG_CONTEXT)
    if ctx:
        hs = m.t["h_s"]
        if len(hs) < 2 or hs[-1].shuffle != 1:
            bad("h_s of a context model: at least 2 layers, the last without shuffle")
    for tn in transforms_of(m) + ((LITE,) if has_lite(m) else ()):
        layers = m.t[tn]
        first, last = layers[0], layers[-1]
        strides = math.prod(L.stride for L in layers)
        shuffles = math.prod(L.shuffle for L in layers)
        want_cin = {"g_a": 3, "h_a": m.M, "h_s": m.NZ, "g_s": m.M, LITE: m.M,
                    "c_ctx": m.M,
                    "c_ep": (m.t["h_s"][-1].cin + m.t["c_ctx"][-1].cout
                             if ctx else 0)}[tn]
        if first.cin != want_cin:
            bad(f"{tn}: first cin {first.cin} != {want_cin}")
        for a, b in zip(layers, layers[1:]):
            if b.cin != a.cout_after:
                bad(f"{tn}: channels do not chain")
        if tn == "g_a" and (last.cout != m.M or last.lo != -m.YMAX
                            or last.hi != m.YMAX or last.shuffle != 1
                            or strides != 16 or shuffles != 1):
            bad("g_a shape")
        if tn == "h_a" and (last.cout != m.NZ or last.shuffle != 1
                            or strides != 4 or shuffles != 1):
            bad("h_a shape")
        if tn == "h_s" and (last.cout_after != 2 * m.M or strides != 1
                            or shuffles != 4):
            bad("h_s shape")
        if tn in ("g_s", LITE) and (last.cout_after != 3 or last.lo != 0
                            or last.hi != 255 or strides != 1
                            or shuffles != 16):
            bad(f"{tn} shape")
        if tn in CONTEXT and (strides != 1 or shuffles != 1):
            bad(f"{tn}: strides and shuffles must be 1")
        if tn == "c_ep" and last.cout != 2 * m.M:
            bad("c_ep shape")
        ilo, ihi = m.range_of(tn)
        for L in layers:
            L.ilo, L.ihi = ilo, ihi
            amax = max(abs(ilo), abs(ihi))
            wsum = np.abs(L.W).reshape(L.cout, -1).sum(1)
            if (np.abs(L.B) + amax * wsum).max() > 2**31 - 1:
                bad(f"{tn}: accumulator bound violated")
            ilo, ihi = L.lo, L.hi
    if len(m.zt) != m.NZ or len(m.gt) != m.NS:
        bad("table counts")


# -------------------------------------------------------- integer network

def rshr(v, s):
    """SPEC §1 rounding shift on int64 arrays, per-element shift s >= 0."""
    s = np.asarray(s, np.int64)
    rnd = np.where(s > 0, np.left_shift(np.int64(1), np.maximum(s - 1, 0)), 0)
    return np.right_shift(v + rnd, s)


def run_layer(X, L, rows_per_block=0):
    """One layer of SPEC §5.2.  X: int64 H x W x cin."""
    H, W, cin = X.shape
    k, s, p = L.k, L.stride, (L.k - 1) // 2
    Ho, Wo = -(-H // s), -(-W // s)
    # zero padding: enough for the last tap of the last output position
    Hpad, Wpad = (Ho - 1) * s + k, (Wo - 1) * s + k
    Xp = np.zeros((Hpad, Wpad, cin), np.float64)
    Xp[p:p + H, p:p + W] = X[:Hpad - p, :Wpad - p]
    Wm = L.W.reshape(L.cout, -1).T.astype(np.float64)     # (k*k*cin, cout)
    out = np.empty((Ho, Wo, L.cout), np.int64)
    if rows_per_block <= 0:
        rows_per_block = max(1, (1 << 22) // max(1, Wo * k * k * cin))
    for y0 in range(0, Ho, rows_per_block):
        y1 = min(Ho, y0 + rows_per_block)
        cols = np.empty((y1 - y0, Wo, k, k, cin), np.float64)
        for ky in range(k):
            for kx in range(k):
                cols[:, :, ky, kx] = Xp[y0 * s + ky:(y1 - 1) * s + ky + 1:s,
                                        kx:(Wo - 1) * s + kx + 1:s]
        acc = cols.reshape(-1, k * k * cin) @ Wm
        acc = acc.astype(np.int64) + L.B
        v = rshr(acc * L.MUL, L.SH)
        out[y0:y1] = np.clip(v, L.lo, L.hi).reshape(y1 - y0, Wo, L.cout)
    if L.shuffle == 2:
        c = L.cout // 4
        out = out.reshape(Ho, Wo, c, 2, 2).transpose(0, 3, 1, 4, 2)
        out = out.reshape(2 * Ho, 2 * Wo, c)
    return out


def run_transform(m, tname, X):
    for L in m.t[tname]:
        X = run_layer(X, L)
    return X


def entropy_params(m, P, q):
    """SPEC §6: MU, and the Gaussian table index, per latent element."""
    M = m.M
    MU = P[..., :M]
    LS = P[..., M:2 * M]
    idx = np.clip(rshr(LS + m.LQ[q], m.KS), 0, m.NS - 1)
    return MU, idx


def dequantize_latent(m, S, MU, q):
    """SPEC §6, decoder side: YH."""
    return np.clip(MU + rshr(S * m.IGQ[q], 16), -m.YMAX, m.YMAX)


# codec/enc/rdoq.h: DLIC_RDOQ_KAPPA, 0.015 in units of 2^-16
RDOQ_KAPPA = 983


def _bit_length(v):
    """floor(log2(v)) + 1 of non-negative int64 values below 2^62."""
    v = np.asarray(v, np.int64)
    return sum(((v >> k) > 0).astype(np.int64) for k in range(62))


def rdoq_log2(f):
    """floor(log2(f) * 2^16) by bit-serial squaring, bit for bit as
    dlic_rdoq_log2() of codec/enc/rdoq.c (1 <= f <= 2^16)."""
    f = np.asarray(f, np.uint64)
    L = _bit_length(f.astype(np.int64)) - 1
    x = f << (30 - L).astype(np.uint64)
    frac = np.zeros(f.shape, np.int64)
    for i in range(16):
        x = (x * x) >> np.uint64(30)
        up = x >= np.uint64(2 << 30)
        x = np.where(up, x >> np.uint64(1), x)
        frac |= up.astype(np.int64) << (15 - i)
    return L << 16 | frac


def rdoq_bits(m, idx, v):
    """Bits * 2^16 of coding each v with table m.gt[idx] (SPEC §7.2), as
    dlic_rdoq_bits()."""
    if not hasattr(m, "_rdoq"):
        nvmax = max(t.nv for t in m.gt)
        cost = np.zeros((m.NS, nvmax + 1), np.int64)
        for i, t in enumerate(m.gt):
            cost[i, :t.nv + 1] = (16 << 16) - rdoq_log2(t.f)
        m._rdoq = (cost, np.array([t.lo for t in m.gt], np.int64),
                   np.array([t.nv for t in m.gt], np.int64))
    cost, lo, nv = m._rdoq
    lo, nv, v = lo[idx], nv[idx], np.asarray(v, np.int64)
    j = v - lo
    inside = (j >= 0) & (j < nv)
    u = np.where(v >= lo + nv, 2 * (v - (lo + nv)), 2 * (lo - 1 - v) + 1)
    esc = cost[idx, nv] + ((2 * (_bit_length(u + 1) - 1) + 1) << 16)
    return np.where(inside, cost[idx, np.clip(j, 0, nv)], esc)


def quantize_latent(m, Y, MU, q, idx=None, kappa=0):
    """SPEC §6, encoder side: S, the nearest integer; with kappa and the
    values' tables idx, the rate-distortion optimised rounding of
    codec/enc/rdoq.h: of the two integer neighbours the one with the
    smaller squared error (units 2^-32) + kappa * bits * 2^16."""
    n = (Y - MU) * m.GQ[q]
    if not kappa:
        return rshr(n, 16)
    a = n >> 16
    da = n - (a << 16)
    ca = da * da + kappa * rdoq_bits(m, idx, a)
    cb = (65536 - da) ** 2 + kappa * rdoq_bits(m, idx, a + 1)
    return np.where(ca < cb, a, a + 1)


def anchors(h, w):
    """SPEC §6.1: the checkerboard's anchors, (y + x) even."""
    return (np.add.outer(np.arange(h), np.arange(w)) % 2) == 0


def context_lag(m):
    """SPEC §7.4: rows between an anchor row and the non-anchor row coded
    after it, the vertical reach of c_ep after c_ctx."""
    return sum((L.k - 1) // 2 for tn in CONTEXT for L in m.t[tn])


def context_params(m, H, YH, A):
    """SPEC §6.1: c_ep's P for the non-anchors, from h_s's hidden output H
    and the latent YH, of which only the anchors A are read."""
    C = run_transform(m, "c_ctx", np.where(A[..., None], YH, 0))
    return run_transform(m, "c_ep", np.concatenate([H, C], axis=2))


def hyper_params(m, Z):
    """h_s on Z: (P, H), H the input of its last layer (None without a
    context)."""
    if not m.flags & FLAG_CONTEXT:
        return run_transform(m, "h_s", Z), None
    H = Z
    for L in m.t["h_s"][:-1]:
        H = run_layer(H, L)
    return run_layer(H, m.t["h_s"][-1]), H


def latent_order(m, h, w):
    """SPEC §7.4: the (y, x) positions of the latent in coding order."""
    if not m.flags & FLAG_CONTEXT:
        return [(y, x) for y in range(h) for x in range(w)]
    R, out = context_lag(m), []
    for t in range(h + R):
        if t < h:
            out += [(t, x) for x in range(t % 2, w, 2)]
        if t >= R:
            out += [(t - R, x) for x in range((t - R + 1) % 2, w, 2)]
    return out


# ------------------------------------------------------------ range coder

class RangeEncoder:
    """SPEC §7.1 encoder (LZMA-style, with carry propagation)."""

    def __init__(self):
        self.low, self.range, self.cache, self.pending = 0, 0xFFFFFFFF, 0, 1
        self.out = bytearray()

    def _shift_low(self):
        if self.low < 0xFF000000 or self.low >= 1 << 32:
            carry = self.low >> 32
            self.out.append((self.cache + carry) & 0xFF)
            self.out.extend([(0xFF + carry) & 0xFF] * (self.pending - 1))
            self.pending = 0
            self.cache = (self.low >> 24) & 0xFF
        self.pending += 1
        self.low = (self.low & 0x00FFFFFF) << 8

    def _normalize(self):
        while self.range < 1 << 24:
            self.range <<= 8
            self._shift_low()

    def encode(self, cum, freq):
        r = self.range >> 16
        self.low += r * cum
        self.range = r * freq
        self._normalize()

    def bypass(self, b):
        self.range >>= 1
        if b:
            self.low += self.range
        self._normalize()

    def value(self, t, v):
        """SPEC §7.2."""
        j = v - t.lo
        if 0 <= j < t.nv:
            self.encode(t.cum[j], int(t.f[j]))
            return
        self.encode(t.cum[t.nv], int(t.f[t.nv]))
        u = 2 * (v - (t.lo + t.nv)) if v >= t.lo + t.nv else 2 * (t.lo - 1 - v) + 1
        tt = u + 1
        L = tt.bit_length() - 1
        if L > 30:
            raise ValueError(f"value {v} too large to code")
        for _ in range(L):
            self.bypass(1)
        self.bypass(0)
        for i in range(L - 1, -1, -1):
            self.bypass((tt >> i) & 1)

    def finish(self):
        for _ in range(5):
            self._shift_low()
        return bytes(self.out)


class RangeDecoder:
    """SPEC §7.1 decoder."""

    def __init__(self, data):
        self.d, self.p = data, 5
        if len(data) < 5:
            fail("TRUNCATED", "range coder stream shorter than 5 bytes")
        if data[0] != 0:
            fail("CORRUPT", "first range coder byte is not 0")
        self.code = int.from_bytes(data[1:5], "big")
        self.range = 0xFFFFFFFF
        if self.code == 0xFFFFFFFF:
            fail("CORRUPT", "range coder code is 2^32 - 1")

    def _normalize(self):
        while self.range < 1 << 24:
            if self.p >= len(self.d):
                fail("TRUNCATED", "range coder reads past its chunk")
            self.range <<= 8
            self.code = ((self.code << 8) | self.d[self.p]) & 0xFFFFFFFF
            self.p += 1

    def decode(self, t):
        r = self.range >> 16
        v = self.code // r
        if v >= 1 << 16:
            fail("CORRUPT", "range decoder value >= 2^16")
        j = bisect.bisect_right(t.cum, v) - 1
        self.code -= r * t.cum[j]
        self.range = r * int(t.f[j])
        self._normalize()
        return j

    def bypass(self):
        self.range >>= 1
        if self.code >= self.range:
            self.code -= self.range
            b = 1
        else:
            b = 0
        self._normalize()
        return b

    def value(self, t):
        """SPEC §7.2."""
        j = self.decode(t)
        if j < t.nv:
            return t.lo + j
        L = 0
        while self.bypass():
            L += 1
            if L > 30:
                fail("CORRUPT", "Exp-Golomb prefix longer than 30")
        tt = 1
        for _ in range(L):
            tt = (tt << 1) | self.bypass()
        u = tt - 1
        v = t.lo + t.nv + u // 2 if u % 2 == 0 else t.lo - 1 - (u - 1) // 2
        if not -2**31 + 1 <= v <= 2**31 - 1:
            fail("CORRUPT", "escaped value out of range")
        return v

    def finish(self):
        """SPEC §4.5: the stream must be consumed exactly."""
        if self.p != len(self.d):
            fail("CORRUPT", f"range coder used {self.p} of {len(self.d)} bytes")


def value_bits(t, v):
    """Ideal cost in bits of coding v with table t (§7.2), for estimates."""
    v = np.asarray(v, np.int64)
    j = v - t.lo
    inside = (j >= 0) & (j < t.nv)
    logf = np.log2(t.f.astype(np.float64) / 65536.0)
    bits = -logf[np.where(inside, j, t.nv)]
    u = np.where(v >= t.lo + t.nv, 2 * (v - (t.lo + t.nv)), 2 * (t.lo - 1 - v) + 1)
    eg = 2 * np.floor(np.log2(np.maximum(u, 0) + 1)) + 1
    return float(np.sum(bits + np.where(inside, 0, eg)))


# -------------------------------------------------------------- container

SIGNATURE = b"\x89DLIC\r\n\x1a"


def chunk(ctype, payload):
    ctype = ctype.encode("ascii") if isinstance(ctype, str) else ctype
    return (struct.pack("<I", len(payload)) + ctype + payload
            + struct.pack("<I", xxh32(ctype + payload)))


def padded_size(width, height):
    """SPEC §3.2."""
    return -(-width // 64) * 64, -(-height // 64) * 64


def analyse(m, img, q, kappa):
    """The encoder's side of SPEC §3.3 (padding), §5 (g_a, h_a, h_s) and §6
    for an H x W x 3 uint8 image: Z, then S rounded as dlic-enc does
    (kappa RDOQ_KAPPA; 0 is dlic-enc --no-rdo), with the MU and table
    indices it was coded with."""
    h, w = img.shape[:2]
    Wp, Hp = padded_size(w, h)
    yy = np.minimum(np.arange(Hp), h - 1)
    xx = np.minimum(np.arange(Wp), w - 1)
    X = img[yy][:, xx].astype(np.int64)
    Y = run_transform(m, "g_a", X)
    Z = run_transform(m, "h_a", Y)
    P, H = hyper_params(m, Z)
    MU, idx = entropy_params(m, P, q)
    S = quantize_latent(m, Y, MU, q, idx, kappa)
    if H is not None:                   # §6.1: non-anchors from c_ep
        A = anchors(*Y.shape[:2])
        MU2, idx2 = entropy_params(m, context_params(
            m, H, dequantize_latent(m, S, MU, q), A), q)
        S2 = quantize_latent(m, Y, MU2, q, idx2, kappa)
        S = np.where(A[..., None], S, S2)
        MU = np.where(A[..., None], MU, MU2)
        idx = np.where(A[..., None], idx, idx2)
    return Z, S, MU, idx


def encode_image(m, img, q=75, colour=None, ancillary=(), rdo=True):
    """Reference encoder: H x W x 3 (or H x W gray) uint8 -> stream bytes:
    analyse(), then the chunks of §4 with the latents coded as §7."""
    img = np.asarray(img, np.uint8)
    if img.ndim == 2:
        img = img[:, :, None]
    if colour is None:
        colour = 1 if img.shape[2] == 1 else 0
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    h, w = img.shape[:2]
    Z, S, _, idx = analyse(m, img, q, RDOQ_KAPPA if rdo else 0)
    ez = RangeEncoder()
    for y in range(Z.shape[0]):
        for x in range(Z.shape[1]):
            for c in range(m.NZ):
                ez.value(m.zt[c], int(Z[y, x, c]))
    ey = RangeEncoder()
    for y, x in latent_order(m, *S.shape[:2]):
        for c in range(m.M):
            ey.value(m.gt[idx[y, x, c]], int(S[y, x, c]))
    head = struct.pack("<BBHIIBBBBQ", 1, 0, 0, w, h, colour, 8, q, 0, m.id)
    parts = [SIGNATURE, chunk("HEAD", head)]
    parts += [chunk(t, p) for t, p in ancillary]
    parts += [chunk("ZLAT", ez.finish()), chunk("YLAT", ey.finish()),
              chunk("DEND", b"")]
    return b"".join(parts)
