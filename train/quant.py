"""Fake quantization that mirrors the integer network of SPEC.md section 5.

A QConv in float mode is a plain convolution.  With qat=True its weights
are rounded per output channel to int8 (scale max|w|/127) and its ReLU
output to the integer grid [0, 255] of a learned per-layer step (LSQ,
Esser et al. 2020), both with straight-through gradients, so training sees
the rounding the C decoder will do.  Outputs that are not ReLU activations
(latent, hyper-latent, entropy parameters, pixels) are quantized by fixed
steps chosen at export; model.py rounds those itself where it matters.

qat_weights=True rounds the weights only (the ReLU outputs stay float):
with 12-bit activations at export, rounding the weights to int8 is what
is left of the integer model's loss against the float one (session 10).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def ste_round(x):
    return x + (torch.round(x) - x).detach()


def grad_scale(x, g):
    return (x - x * g).detach() + x * g


class QConv(nn.Conv2d):
    def __init__(self, cin, cout, k, stride):
        super().__init__(cin, cout, k, stride=stride, padding=k // 2)
        self.qat = False
        self.qat_weights = False
        # Value of the zero padding in the float domain. The integer network
        # pads with integer 0 (SPEC §5.2); for g_a's first layer, whose float
        # input is x - 0.5, that is a black pixel, i.e. -0.5 here.
        self.pad_value = 0.0
        # log of the activation step (value = int * step), int in [0, 255]
        self.log_step = nn.Parameter(torch.tensor(0.0))
        self.register_buffer("calibrated", torch.tensor(0))

    def weight_q(self):
        w = self.weight
        s = w.detach().abs().amax(dim=(1, 2, 3), keepdim=True).clamp(min=1e-8) / 127.0
        return ste_round(w / s).clamp(-127, 127) * s

    def forward(self, x):
        w = self.weight_q() if self.qat or self.qat_weights else self.weight
        if self.pad_value:
            p = self.padding[0]
            x = F.pad(x, (p, p, p, p), value=self.pad_value)
            return F.conv2d(x, w, self.bias, self.stride, 0)
        return F.conv2d(x, w, self.bias, self.stride, self.padding)

    def act(self, x):
        if not self.qat:
            return F.relu(x)
        if not self.calibrated:
            # first QAT batch: start the step at the 99.9th percentile / 255
            with torch.no_grad():
                v = x.detach().float().flatten()
                v = v[torch.randint(0, v.numel(), (min(v.numel(), 1 << 20),),
                                    device=v.device)]
                hi = torch.quantile(v.clamp(min=0), 0.999).clamp(min=1e-3)
                self.log_step.fill_(float(torch.log(hi / 255.0)))
                self.calibrated.fill_(1)
        n = x.numel() / x.shape[1]
        step = torch.exp(grad_scale(self.log_step, 1.0 / (n * 255.0) ** 0.5))
        return ste_round(torch.clamp(x / step, 0, 255)) * step


def set_qat(model, on=True, weights_only=False):
    for m in model.modules():
        if isinstance(m, QConv):
            if weights_only:
                m.qat_weights = on
            else:
                m.qat = on


@torch.no_grad()
def snap_weights(model):
    """Replace every weight by its int8 rounding times its scale (what a
    qat_weights model computes with), so that export quantizes to the same
    integers and its bias correction finds nothing to correct."""
    for m in model.modules():
        if isinstance(m, QConv):
            m.weight.copy_(m.weight_q())
