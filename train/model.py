"""DLIC model: mean-scale hyperprior with single-model variable rate.

Every layer maps onto an integer operation of SPEC.md section 5:
convolutions (stride 1 or 2, zero padding), ReLU clamped to the
activation range, and sub-pixel (pixel-shuffle) upsampling.  The
hyper-synthesis outputs the mean and the base-2 log of the scale of the
latent, both in the latent's own units; the per-quality gain moves the
mean by a product and the log-scale by a sum, which is what the integer
decoder computes (SPEC.md section 6).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from quant import QConv

# Lambdas of the variable-rate model (loss = lambda * 255^2 * MSE + bpp),
# the eight CompressAI qualities.
LAMBDAS = [0.0018, 0.0035, 0.0067, 0.0130, 0.0250, 0.0483, 0.0932, 0.1800]

SCALE_MIN = 0.11          # lower bound of the Gaussian scale (quant units)
LOG2_SCALE_MIN = math.log2(SCALE_MIN)
LOG2_SCALE_MAX = 8.0      # 256 quantization steps
LIKELIHOOD_MIN = 1e-9


def _ste_round(x):
    return x + (torch.round(x) - x).detach()


# Architectures.  "v2" is "v1" plus three 3x3 stride-1 ReLU layers of N
# channels: in g_a at 1/8 resolution, in g_s at 1/8 and 1/4 (GROWN lists
# their indices in v2's layer lists).  grow() turns a trained v1 model into
# a v2 model that computes the same function.
# "v1e" grows the encoder alone (the decoder stays v1's, layer for layer):
# three 3x3 stride-1 ReLU layers of N channels in g_a, one at 1/4 and two
# at 1/8 resolution (about 13.8k more multiply-adds per pixel on g_a's
# 23k), for training g_a against a frozen decoder (train.py
# --encoder-only).
# "v1s2" and "v1s4" grow the decoder alone (issue 39: capacity where the
# high rates flatten): one 3x3 stride-1 ReLU layer in g_s, at 1/2
# resolution (N/2 channels) or at 1/4 (N channels), 9,216 more
# multiply-adds per pixel each at N = 128 (g_s: 32,832), for training g_s
# alone on the frozen model's latents (lite.py train --grow).  "v1s22" is
# v1s2 with a second such layer at 1/2 resolution after the first (grown
# from a trained v1s2 model, session 31); "v1s222" adds a third and
# "v1s2222" a third and a fourth (grown from a v1s22 model, session 33).
ARCHS = ("v1", "v2", "v1e", "v1s2", "v1s4", "v1s22", "v1s222", "v1s2222")
GROWN = {"v1": {}, "v2": {"g_a": (3,), "g_s": (1, 3)},
         "v1e": {"g_a": (2, 4, 5)}, "v1s2": {"g_s": (3,)}, "v1s4": {"g_s": (2,)},
         "v1s22": {"g_s": (3, 4)}, "v1s222": {"g_s": (3, 4, 5)},
         "v1s2222": {"g_s": (3, 4, 5, 6)}}
# Parts of the model that only the encoder uses: everything else is in
# the decoder's sections of the model file (h_a's output range and the
# encoder gains' log-scale offsets LQ excepted, which export keeps).
ENCODER_ONLY = ("g_a.", "h_a.")


def layer_specs(N, M, arch="v1"):
    """The layer list of each transform: (cin, cout, k, stride, shuffle, relu).

    shuffle=2 means the convolution is followed by PixelShuffle(2).
    This list is what export.py writes into the weights file.
    """
    if arch not in ARCHS:
        raise ValueError(f"unknown architecture {arch!r} (known: {ARCHS})")
    specs = _v1_specs(N, M)
    for tn, idx in GROWN[arch].items():
        for i in idx:                      # ascending: each index is final
            _, cout, _, _, shuf, _ = specs[tn][i - 1]
            c = cout // (shuf * shuf)      # the channels it reads and keeps
            specs[tn].insert(i, (c, c, 3, 1, 1, True))
    return specs


def _v1_specs(N, M):
    h = N // 2
    return {
        "g_a": [(3, h, 5, 2, 1, True), (h, N, 5, 2, 1, True),
                (N, N, 5, 2, 1, True), (N, M, 5, 2, 1, False)],
        "h_a": [(M, N, 3, 1, 1, True), (N, N, 5, 2, 1, True),
                (N, N, 5, 2, 1, False)],
        "h_s": [(N, 4 * N, 3, 1, 2, True), (N, 4 * N, 3, 1, 2, True),
                (N, 2 * M, 3, 1, 1, False)],
        "g_s": [(M, 4 * N, 3, 1, 2, True), (N, 4 * N, 3, 1, 2, True),
                (N, 4 * h, 3, 1, 2, True), (h, 12, 3, 1, 2, False)],
    }


class Transform(nn.Module):
    def __init__(self, specs):
        super().__init__()
        self.specs = specs
        self.convs = nn.ModuleList(
            QConv(ci, co, k, s) for (ci, co, k, s, _, _) in specs)

    def forward(self, x):
        return self.run(x)

    def run(self, x, start=0, end=None):
        """Layers [start, end) only (Python slice bounds)."""
        for conv, (_, _, _, _, shuf, relu) in list(zip(self.convs, self.specs))[start:end]:
            x = conv(x)
            if shuf > 1:
                x = F.pixel_shuffle(x, shuf)
            if relu:
                x = conv.act(x)
        return x


class FactorizedPrior(nn.Module):
    """Balle et al. 2018 non-parametric per-channel density (filters 3,3,3).

    Only its CDF at half-integers is used; export.py turns that into the
    integer tables of SPEC.md section 7.3.
    """

    def __init__(self, C, filters=(3, 3, 3), init_scale=10.0):
        super().__init__()
        f = (1,) + tuple(filters) + (1,)
        scale = init_scale ** (1.0 / (len(filters) + 1))
        self.mats, self.biases, self.factors = (nn.ParameterList(),
                                                nn.ParameterList(),
                                                nn.ParameterList())
        for i in range(len(filters) + 1):
            init = math.log(math.expm1(1.0 / scale / f[i + 1]))
            self.mats.append(nn.Parameter(torch.full((C, f[i + 1], f[i]), init)))
            self.biases.append(nn.Parameter(torch.rand(C, f[i + 1], 1) - 0.5))
            if i < len(filters):
                self.factors.append(nn.Parameter(torch.zeros(C, f[i + 1], 1)))

    def logits_cdf(self, v):
        # v: (C, 1, n) -> (C, 1, n)
        for i in range(len(self.mats)):
            v = torch.matmul(F.softplus(self.mats[i]), v) + self.biases[i]
            if i < len(self.factors):
                v = v + torch.tanh(self.factors[i]) * torch.tanh(v)
        return v

    def likelihood(self, z):
        # z: (B, C, H, W) float
        B, C, H, W = z.shape
        v = z.permute(1, 0, 2, 3).reshape(C, 1, -1)
        lo = self.logits_cdf(v - 0.5)
        hi = self.logits_cdf(v + 0.5)
        sign = -torch.sign(lo + hi).detach()
        p = torch.abs(torch.sigmoid(sign * hi) - torch.sigmoid(sign * lo))
        p = p.reshape(C, B, H, W).permute(1, 0, 2, 3)
        return torch.clamp(p, min=LIKELIHOOD_MIN)

    def cdf(self, v):
        """CDF of channel c at points v (C, n) -> (C, n), float64 safe."""
        return torch.sigmoid(self.logits_cdf(v.unsqueeze(1))).squeeze(1)


def gaussian_likelihood(s, sigma):
    """P(round(x) = s) for x ~ N(0, sigma), s on the integer grid (+noise)."""
    s = torch.abs(s)
    c = -1.0 / math.sqrt(2.0)
    upper = 0.5 * torch.erfc(c * (0.5 - s) / sigma)
    lower = 0.5 * torch.erfc(c * (-0.5 - s) / sigma)
    return torch.clamp(upper - lower, min=LIKELIHOOD_MIN)


# Entropy-model contexts.  None: every latent's mean and scale come from
# h_s alone.  "cb": the checkerboard context of He et al. 2021.  Anchors,
# the latents at (row + col) even, keep h_s's parameters; the others get
# theirs from c_ep, which reads h_s's last hidden layer (N channels) next
# to c_ctx's view (5x5) of the decoded anchors, so a decoder needs two
# passes and no serial scan.
CONTEXTS = (None, "cb")


def context_specs(N, M, C=None):
    """c_ctx: decoded anchors (M, zero elsewhere) -> C features; c_ep:
    [h_s hidden (N), c_ctx features (C)] -> means and log2-scales (2M)."""
    C = C or N
    return {"c_ctx": [(M, C, 5, 1, 1, True)],
            "c_ep": [(N + C, N + C, 1, 1, 1, True), (N + C, 2 * M, 3, 1, 1, False)]}


def anchor_mask(h, w, device=None):
    """1 at the checkerboard's anchors, (row + col) even; shape (1,1,h,w)."""
    i = torch.arange(h, device=device)[:, None]
    j = torch.arange(w, device=device)[None, :]
    return ((i + j) % 2 == 0).float()[None, None]


class DLIC(nn.Module):
    def __init__(self, N=128, M=192, levels=len(LAMBDAS), arch="v1",
                 context=None):
        super().__init__()
        if context not in CONTEXTS:
            raise ValueError(f"unknown context {context!r} (known: {CONTEXTS})")
        self.N, self.M, self.levels, self.arch = N, M, levels, arch
        self.context = context
        # Rate of the rounded latents (STE) instead of the noisy ones:
        # the codec's own objective, for training the encoder alone
        # against a frozen entropy model (train.py --hard-rate).
        self.hard_rate = False
        specs = layer_specs(N, M, arch)
        self.g_a = Transform(specs["g_a"])
        self.h_a = Transform(specs["h_a"])
        self.h_s = Transform(specs["h_s"])
        self.g_s = Transform(specs["g_s"])
        if context == "cb":
            cs = context_specs(N, M)
            self.c_ctx = Transform(cs["c_ctx"])
            self.c_ep = Transform(cs["c_ep"])
        self.g_a.convs[0].pad_value = -0.5
        self.prior = FactorizedPrior(N)
        # Per-level log2 gains of the latent (Cui et al. 2021): the encoder
        # multiplies y by 2^gain, the decoder by 2^igain.
        init = torch.linspace(-1.5, 2.0, levels).unsqueeze(1).repeat(1, M)
        self.log2_gain = nn.Parameter(init.clone())
        self.log2_igain = nn.Parameter(-init.clone())

    def gains(self, level):
        """level: (B,) float tensor in [0, levels-1]; exponential
        interpolation between neighbouring levels."""
        lo = torch.clamp(level.floor().long(), 0, self.levels - 2)
        a = (level - lo.float()).unsqueeze(1)
        g = (1 - a) * self.log2_gain[lo] + a * self.log2_gain[lo + 1]
        ig = (1 - a) * self.log2_igain[lo] + a * self.log2_igain[lo + 1]
        return g[:, :, None, None], ig[:, :, None, None]

    def entropy_params(self, y, z_hat, lig, lg):
        """Mean and log2-scale of every latent (before the gains).  With the
        checkerboard context, the non-anchors' come from c_ep, which sees the
        anchors as the decoder will have them, round((y - mu) 2^lg) 2^lig + mu."""
        if self.context is None:
            p = self.h_s(z_hat)
            return p[:, :self.M], p[:, self.M:]
        hid = self.h_s.run(z_hat, end=-1)
        p = self.h_s.run(hid, start=-1)
        mu_a, l2s_a = p[:, :self.M], p[:, self.M:]
        a = anchor_mask(*y.shape[2:], device=y.device).to(y.dtype)
        ya = (_ste_round((y - mu_a) * torch.exp2(lg)) * torch.exp2(lig) + mu_a) * a
        q = self.c_ep(torch.cat([hid, self.c_ctx(ya)], 1))
        mu = a * mu_a + (1 - a) * q[:, :self.M]
        return mu, a * l2s_a + (1 - a) * q[:, self.M:]

    def forward(self, x, level):
        """x: (B,3,H,W) in [0,1]; level (B,) in [0, levels-1].

        The transforms see pixels centred on zero (x - 0.5) and g_s predicts
        x_hat - 0.5; both offsets fold into biases at export, where the
        integer network's pixels are integers 0..255 (step 1/255).
        """
        y = self.g_a(x - 0.5)
        z = self.h_a(y)
        z_hat = _ste_round(z)
        z_noisy = z_hat if self.hard_rate else \
            z + torch.empty_like(z).uniform_(-0.5, 0.5)
        lg, lig = self.gains(level)
        mu, log2_sigma = self.entropy_params(y, z_hat, lig, lg)
        g = torch.exp2(lg)
        y_g, mu_g = y * g, mu * g
        log2_sig_g = torch.clamp(log2_sigma + lg, LOG2_SCALE_MIN, LOG2_SCALE_MAX)
        sigma_g = torch.exp2(log2_sig_g)
        res = y_g - mu_g
        with torch.autocast("cpu", enabled=False), \
                torch.autocast("cuda", enabled=False):
            res_noisy = _ste_round(res.float()) if self.hard_rate else \
                res.float() + torch.empty_like(res.float()).uniform_(-0.5, 0.5)
            lik_y = gaussian_likelihood(res_noisy, sigma_g.float())
            lik_z = self.prior.likelihood(z_noisy.float())
        y_hat = _ste_round(res) * torch.exp2(lig) + mu   # SPEC §6 (YH)
        x_hat = self.g_s(y_hat) + 0.5
        return x_hat, lik_y, lik_z


@torch.no_grad()
def load_weights(model, sd):
    """Copy the tensors of state dict sd that model has into it (in model's
    dtypes); names model lacks are skipped, so older checkpoints load."""
    cur = model.state_dict()
    for k, v in sd.items():
        if k in cur:
            cur[k].copy_(v.to(cur[k].dtype))
    return model


def from_checkpoint(ck):
    """The float model of checkpoint dict ck (train.py's), with its weights."""
    model = DLIC(ck.get("N", 128), ck.get("M", 192), arch=ck.get("arch", "v1"),
                 context=ck.get("context"))
    return load_weights(model, ck["model"])


def inserted(src, dst):
    """The layers that grow() inserts to turn architecture src into dst:
    {transform: ascending indices in dst's layer lists}; ValueError unless
    dst keeps every layer of src (each of src's grown layers at the same
    index)."""
    out = {}
    for tn in set(GROWN[src]) | set(GROWN[dst]):
        have, want = GROWN[src].get(tn, ()), GROWN[dst].get(tn, ())
        if tuple(want[:len(have)]) != tuple(have):
            raise ValueError(f"{dst} does not extend {src}")
        if want[len(have):]:
            out[tn] = tuple(want[len(have):])
    return out


@torch.no_grad()
def grow(model, arch):
    """A copy of `model` as `arch` (which must extend model.arch: v1 to any,
    v1s2 to v1s22), computing the same function: each inserted layer starts
    as the identity (centre tap 1, bias 0), exact because its input is a
    ReLU output (>= 0) and it ends in a ReLU."""
    new_layers = inserted(model.arch, arch)
    new = DLIC(model.N, model.M, model.levels, arch, model.context)
    src = model.state_dict()
    dst = new.state_dict()
    for k, v in src.items():
        parts = k.split(".")
        if len(parts) > 2 and parts[1] == "convs" and parts[0] in new_layers:
            i = int(parts[2])
            for j in new_layers[parts[0]]:
                i += j <= i
            parts[2] = str(i)
        dst[".".join(parts)].copy_(v)
    for tn, idx in new_layers.items():
        for i in idx:
            conv = getattr(new, tn).convs[i]
            conv.weight.zero_()
            c, k = conv.weight.shape[0], conv.weight.shape[2]
            conv.weight[torch.arange(c), torch.arange(c), k // 2, k // 2] = 1.0
            conv.bias.zero_()
    return new


@torch.no_grad()
def widen(model, M, ga_in, seed=0, y_std=0.1, sigma=0.15):
    """A copy of `model` with M >= model.M latent channels that computes
    almost the same function; ga_in: a batch of g_a inputs (x - 0.5 for
    images x in [0, 1], as in forward()) to measure on.

    Balle et al. 2018 use M = 320 rather than 192 from lambda 0.0483 on,
    the upper half of LAMBDAS.  The new channels start nearly unused:
    g_a's new rows are random, scaled so that the channel's std over ga_in is
    y_std (bias 0), so they round to 0 in all but rare cases; h_a ignores
    them (zero weights), so z is unchanged; h_s predicts mean 0 and scale
    `sigma` for them and their per-level gains are 1, so a zero costs about
    0.002 bits and the log-scale is above the clamp at LOG2_SCALE_MIN, where
    it would get no gradient; g_s reads them with default-initialised
    weights, so the distortion gradient reaches g_a's new rows at once."""
    M0, N = model.M, model.N
    if M < M0:
        raise ValueError(f"widen() cannot shrink M from {M0} to {M}")
    new = DLIC(N, M, model.levels, model.arch)
    dst = new.state_dict()
    ga, hs = len(new.g_a.convs) - 1, len(new.h_s.convs) - 1
    gen = torch.Generator().manual_seed(seed)
    for k, v in model.state_dict().items():
        d = dst[k]
        if k == f"g_a.convs.{ga}.weight" and M > M0:
            d[M0:] = torch.rand(d[M0:].shape, generator=gen) * 2 - 1
        elif k != "g_s.convs.0.weight":          # new inputs: default init
            d.zero_()
        if k == f"h_s.convs.{hs}.bias":
            d[M + M0:] = math.log2(sigma)
        widened_copy(new, k, v, d)
    new.eval()
    if M > M0:
        std = new.g_a(ga_in)[:, M0:].transpose(0, 1).flatten(1).std(1)
        new.g_a.convs[ga].weight[M0:] *= (y_std / std.clamp(min=1e-12))[:, None, None, None]
    return new


@torch.no_grad()
def widened_copy(new, k, v, d):
    """Copy v, entry k of a model's state (or of its Adam moments), into
    d, the same entry of `new`, a widen() of that model: the old latent
    channels keep their places, and the log-scales of h_s move up from
    channel M0 to channel M.  The entries for new channels are left as
    they are."""
    M = new.M
    if d.shape == v.shape:
        d.copy_(v)
        return
    M0 = v.shape[1] if k in ("log2_gain", "log2_igain", "h_a.convs.0.weight",
                             "g_s.convs.0.weight") else v.shape[0]
    if k in (f"g_a.convs.{len(new.g_a.convs) - 1}.weight",
             f"g_a.convs.{len(new.g_a.convs) - 1}.bias"):
        d[:M0] = v
    elif k in ("h_a.convs.0.weight", "g_s.convs.0.weight", "log2_gain", "log2_igain"):
        d[:, :M0] = v
    elif k in (f"h_s.convs.{len(new.h_s.convs) - 1}.weight",
               f"h_s.convs.{len(new.h_s.convs) - 1}.bias"):
        M0 //= 2
        d[:M0], d[M:M + M0] = v[:M0], v[M0:]     # means, then log-scales
    else:
        raise ValueError(f"widen(): unexpected shape change of {k}")


def rd_loss(x, x_hat, lik_y, lik_z, lam):
    """Per-sample loss lam*255^2*MSE + bpp; returns loss, bpp, mse tensors."""
    B, _, H, W = x.shape
    npix = H * W
    bits = (-torch.log2(lik_y).flatten(1).sum(1)
            - torch.log2(lik_z).flatten(1).sum(1))
    bpp = bits / npix
    mse = ((x - x_hat.float()) ** 2).flatten(1).mean(1)
    loss = lam * (255.0 ** 2) * mse + bpp
    return loss.mean(), bpp, mse


@torch.no_grad()
def add_context(model, context="cb"):
    """A copy of `model` (no context) with the checkerboard context that
    computes the same function: c_ep's first layer passes h_s's hidden
    layer and c_ctx's features through (identity, exact on ReLU outputs),
    its second starts as h_s's last layer on the hidden part and reads
    nothing from c_ctx (zero weights), so every latent keeps h_s's
    parameters.  c_ctx keeps its default initialisation, so c_ep's zero
    weights get a gradient from the first step."""
    if model.context is not None:
        raise ValueError(f"model already has context {model.context!r}")
    new = DLIC(model.N, model.M, model.levels, model.arch, context)
    dst = new.state_dict()
    for k, v in model.state_dict().items():
        dst[k].copy_(v)
    ep1, ep2 = new.c_ep.convs
    n = ep1.weight.shape[0]
    ep1.weight.zero_()
    ep1.weight[torch.arange(n), torch.arange(n), 0, 0] = 1.0
    ep1.bias.zero_()
    last = model.h_s.convs[-1]
    ep2.weight.zero_()
    ep2.weight[:, :last.weight.shape[1]] = last.weight
    ep2.bias.copy_(last.bias)
    return new
