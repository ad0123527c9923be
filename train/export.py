#!/usr/bin/python3
"""Export a trained DLIC (train/model.py) to a model file (SPEC.md §8).

    /usr/bin/python3 train/export.py train/runs/main/lean.pt -o weights/X.dlicm \\
        [--name NAME] [--test-model] [--calib-crops 16] [--eval-kodak DIR]
        [--legacy-ptq]

Post-training quantization, mapped onto the specification:

- Every tensor between layers is an integer tensor times a float step.
  Pixels in and out are the integers 0..255 (SPEC §5.3); model.py feeds
  g_a with x - 0.5 (x in [0, 1]) and adds 0.5 to g_s's output, so the
  pixel step is 1/255 and the offsets fold into the first bias of g_a
  and the last
  bias of g_s (exact; g_a's first layer pads with -0.5 in training, which
  is the integer network's black padding).  --legacy-255 exports checkpoints of the earlier
  convention (pixels in [0, 255] units in and out).  The latent Y has step s_y = (99.999th percentile of |y|) /
  YMAX with YMAX = 4095 (§5.3, §8.1); the hyper-latent Z has step 1
  because training rounds z to integers; its clamp range [-zr, zr] is
  twice the largest |z| seen (at least 255), bounded by the accumulator
  rule of §8.6 for the first layer of h_s.
- ReLU outputs are the integers 0..2^b - 1 (§5.2: a ReLU is lo = 0),
  b = --act-bits (default 12; build()'s default of 8 is the committed
  test model's), of a per-layer step: exp(log_step) when the layer was calibrated by
  quantization-aware training (quant.py), else the step with the least
  squared rounding and clipping error on the float activations over
  calibration crops (train/data.py's pack, or synthetic images for the
  test model; never Kodak), see relu_step().
- Each convolution (§5.2, §8.2): per-output-channel int8 weights
  Wt = round(w / s_w), s_w = max|w| / 127 (coarser only where the i32
  accumulator bound of §8.6 requires), B = round((b - c) / (s_w s_in))
  with the bias correction c = sum((Wt s_w - w) m), m the mean of the
  layer's input per channel over the calibration crops, and the
  real multiplier s_w s_in / s_out as MUL / 2^SH with MUL in [2^30, 2^31)
  (SH <= 62).  Requantization is per channel before the pixel shuffle.
- h_s emits the mean in units of s_y (channels 0..M-1) and the log-scale
  LS = (log2 sigma - L0) / STEP * 2^KS (channels M..2M-1, §6) with
  L0 = log2(SCALE_MIN), NS = 64, STEP = (LOG2_SCALE_MAX - L0) / (NS - 1),
  KS = 8; the -L0 offset is folded into the bias.  One clamp range
  [-32768, 32767] serves both halves (lo/hi are per layer; §6 clamps YH).
- Quality tables (§8.5): q maps to level q / 100 * (levels - 1), with the
  gains interpolated as DLIC.gains(); GQ = 2^lg s_y 2^16,
  IGQ = 2^lig / s_y 2^16, LQ = lg / STEP 2^KS (§6).
- Gaussian tables GT[i] (§7.4, §8.4) discretize N(0, 2^(L0 + i STEP)) over
  [-R, R], R covering every value of probability >= 2^-17; ZT[c] (§7.3)
  take the factorized prior's CDF at half-integers likewise.  Both are
  quantized to 16-bit frequencies by quantize_pmf().
- Every check of §8.6 is run by parsing the written file back with
  intnet.parse_model before it is saved.

The float model used for calibration and --eval-kodak follows SPEC §6:
y_hat = mu + S 2^lig (model.py's forward does the same; checkpoints
trained before that change used (S + mu 2^lg) 2^lig, which agrees only
while lg + lig = 0, so the summary prints the largest |lg + lig|).
--eval-kodak DIR compares float and integer PSNR on the first
--eval-images images, with bits estimated from the integer tables.
"""
import argparse
import heapq
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import intnet  # noqa: E402
import model as dmodel  # noqa: E402
from model import (LOG2_SCALE_MAX, LOG2_SCALE_MIN, context_specs,  # noqa: E402
                   layer_specs)
from quant import snap_weights  # noqa: E402

YMAX = 4095
NS = 64
KS = 8
L0 = LOG2_SCALE_MIN
STEP = (LOG2_SCALE_MAX - L0) / (NS - 1)
ACC_MAX = 2**31 - 1
P_MIN = 0.5 / 65536          # values rarer than this go to the escape


# ------------------------------------------------------------ frequencies

def quantize_pmf(p, total=65536):
    """Probabilities -> integer frequencies >= 1 summing to total.

    Floors first, then moves single counts greedily where they change the
    cross-entropy most (a heap keyed on p * log((f+1)/f), ties by index),
    so the result is deterministic and close to the real pmf."""
    p = np.maximum(np.asarray(p, np.float64), 0.0)
    p = p / p.sum()
    n = len(p)
    if n > total:
        raise ValueError("more symbols than frequency total")
    f = np.maximum(1, np.floor(p * total)).astype(np.int64)
    d = total - int(f.sum())
    if d > 0:
        h = [(-(p[j] * math.log((f[j] + 1) / f[j])), j) for j in range(n)]
        heapq.heapify(h)
        for _ in range(d):
            _, j = heapq.heappop(h)
            f[j] += 1
            heapq.heappush(h, (-(p[j] * math.log((f[j] + 1) / f[j])), j))
    elif d < 0:
        h = [(p[j] * math.log(f[j] / (f[j] - 1)), j) for j in range(n) if f[j] > 1]
        heapq.heapify(h)
        for _ in range(-d):
            _, j = heapq.heappop(h)
            f[j] -= 1
            if f[j] > 1:
                heapq.heappush(h, (p[j] * math.log(f[j] / (f[j] - 1)), j))
    assert f.min() >= 1 and f.sum() == total
    return f


def _phi(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def gaussian_table(sigma, rmax=4095):
    """Zero-mean discretized Gaussian over [-R, R] plus escape (§8.4)."""
    def pmf(v):
        return _phi((v + 0.5) / sigma) - _phi((v - 0.5) / sigma)
    R = 1
    while R < rmax and pmf(R + 1) >= P_MIN:
        R += 1
    p = np.array([pmf(v) for v in range(-R, R + 1)])
    esc = max(1.0 - p.sum(), 0.0)
    return intnet.Table(-R, quantize_pmf(np.append(p, esc)))


@torch.no_grad()
def prior_tables(prior, zr):
    """ZT[c] from the factorized prior's CDF at half-integers (§7.3)."""
    C = prior.biases[0].shape[0]
    prior = prior.double()
    v = torch.arange(-zr, zr + 1, dtype=torch.float64)
    cdf_hi = prior.cdf((v + 0.5).expand(C, -1))
    cdf_lo = prior.cdf((v - 0.5).expand(C, -1))
    pm = (cdf_hi - cdf_lo).abs().numpy()
    prior.float()
    tables = []
    for c in range(C):
        p = pm[c]
        keep = np.nonzero(p >= P_MIN)[0]
        if len(keep) == 0:
            keep = np.array([zr])
        a, b = int(keep[0]), int(keep[-1])
        if b - a + 1 > 8191:                     # centre on the mode
            mid = int(np.argmax(p))
            a = max(0, mid - 4095)
            b = min(len(p) - 1, a + 8190)
        vals = p[a:b + 1]
        esc = max(1.0 - vals.sum(), 0.0)
        tables.append(intnet.Table(a - zr, quantize_pmf(np.append(vals, esc))))
    return tables


# ------------------------------------------------------------- float side

def load_checkpoint(path):
    """The float model of train.py checkpoint `path` as it was trained (int8-
    rounded weights after --qat-weights), in eval mode; lite.py's teacher and
    generalization.py load it this way too."""
    ck = torch.load(path, map_location="cpu", weights_only=False)
    m = dmodel.from_checkpoint(ck)
    if ck.get("qat_weights"):
        snap_weights(m)          # trained on these roundings (train --qat-weights)
    return m.eval()


def gains64(model, level):
    """model.gains() in float64 for a scalar level."""
    G = model.log2_gain.detach().double()
    IG = model.log2_igain.detach().double()
    lo = min(max(int(math.floor(level)), 0), model.levels - 2)
    a = level - lo
    return ((1 - a) * G[lo] + a * G[lo + 1]).numpy(), \
        ((1 - a) * IG[lo] + a * IG[lo + 1]).numpy()


def quality_level(model, q):
    return q / 100.0 * (model.levels - 1)


def model_transforms(model):
    """The transforms of a float model, in model-file order (SPEC §8.1)."""
    return intnet.TRANSFORMS + (intnet.CONTEXT if model.context else ())


class Recorder:
    """Forward hooks that keep a subsample of every conv's output and the
    per-channel mean of its input."""

    def __init__(self, model, limit=1 << 21):
        self.samples, self.limit, self.hooks = {}, limit, []
        self.means = {}
        self.rng = np.random.default_rng(0)
        for tn in model_transforms(model):
            for i, conv in enumerate(getattr(model, tn).convs):
                self.hooks.append(conv.register_forward_hook(self._hook((tn, i))))

    def _hook(self, key):
        def f(mod, inp, out):
            v = out.detach().float().numpy().ravel()
            if v.size > self.limit:
                v = v[self.rng.integers(0, v.size, self.limit)]
            self.samples.setdefault(key, []).append(v)
            m = inp[0].detach().double().mean((0, 2, 3)).numpy()
            self.means.setdefault(key, []).append(m)
        return f

    def get(self, key):
        return np.concatenate(self.samples[key])

    def in_mean(self, key):
        return np.mean(self.means[key], 0)

    def remove(self):
        for h in self.hooks:
            h.remove()


@torch.no_grad()
def float_codec(model, x, level, centered=True):
    """The float model with the integer decoder's semantics (§6):
    x (B,3,H,W) in [0,255], edge-padded to multiples of 64 (§3.3)."""
    H, W = x.shape[2:]
    x = F.pad(x, (0, -W % 64, 0, -H % 64), mode="replicate")
    y = model.g_a(x / 255.0 - 0.5 if centered else x)
    z = torch.round(model.h_a(y))
    lg, lig = (torch.from_numpy(a).float()[None, :, None, None]
               for a in gains64(model, level))
    mu, l2s = model.entropy_params(y, z, lig, lg)
    res = (y - mu) * torch.exp2(lg)
    s = torch.round(res)
    y_hat = mu + s * torch.exp2(lig)
    x_hat = model.g_s(y_hat)[:, :, :H, :W]
    if centered:
        x_hat = (x_hat + 0.5) * 255.0
    sig = torch.exp2(torch.clamp(l2s + lg, LOG2_SCALE_MIN, LOG2_SCALE_MAX))
    lik_y = dmodel.gaussian_likelihood(s, sig)
    lik_z = model.prior.likelihood(z)
    bits = float(-torch.log2(lik_y).sum() - torch.log2(lik_z).sum())
    return dict(y=y, z=z, x_hat=x_hat, bits=bits)


def to_tensor(imgs):
    a = np.stack([np.asarray(i, np.float32) for i in imgs])
    return torch.from_numpy(a).permute(0, 3, 1, 2).contiguous()


@torch.no_grad()
def calibrate(model, images, levels, centered):
    """Activation statistics of every conv over images at several levels."""
    rec = Recorder(model)
    ys, zs = [], []
    for lv in levels:
        for i in range(0, len(images), 4):
            x = to_tensor(images[i:i + 4])
            out = float_codec(model, x, lv, centered)
            if lv == levels[0]:
                ys.append(out["y"].numpy().ravel())
                zs.append(out["z"].numpy().ravel())
    rec.remove()
    return rec, np.concatenate(ys), np.concatenate(zs)


# ------------------------------------------------------------ quantization

def quantize_conv(conv, spec, s_in, s_out, lo, hi, amax, bias_add=None,
                  in_mean=None):
    """One layer of §8.2 from a QConv.  s_out may be per channel, and so
    may s_in (per input channel: c_ep's input joins two tensors, §6.1).

    in_mean (per input channel, float units of the integer input) turns on
    bias correction: the bias absorbs the mean output shift that rounding
    the weights causes, sum((Wt s_w - w) in_mean)."""
    cin, cout, k, stride, shuffle, _ = spec
    w = conv.weight.detach().double().numpy().transpose(0, 2, 3, 1)  # o,ky,kx,i
    b = conv.bias.detach().double().numpy().copy()
    if np.ndim(s_in):            # fold the input steps into the weights
        s_in = np.asarray(s_in, np.float64)
        w = w * s_in
        if in_mean is not None:
            in_mean = in_mean / s_in
        s_in = 1.0
    if bias_add is not None:
        b += bias_add
    s_out = np.broadcast_to(np.asarray(s_out, np.float64), (cout,))
    Wt = np.zeros(w.shape, np.int64)
    B = np.zeros(cout, np.int64)
    MUL = np.zeros(cout, np.int64)
    SH = np.zeros(cout, np.int64)
    for o in range(cout):
        wmax = float(np.abs(w[o]).max())
        s_w = wmax / 127.0 if wmax > 0 else max(abs(b[o]) / (s_in * 2**29), 1e-30)
        while True:
            wq = np.clip(np.round(w[o] / s_w), -127, 127).astype(np.int64)
            corr = 0.0
            if in_mean is not None:
                corr = float(((wq * s_w - w[o]) * in_mean).sum())
            bq = int(round((b[o] - corr) / (s_w * s_in)))
            if abs(bq) + amax * int(np.abs(wq).sum()) <= ACC_MAX:
                break
            s_w *= 1.0625                        # coarser weights, rare
        m = s_w * s_in / s_out[o]
        sh = min(62, max(0, 30 - math.floor(math.log2(m))))
        mul = int(round(m * 2**sh))
        while mul >= 2**31:
            sh -= 1
            if sh < 0:
                raise SystemExit(f"multiplier {m} too large for SPEC §8.2")
            mul = int(round(m * 2**sh))
        Wt[o], B[o], MUL[o], SH[o] = wq, bq, mul, sh
    return intnet.Layer(cin, cout, k, stride, shuffle, lo, hi, Wt, B, MUL, SH)


def relu_step(conv, samples, mse_clip=True, amax=255):
    """Step of a ReLU output in 0..amax: QAT's, else the one of 1.25-2 times
    (99.99th percentile of the positive samples) / amax that minimizes the
    squared error of clip(round(x / step), 0, amax) step on them (zeros cost
    nothing).  The floor of 1.25 is headroom for images whose activations
    run higher than the calibration crops': with factors from 0.25 the
    search chose 1.0-1.22 and the session 7 model lost up to 2.1 dB
    against the float model on kodim23 (saturated colours) to clipping;
    BD-rate vs BPG 4:4:4
    over Kodak, fixed factors: 1.125 +61.2%, 1.25 +60.4%, 1.5 +60.9%, 2 +62.7%,
    against +61.3% for the search from 0.25.
    mse_clip=False: the 99.99th percentile of max(x, 0) / 255,
    the rule the committed test model was made with."""
    if int(conv.calibrated) == 1:
        return math.exp(float(conv.log_step))
    if not mse_clip:
        hi = float(np.percentile(np.maximum(samples, 0), 99.99))
        return max(hi, 1e-6) / amax
    x = samples[samples > 0].astype(np.float64)
    if x.size == 0:
        return 1e-6 / amax
    base = max(float(np.percentile(x, 99.99)), 1e-6) / amax
    best = None
    for f in np.arange(40, 65) / 32.0:
        st = base * f
        err = float(np.mean((np.minimum(np.round(x / st), amax) * st - x) ** 2))
        if best is None or err < best[0]:
            best = (err, st)
    return best[1]


DECODER_TRANSFORMS = ("h_s", "g_s", "c_ctx", "c_ep")


def decoder_step(dec, model):
    """s_y, the float value of one step of Y, of model file dec: IGQ =
    round(2^lig / s_y 2^16) with model's (frozen) log2_igain, so each entry
    gives s_y to within its rounding; the median of all of them."""
    lig = np.stack([gains64(model, quality_level(model, q))[1]
                    for q in range(intnet.NQ)])
    return float(np.median(np.exp2(lig) * 65536.0 / dec.IGQ))


def same_decoder(a, b):
    """The parts of two model files a decoder reads besides h_a's output
    range (SPEC §8.1): equal in every value."""
    for tn in intnet.transforms_of(a):
        if tn in ("g_a", "h_a"):
            continue
        for x, y in zip(a.t[tn], b.t[tn], strict=True):
            if intnet.write_layer(x) != intnet.write_layer(y):
                return False
    return (a.flags, a.M, a.NZ, a.YMAX, a.NS, a.KS) == (b.flags, b.M, b.NZ, b.YMAX, b.NS, b.KS) \
        and (a.t["h_a"][-1].lo, a.t["h_a"][-1].hi) == (b.t["h_a"][-1].lo, b.t["h_a"][-1].hi) \
        and all(intnet._table_bytes(x) == intnet._table_bytes(y)
                for x, y in zip(a.zt + a.gt, b.zt + b.gt, strict=True)) \
        and np.array_equal(a.IGQ, b.IGQ) and np.array_equal(a.LQ, b.LQ)


def build(model, images, name, test_model, centered=True, log=print,
          legacy_ptq=False, act_bits=None, decoder=None):
    """Calibrate, quantize, build the tables; returns (bytes, intnet.Model).

    centered: the float model takes x / 255 - 0.5 and its g_s predicts
    x_hat - 0.5 (model.py's convention); else it takes x in [0, 255] and
    predicts [0, 255].  legacy_ptq: leave out quantize_conv's bias
    correction and relu_step's MSE clipping (only for the committed test
    model, which predates both).  act_bits: {transform: bits of its ReLU
    outputs}, 8 where missing.  decoder: a parsed model file whose decoder
    sections (h_s, g_s, the context, the tables, IGQ and LQ, h_a's output
    range) are kept byte for byte, for a model trained with train.py
    --encoder-only from that file's checkpoint: only g_a, h_a and GQ are
    quantized anew, with the file's step of Y."""
    M, N = model.M, model.N
    NZ = model.prior.biases[0].shape[0]
    specs = layer_specs(N, M, model.arch)
    levels = sorted({0.0, (model.levels - 1) / 2.0, float(model.levels - 1)})
    rec, ys, zs = calibrate(model, images, levels, centered)
    pix = 1.0 / 255.0 if centered else 1.0     # float value of pixel step

    y_hi = float(np.percentile(np.abs(ys), 99.999))
    # IGQ = 2^lig / s_y 2^16 <= 2^28 (SPEC §8.5) bounds s_y from below;
    # it only binds for an untrained model with tiny latents.
    lig_max = float(model.log2_igain.detach().double().max())
    s_y = max(y_hi / YMAX, 2.0 ** (lig_max - 12) * 1.001)
    if decoder is not None:
        s_y = decoder_step(decoder, model)
    z_max = float(np.abs(zs).max())

    if model.context:
        specs.update(context_specs(N, M))
    t, s_relu = {}, {}
    for tn in model_transforms(model):
        convs = getattr(model, tn).convs
        sp = specs[tn]
        s_in = {"g_a": pix, "h_a": s_y, "h_s": 1.0, "g_s": s_y, "c_ctx": s_y,
                "c_ep": None}[tn]
        if tn == "c_ep":        # [h_s hidden, c_ctx]: a step per input channel
            nh = specs["h_s"][-1][0]
            s_in = np.concatenate([np.full(nh, s_relu[("h_s", len(specs["h_s"]) - 2)]),
                                   np.full(sp[0][0] - nh, s_relu[("c_ctx", len(specs["c_ctx"]) - 1)])])
        layers = []
        for i, (conv, spec) in enumerate(zip(convs, sp)):
            relu = spec[5]
            if i:
                amax = max(abs(layers[-1].lo), abs(layers[-1].hi))
            else:                                # §5.3 input ranges
                amax = {"g_a": 255, "h_a": YMAX, "g_s": YMAX, "c_ctx": YMAX,
                        "h_s": t["h_a"][-1].hi if "h_a" in t else 0,
                        "c_ep": max(t["h_s"][-2].hi, t["c_ctx"][-1].hi)
                        if "c_ctx" in t else 0}[tn]
            bias_add = None
            mu = None if legacy_ptq else rec.in_mean((tn, i))
            if centered and tn == "g_a" and i == 0:
                if mu is not None:
                    mu = mu + 0.5                # the integer input is x / 255
                # x - 0.5 folds into the bias (exact away from the border
                # zero padding, which the float model sees as mid-gray)
                bias_add = -0.5 * conv.weight.detach().double().sum((1, 2, 3)).numpy()
            if relu:
                ab = act_bits or {}
                hi = (1 << ab.get(f"{tn}.{i}", ab.get(tn, 8))) - 1
                if int(conv.calibrated) == 1:
                    hi = 255                     # QAT trained a u8 step
                s_out, lo = relu_step(conv, rec.get((tn, i)), not legacy_ptq,
                                      hi), 0
            elif tn == "g_a":
                s_out, lo, hi = s_y, -YMAX, YMAX
            elif tn == "h_a":
                s_out, lo, hi = 1.0, None, None
            elif tn in ("h_s", "c_ep"):
                s_out = np.concatenate([np.full(M, s_y),
                                        np.full(M, STEP / 2**KS)])
                bias_add = np.concatenate([np.zeros(M), np.full(M, -L0)])
                lo, hi = -32768, 32767
            else:
                s_out, lo, hi = pix, 0, 255
                if centered:
                    bias_add = np.full(spec[1], 0.5)
            if lo is None:                       # h_a output: z range
                layer = quantize_conv(conv, spec, s_in, s_out, 0, 0, amax,
                                      in_mean=mu)
                hs = quantize_conv(model.h_s.convs[0], specs["h_s"][0], 1.0,
                                   1.0, 0, 0, 1,
                                   in_mean=None if legacy_ptq
                                   else rec.in_mean(("h_s", 0)))
                wsum = np.abs(hs.W).reshape(hs.cout, -1).sum(1)
                # h_s's first layer: |B| + zr * sum|W| <= ACC_MAX (§8.6);
                # its B does not depend on zr (input step 1).
                bound = int(((ACC_MAX - np.abs(hs.B)) // np.maximum(wsum, 1)).min())
                zr = min(max(255, int(math.ceil(2 * z_max))), bound, 32767)
                if zr < math.ceil(z_max):
                    log(f"warning: z range clipped to {zr} (max |z| {z_max:.1f})")
                layer.lo, layer.hi = -zr, zr
            else:
                layer = quantize_conv(conv, spec, s_in, s_out, lo, hi, amax,
                                      bias_add, mu)
            layers.append(layer)
            if relu:
                s_in = s_relu[(tn, i)] = s_out
            elif tn == "h_a":
                s_in = 1.0
        t[tn] = layers
    if decoder is not None:
        for tn in DECODER_TRANSFORMS:
            if tn in t:
                t[tn] = decoder.t[tn]
        t["h_a"][-1].lo, t["h_a"][-1].hi = decoder.t["h_a"][-1].lo, decoder.t["h_a"][-1].hi
    zr = t["h_a"][-1].hi
    zt = prior_tables(model.prior, zr)
    gt = [gaussian_table(2.0 ** (L0 + i * STEP)) for i in range(NS)]

    GQ = np.zeros((intnet.NQ, M), np.int64)
    IGQ = np.zeros_like(GQ)
    LQ = np.zeros_like(GQ)
    worst = 0.0
    for q in range(intnet.NQ):
        lg, lig = gains64(model, quality_level(model, q))
        GQ[q] = np.round(np.exp2(lg) * s_y * 65536)
        IGQ[q] = np.round(np.exp2(lig) / s_y * 65536)
        LQ[q] = np.round(lg / STEP * 2**KS)
        worst = max(worst, float(np.abs(lg + lig).max()))
    for nm, a in (("GQ", GQ), ("IGQ", IGQ)):
        if a.min() < 1 or a.max() > 2**28:
            raise SystemExit(f"{nm} out of 1..2^28 (s_y = {s_y:g}); SPEC §8.5")

    flags = (intnet.FLAG_TEST if test_model else 0) | \
        (intnet.FLAG_CONTEXT if model.context else 0)
    if decoder is not None:
        zt, gt, IGQ, LQ = decoder.zt, decoder.gt, decoder.IGQ, decoder.LQ
    m = intnet.Model(name, flags, M, NZ, YMAX, t, zt, NS, KS, gt, GQ, IGQ, LQ)
    intnet.check_model(m)
    data = intnet.write_model(m)
    m = intnet.parse_model(data)          # every check of SPEC §8.6
    if decoder is not None and not same_decoder(m, decoder):
        raise SystemExit("the decoder sections changed (not an --encoder-only "
                         "checkpoint of that model file?)")
    m.extra = dict(s_y=s_y, y_hi=y_hi, z_max=z_max, zr=zr, gain_sum=worst)
    return data, m


def macs_per_pixel(m):
    total, rows = 0.0, []
    for tn in intnet.transforms_of(m):
        r = {"g_a": 1.0, "h_a": 1 / 256, "h_s": 1 / 4096, "g_s": 1 / 256,
             "c_ctx": 1 / 256, "c_ep": 1 / 256}[tn]
        for L in m.t[tn]:
            r /= L.stride ** 2
            macs = r * L.cout * L.k * L.k * L.cin
            rows.append((tn, L, macs))
            total += macs
            r *= L.shuffle ** 2
    return total, rows


def summary(m, data, log=print):
    total, rows = macs_per_pixel(m)
    for tn, L, macs in rows:
        log(f"  {tn}: {L.cin:4d} -> {L.cout:4d} k{L.k} s{L.stride} "
            f"shuffle{L.shuffle} [{L.lo}, {L.hi}]  {macs:9.1f} MAC/px")
    e = m.extra
    log(f"model '{m.name}' flags {m.flags}: M={m.M} NZ={m.NZ} YMAX={m.YMAX} "
        f"NS={m.NS} KS={m.KS}")
    log(f"s_y={e['s_y']:.6g} (|y| 99.999% {e['y_hi']:.4g}), max|z| "
        f"{e['z_max']:.1f}, z range +-{e['zr']}, max|lg+lig| {e['gain_sum']:.3g}")
    log(f"{total:.0f} MAC/pixel, {len(data)} bytes, "
        f"model id {intnet.xxh64(data):016x}")


# ---------------------------------------------------------------- sources

def synthetic_images(n=8, h=96, w=128, seed=0):
    """Deterministic calibration images: gradients, stripes, a disc and
    seeded noise (for the test model; no real photographs)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    out = []
    for i in range(n):
        a = rng.uniform(0, 2 * math.pi, 3)
        base = [127.5 + 127.5 * np.cos(a[c] + (xx * math.cos(a[c]) + yy * math.sin(a[c]))
                                       * (0.02 + 0.05 * c) * (1 + i % 3))
                for c in range(3)]
        img = np.stack(base, -1)
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(8, 40)
        disc = ((yy - cy) ** 2 + (xx - cx) ** 2) < r * r
        img[disc] = rng.uniform(0, 255, 3)
        img += rng.normal(0, 4 + 4 * (i % 4), img.shape)
        out.append(np.clip(np.round(img), 0, 255).astype(np.uint8))
    return out


def pack_crops(n, crop=256, seed=4321):
    from data import CropSampler
    s = CropSampler(crop=crop, seed=seed)
    return list(s.batch(n))


# ------------------------------------------------------------- evaluation

def load_rgb(path):
    from PIL import Image
    return np.asarray(Image.open(path).convert("RGB"), np.uint8)


def int_codec(m, img, q):
    """The integer pipeline (SPEC §3.3, §5, §6) with estimated bits."""
    h, w = img.shape[:2]
    Wp, Hp = intnet.padded_size(w, h)
    X = img[np.minimum(np.arange(Hp), h - 1)][:, np.minimum(np.arange(Wp), w - 1)]
    X = X.astype(np.int64)
    Y = intnet.run_transform(m, "g_a", X)
    Z = intnet.run_transform(m, "h_a", Y)
    P, H = intnet.hyper_params(m, Z)
    MU, idx = intnet.entropy_params(m, P, q)
    S = intnet.quantize_latent(m, Y, MU, q)
    if H is not None:                  # SPEC §6.1
        A = intnet.anchors(*Y.shape[:2])[..., None]
        YH = intnet.dequantize_latent(m, S, MU, q)
        MU2, idx2 = intnet.entropy_params(
            m, intnet.context_params(m, H, YH, A[..., 0]), q)
        MU, idx = np.where(A, MU, MU2), np.where(A, idx, idx2)
        S = intnet.quantize_latent(m, Y, MU, q)
    bits = sum(intnet.value_bits(m.zt[c], Z[..., c]) for c in range(m.NZ))
    for i in np.unique(idx):
        bits += intnet.value_bits(m.gt[i], S[idx == i])
    YH = intnet.dequantize_latent(m, S, MU, q)
    out = intnet.run_transform(m, "g_s", YH)[:h, :w]
    return out.astype(np.uint8), bits


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * math.log10(255.0 ** 2 / max(mse, 1e-10))


def evaluate(model, m, paths, qs=(0, 50, 100), centered=True, log=print):
    log("   q | float bpp  PSNR  | int bpp  PSNR   (estimated bits)")
    fcurve, icurve = [], []
    for q in qs:
        fb = fp = ib = ip = 0.0
        for p in paths:
            img = load_rgb(p)
            h, w = img.shape[:2]
            out = float_codec(model, to_tensor([img]), quality_level(model, q),
                              centered)
            xf = out["x_hat"][0].permute(1, 2, 0).clamp(0, 255).round().numpy()
            fb += out["bits"] / (h * w)
            fp += psnr(img, xf)
            xi, bits = int_codec(m, img, q)
            ib += bits / (h * w)
            ip += psnr(img, xi)
        n = len(paths)
        log(f" {q:3d} | {fb / n:8.4f} {fp / n:6.2f} | {ib / n:7.4f} {ip / n:6.2f}")
        fcurve.append((fb / n, fp / n))
        icurve.append((ib / n, ip / n))
    if len(qs) >= 2:
        from bdrate import bd_rate
        log(f"BD-rate of the integer model vs the float model: "
            f"{bd_rate(fcurve, icurve):+.2f}%")


def parse_act_bits(text):
    """--act-bits: "10" for every transform, or "g_s:10,g_a:9", where
    "g_s.3:8" sets layer 3 of g_s alone (build() looks the layer up first)."""
    if ":" not in text:
        text = ",".join(f"{tn}:{text}" for tn in intnet.TRANSFORMS + intnet.CONTEXT)
    out = {}
    for part in text.split(","):
        tn, _, b = part.partition(":")
        t, _, layer = tn.partition(".")
        # 1..15 bits: the outputs fit an i16 (SPEC §5.2)
        if t not in intnet.TRANSFORMS + intnet.CONTEXT or not b.isdigit() \
                or not 1 <= int(b) <= 15 or (layer and not layer.isdigit()):
            raise SystemExit(f"--act-bits: bad entry '{part}' (transform[.layer]:1..15)")
        out[tn] = int(b)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--name", default=None)
    ap.add_argument("--test-model", action="store_true")
    ap.add_argument("--calib-crops", type=int, default=16)
    ap.add_argument("--eval-kodak", metavar="DIR", default=None)
    ap.add_argument("--eval-images", type=int, default=3)
    ap.add_argument("--eval-q", default="0,50,100",
                    help="qualities for --eval-kodak (comma-separated)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads; the calibration's float sums depend "
                         "on the count, so the same file needs the same count "
                         "(weights/README names the shipped file's)")
    ap.add_argument("--legacy-255", action="store_true",
                    help="checkpoint from before model.py took x - 0.5: "
                         "pixels in and out in [0, 255] units")
    ap.add_argument("--legacy-ptq", action="store_true",
                    help="quantize without bias correction and with the "
                         "99.99th-percentile ReLU steps (for comparison)")
    ap.add_argument("--act-bits", default="12",
                    help="bits of the ReLU outputs (default 12): one number, "
                         "or per transform as g_a:8,h_a:8,h_s:8,g_s:12, and "
                         "per layer as g_s.3:8 (layer 3 of g_s, from 0; "
                         "unnamed transforms 8). 8 keeps the next layer on "
                         "the u8 SIMD path")
    ap.add_argument("--decoder-from", metavar="MODEL", default=None,
                    help="keep the decoder sections of this model file byte for "
                         "byte (h_s, g_s, the context, the tables, IGQ, LQ) and "
                         "quantize only g_a, h_a and GQ: for a checkpoint of "
                         "train.py --encoder-only started from its checkpoint")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model = load_checkpoint(a.checkpoint)
    images = pack_crops(a.calib_crops)
    name = a.name or os.path.splitext(os.path.basename(a.output))[0]
    decoder = None
    if a.decoder_from:
        with open(a.decoder_from, "rb") as f:
            decoder = intnet.parse_model(f.read())
    data, m = build(model, images, name, a.test_model, not a.legacy_255,
                    legacy_ptq=a.legacy_ptq, act_bits=parse_act_bits(a.act_bits),
                    decoder=decoder)
    tmp = a.output + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, a.output)
    summary(m, data)
    if a.eval_kodak:
        names = sorted(n for n in os.listdir(a.eval_kodak) if n.endswith(".png"))
        evaluate(model, m, [os.path.join(a.eval_kodak, n)
                            for n in names[:a.eval_images]],
                 qs=[int(v) for v in a.eval_q.split(",")],
                 centered=not a.legacy_255)


if __name__ == "__main__":
    main()
