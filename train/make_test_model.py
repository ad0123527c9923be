#!/usr/bin/python3
"""Build weights/dlic-test.dlicm: the deterministic, untrained test model.

    /usr/bin/python3 train/make_test_model.py [-o weights/dlic-test.dlicm]
    /usr/bin/python3 train/make_test_model.py --context [-o weights/dlic-test-cb.dlicm]

DLIC(N=16, M=16) from model.py with torch.manual_seed(0) initial weights,
conditioned by condition() so that streams exercise every part of the
decoder, exported by export.py's code path (SPEC §8) with calibration on
synthetic images, flag bit 0 (test model) set, name "dlic-test-model".  The same
bytes are written to weights/default.dlicm, the model the library embeds
until trained weights exist.

--context builds weights/dlic-test-cb.dlicm instead, the test model with a
checkerboard context (SPEC §6.1, flags 3, name "dlic-test-cb"): the recipe
of context_model() (test_arch.py uses it too), with 12-bit ReLU outputs
in every transform so that the kernels' i16 paths run, c_ep's 1x1 layer
included.  It is never written to default.dlicm.

The committed file is what tests and conformance streams rely on; it
depends on model.py's parameter order and on torch's initialisation, so
after changing either run with --check before regenerating anything.
"""
import argparse
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import export  # noqa: E402
import intnet  # noqa: E402
from model import DLIC, add_context  # noqa: E402

WEIGHTS = os.path.join(HERE, "..", "weights")


def _affine(conv, chans, x_stats, std, mean):
    """Rescale output channels chans of conv so that their outputs over
    the calibration images have the given std and mean."""
    m, s = x_stats
    k = std / max(s, 1e-12)
    with torch.no_grad():
        conv.weight[chans] *= k
        conv.bias[chans] = (conv.bias[chans] - m) * k + mean


def _stats(t):
    t = t.double()
    return float(t.mean()), float(t.std())


@torch.no_grad()
def condition(model, images):
    """An untrained network maps everything to Z = 0, one Gaussian table
    and black pixels, which would leave most of the decoder untested.
    Rescale three output layers (deterministically, from statistics on
    the calibration images) so that Z spreads over about +-20, the
    log-scales over the whole table range (escapes included), and the
    pixels over [0, 255] with some clamping at both ends."""
    x = export.to_tensor(images)         # [0, 255] units (centered=False)
    x = torch.nn.functional.pad(x, (0, -x.shape[3] % 64, 0, -x.shape[2] % 64),
                                mode="replicate")
    M = model.M
    y = model.g_a(x)
    _affine(model.h_a.convs[-1], slice(None), _stats(model.h_a(y)), 8.0, 0.0)
    z = torch.round(model.h_a(y))
    p = model.h_s(z)
    _affine(model.h_s.convs[-1], slice(M, 2 * M), _stats(p[:, M:]), 3.0, 0.5)
    _affine(model.h_s.convs[-1], slice(0, M), _stats(p[:, :M]),
            float(y.std()), 0.0)
    out = model.g_s(y)
    _affine(model.g_s.convs[-1], slice(None), _stats(out), 80.0, 128.0)


def make():
    torch.manual_seed(0)
    model = DLIC(N=16, M=16).eval()
    # In the [0, 255] convention black is 0, the conv's own zero padding
    # (model.py pads with -0.5, black in the centred convention).
    model.g_a.convs[0].pad_value = 0.0
    images = export.synthetic_images(n=8, h=96, w=128, seed=0)
    condition(model, images)
    # centered=False: the [0, 255] pixel convention the file was first
    # made with, so its bytes (and model id) stay fixed; for an untrained
    # network the convention means nothing.
    return export.build(model, images, "dlic-test-model", test_model=True,
                        centered=False, legacy_ptq=True)


def context_model(seed=2):
    """A small conditioned model with a checkerboard context that matters:
    c_ep's weights on c_ctx are random, so the non-anchors' parameters
    differ from h_s's."""
    torch.manual_seed(seed)
    base = DLIC(N=16, M=16).eval()
    images = export.synthetic_images(n=4, h=96, w=128)
    condition(base, images)
    cb = add_context(base).eval()
    with torch.no_grad():
        w = cb.c_ep.convs[-1].weight
        w[:, 16:] = torch.randn(w[:, 16:].shape) * w[:, :16].std()
    return cb, images


def make_context():
    cb, images = context_model()
    bits = {tn: 12 for tn in intnet.TRANSFORMS + intnet.CONTEXT}
    return export.build(cb, images, "dlic-test-cb", test_model=True,
                        centered=False, act_bits=bits)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--output")
    ap.add_argument("--context", action="store_true",
                    help="the checkerboard context test model (dlic-test-cb.dlicm; "
                    "implies --no-default)")
    ap.add_argument("--no-default", action="store_true",
                    help="do not also write weights/default.dlicm")
    ap.add_argument("--check", action="store_true",
                    help="only rebuild in memory and compare with OUTPUT")
    a = ap.parse_args()
    torch.set_num_threads(1)
    if not a.output:
        a.output = os.path.join(WEIGHTS, "dlic-test-cb.dlicm" if a.context
                                else "dlic-test.dlicm")
    data, m = make_context() if a.context else make()
    if a.check:
        with open(a.output, "rb") as f:
            same = f.read() == data
        print(f"{os.path.normpath(a.output)}: "
              + ("reproduced exactly" if same else "DIFFERS from a rebuild"))
        return 0 if same else 1
    outs = [a.output] + ([] if a.no_default or a.context else
                         [os.path.join(WEIGHTS, "default.dlicm")])
    for path in outs:
        with open(path, "wb") as f:
            f.write(data)
    export.summary(m, data)
    print("wrote " + ", ".join(os.path.normpath(p) for p in outs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
