#!/usr/bin/python3
"""Self-test of the v2 architecture (model.py ARCHS), model.grow(),
model.widen(), the checkerboard context (model.add_context) and
weight-only QAT (train --qat-weights).

    /usr/bin/python3 train/test_arch.py [BUILD]     (BUILD default: build)

1. grow() of a v1 model gives a v2 model, and a v1s2 or v1s4 one (g_s
   alone grown, lite.py train --grow), of a v1s2 one a v1s22 one, and of
   that a v1s222 or v1s2222 one (three or four such layers), with
   the same outputs and bits; it refuses what does not extend the model.
2. widen() to a larger M keeps the pixels, adds at most 0.005 bits per new
   latent value, and passes gradient to the new rows of g_a and h_s;
   train.carry_adam() moves the Adam moments the same way.
3. A small v2 model, the same with 12-bit ReLU outputs (export
   --act-bits 12: the hidden layers leave the u8 SIMD path), and a
   widened one (M not a multiple of 16), a v1s2 one (a 3x3 layer
   at g_s's 1/2 resolution) and a v1s22 one (two), through
   export.build() decode to the same pixels with BUILD/dlic-enc + dlic-dec
   on every CPU path as with the Python reference codec
   (intnet.encode_image, refdec.decode): the C decoder needs no change for
   the extra layers (SPEC §8.2 allows 1..16 per transform) or channels.
   Skipped if BUILD has no tools.
4. add_context() keeps the function and gets gradient into the context;
   a context model exports (SPEC §6.1) and its reference streams decode
   with refdec.py to int_codec's pixels; with BUILD's tools, also the
   C encoder and decoder on every CPU path (as in 3).
5. A --qat-weights model computes what quant.snap_weights() of it
   computes in float, and export quantizes the snapped weights to exactly
   the integers training used (no bias correction left to do).
6. lite.add_pointwise() (lite.py train --pointwise) inserts a 1x1 layer
   that leaves a pruned g_s lite's output unchanged, with and without
   weight QAT, and gets gradient.
Exits nonzero on any failure.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import export  # noqa: E402
import intnet  # noqa: E402
import make_test_model  # noqa: E402
import refdec  # noqa: E402
import train  # noqa: E402
from model import (DLIC, LAMBDAS, add_context, grow, inserted,  # noqa: E402
                   rd_loss, widen)
from quant import set_qat, snap_weights  # noqa: E402

failures = 0


def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what)
    failures += not cond


def test_grow():
    torch.manual_seed(1)
    v1 = DLIC(N=16, M=16).eval()
    make_test_model.condition(v1, export.synthetic_images(n=4, h=96, w=128))
    v2 = grow(v1, "v2").eval()
    check(len(v2.g_a.convs) == 5 and len(v2.g_s.convs) == 6, "v2 layer counts")
    x = export.to_tensor(export.synthetic_images(n=1, h=128, w=192, seed=3))
    for level in (0.0, 3.3, 7.0):
        a = export.float_codec(v1, x, level, centered=False)
        b = export.float_codec(v2, x, level, centered=False)
        same = a["bits"] == b["bits"] and torch.equal(a["x_hat"], b["x_hat"])
        check(same, f"grow() keeps the function at level {level}")
    for arch, at, c in (("v1s2", 3, 8), ("v1s4", 2, 16)):
        g = grow(v1, arch).eval()
        check(len(g.g_a.convs) == 4 and len(g.g_s.convs) == 5
              and g.g_s.specs[at] == (c, c, 3, 1, 1, True),
              f"{arch}: a 3x3 layer of {c} channels at g_s index {at}, g_a unchanged")
        a = export.float_codec(v1, x, 3.3, centered=False)
        b = export.float_codec(g, x, 3.3, centered=False)
        check(a["bits"] == b["bits"] and torch.equal(a["x_hat"], b["x_hat"]),
              f"grow() to {arch} keeps the function")
    s2 = grow(v1, "v1s2").eval()
    with torch.no_grad():           # a trained v1s2: its layer not the identity
        w = s2.g_s.convs[3].weight
        w.add_(torch.randn_like(w) * 0.05)
    s22 = grow(s2, "v1s22").eval()
    check(len(s22.g_s.convs) == 6 and s22.g_s.specs[4] == (8, 8, 3, 1, 1, True)
          and torch.equal(s22.g_s.convs[3].weight, s2.g_s.convs[3].weight),
          "v1s2 -> v1s22: a second 3x3 layer of 8 channels at g_s index 4")
    a = export.float_codec(s2, x, 3.3, centered=False)
    b = export.float_codec(s22, x, 3.3, centered=False)
    check(a["bits"] == b["bits"] and torch.equal(a["x_hat"], b["x_hat"]),
          "grow() from v1s2 to v1s22 keeps the function")
    with torch.no_grad():           # a trained v1s22: its second layer not the identity
        w = s22.g_s.convs[4].weight
        w.add_(torch.randn_like(w) * 0.05)
    a = export.float_codec(s22, x, 3.3, centered=False)
    for arch, n in (("v1s222", 7), ("v1s2222", 8)):
        g = grow(s22, arch).eval()
        check(len(g.g_s.convs) == n
              and all(g.g_s.specs[i] == (8, 8, 3, 1, 1, True) for i in range(3, n - 1))
              and torch.equal(g.g_s.convs[4].weight, s22.g_s.convs[4].weight),
              f"v1s22 -> {arch}: {n - 4} 3x3 layers of 8 channels from g_s index 3")
        b = export.float_codec(g, x, 3.3, centered=False)
        check(a["bits"] == b["bits"] and torch.equal(a["x_hat"], b["x_hat"]),
              f"grow() from v1s22 to {arch} keeps the function")
    for src, dst in (("v1s2", "v1s4"), ("v1s2", "v1"), ("v2", "v1s2"),
                     ("v1s222", "v1s22")):
        try:
            inserted(src, dst)
            check(False, f"grow() from {src} to {dst} refused")
        except ValueError:
            check(True, f"grow() from {src} to {dst} refused")


def widened(model, M, images):
    """widen() in the [0, 255] pixel convention of these test models."""
    return widen(model, M, export.to_tensor(images)).eval()


def test_widen():
    torch.manual_seed(1)
    small = DLIC(N=16, M=16, arch="v2").eval()
    images = export.synthetic_images(n=4, h=96, w=128)
    make_test_model.condition(small, images)
    wide = widened(small, 24, images)
    x = export.to_tensor(export.synthetic_images(n=1, h=128, w=192, seed=3))
    for level in (0.0, 3.3, 7.0):
        a = export.float_codec(small, x, level, centered=False)
        b = export.float_codec(wide, x, level, centered=False)
        extra = b["bits"] - a["bits"]
        new_values = b["y"][:, 16:].numel()
        check(torch.equal(a["x_hat"], b["x_hat"]) and 0 <= extra <= 0.005 * new_values,
              f"widen() keeps the pixels at level {level} "
              f"(+{extra:.2f} bits for {new_values} new values)")
    wide.train()
    x_hat, ly, lz = wide(x / 255.0, torch.tensor([5.0]))
    loss, _, _ = rd_loss(x / 255.0, x_hat, ly, lz, LAMBDAS[5])
    loss.backward()
    ga = wide.g_a.convs[-1].weight.grad[16:].abs().sum()
    hs = wide.h_s.convs[-1].weight.grad[24 + 16:].abs().sum()
    check(ga > 0 and hs > 0, "widen(): the new channels get gradient")

    # train.carry_adam: old moments keep their places, new ones start at 0
    opt = torch.optim.Adam(small.parameters())
    small.train()
    x_hat, ly, lz = small(x / 255.0, torch.tensor([5.0]))
    rd_loss(x / 255.0, x_hat, ly, lz, LAMBDAS[5])[0].backward()
    opt.step()
    names = [n for n, _ in small.named_parameters()]
    wopt = torch.optim.Adam(wide.parameters())
    train.carry_adam(wopt, wide, names, opt.state_dict())
    st = dict(zip(names, (opt.state[p] for p in small.parameters())))
    wst = dict(zip(names, (wopt.state[p] for p in wide.parameters())))
    hs = f"h_s.convs.{len(small.h_s.convs) - 1}.weight"
    same = [n for n in names if st[n] and st[n]["exp_avg"].shape == wst[n]["exp_avg"].shape]
    ok = len(same) > 20 and all(torch.equal(wst[n]["exp_avg_sq"], st[n]["exp_avg_sq"])
                                for n in same)
    a, b = st[hs]["exp_avg"], wst[hs]["exp_avg"]
    ok = ok and torch.equal(b[:16], a[:16]) and torch.equal(b[24:40], a[16:]) \
        and not b[16:24].any() and not b[40:].any()
    check(ok, "carry_adam(): moments follow widen()")


def test_context():
    torch.manual_seed(2)
    base = DLIC(N=16, M=16).eval()
    make_test_model.condition(base, export.synthetic_images(n=4, h=96, w=128))
    cb = add_context(base).eval()
    x = export.to_tensor(export.synthetic_images(n=1, h=128, w=192, seed=3)) / 255.0
    for level in (0.0, 3.3, 7.0):
        lv = torch.tensor([level])
        torch.manual_seed(5)
        a = base(x, lv)
        torch.manual_seed(5)
        b = cb(x, lv)
        check(all(torch.equal(u, v) for u, v in zip(a, b)),
              f"add_context() keeps the function at level {level}")
    cb.train()
    x_hat, ly, lz = cb(x, torch.tensor([5.0]))
    rd_loss(x, x_hat, ly, lz, LAMBDAS[5])[0].backward()
    g = cb.c_ep.convs[-1].weight.grad[:, 16:].abs().sum()
    check(g > 0, "add_context(): c_ep's context weights get gradient")


def context_model(seed=2):
    """make_test_model.context_model(): a small conditioned model with a
    checkerboard context that matters."""
    return make_test_model.context_model(seed)


def test_context_int():
    """SPEC §6.1, §7.4 in the Python reference: export of a context model,
    the encoder's stream decodes (refdec) to export.int_codec's pixels, and
    the integer model stays near the float one."""
    cb, images = context_model()
    data, m = export.build(cb, images, "cb-test", test_model=True,
                           centered=False, log=lambda *a: None,
                           act_bits={tn: 12 for tn in intnet.TRANSFORMS + intnet.CONTEXT})
    check(m.flags == 3 and intnet.context_lag(m) == 3,
          "context model file: flags 3, lag 3 rows")
    img = export.synthetic_images(n=1, h=100, w=150, seed=7)[0]
    order = intnet.latent_order(m, 4, 3)
    check(sorted(order) == [(y, x) for y in range(4) for x in range(3)]
          and order[:2] == [(0, 0), (0, 2)] and order[5] == (3, 1),
          "latent_order(): every position once, anchors 3 rows ahead")
    for q in (0, 60, 100):
        stream = intnet.encode_image(m, img, q, rdo=False)   # int_codec rounds plainly
        pix, _ = refdec.decode(stream, m)
        ref, bits = export.int_codec(m, img, q)
        fl = export.float_codec(cb, export.to_tensor([img]),
                                export.quality_level(cb, q), centered=False)
        xf = fl["x_hat"][0].permute(1, 2, 0).clamp(0, 255).round().numpy()
        gap = export.psnr(img, xf) - export.psnr(img, ref)
        # bits: table estimate vs float likelihood; this toy model's ratio
        # is 0.84-0.89 without a context too
        check(np.array_equal(pix, ref) and abs(gap) < 1.0
              and 0.75 < bits / fl["bits"] < 1.25,
              f"context model q {q}: stream decodes to int_codec's pixels; "
              f"int vs float {gap:+.2f} dB, bits x{bits / fl['bits']:.3f}")
    plain = export.build(DLIC(N=16, M=16).eval(), images, "t", test_model=True,
                         centered=False, log=lambda *a: None)[1]
    s0 = intnet.encode_image(plain, img, 60)
    try:
        refdec.decode(s0, m)
        mismatch = False
    except intnet.DlicError as e:
        mismatch = e.name == "MODEL_MISMATCH"
    check(mismatch, "a stream of another model is refused")


def test_qat_weights():
    torch.manual_seed(3)
    model = DLIC(N=16, M=16).eval()
    images = export.synthetic_images(n=4, h=96, w=128)
    make_test_model.condition(model, images)
    set_qat(model, True, weights_only=True)
    x = export.to_tensor(export.synthetic_images(n=1, h=128, w=192, seed=3))
    a = export.float_codec(model, x, 4.0, centered=False)
    set_qat(model, False, weights_only=True)
    snap_weights(model)
    b = export.float_codec(model, x, 4.0, centered=False)
    check(torch.allclose(a["x_hat"], b["x_hat"], atol=1e-3) and
          abs(a["bits"] - b["bits"]) < 1e-3 * a["bits"],
          "qat_weights forward = snapped float forward")
    _, m = export.build(model, images, "qatw-test", test_model=True,
                        centered=False, log=lambda *a: None)
    same = True
    for tn in intnet.TRANSFORMS:
        for conv, L in zip(getattr(model, tn).convs, m.t[tn]):
            w = conv.weight.detach().double()
            s = w.abs().amax((1, 2, 3), keepdim=True) / 127.0
            q = torch.round(w / s).permute(0, 2, 3, 1).numpy().astype(np.int64)
            same = same and np.array_equal(q, L.W.reshape(q.shape))
    check(same, "export rounds the weights by the rule --qat-weights trains with")


def test_pointwise():
    import lite
    torch.manual_seed(4)
    widths = (8, 8, 4)
    small = lite.Transform(lite.lite_specs(16, widths))
    with torch.no_grad():
        for conv in small.convs:
            conv.weight.copy_(torch.randn_like(conv.weight) * 0.2)
            conv.bias.copy_(torch.randn_like(conv.bias) * 0.1)
    new = lite.add_pointwise(small, widths)
    check(len(new.specs) == 5 and new.specs[3] == (4, 4, 1, 1, 1, True),
          "add_pointwise: a 1x1 ReLU layer before the output layer")
    check(lite.macs(new.specs) - lite.macs(small.specs) == 4 * 4 / 4,
          "add_pointwise: c^2/4 more multiply-adds per pixel")
    y = torch.randn(2, 16, 3, 5) * 4
    check(torch.equal(small(y), new(y)), "add_pointwise keeps the output (float)")
    set_qat(small, True, weights_only=True)
    set_qat(new, True, weights_only=True)
    check(torch.allclose(small(y), new(y), atol=1e-6),
          "add_pointwise keeps the output (weight QAT)")
    new(y).square().mean().backward()
    g = new.convs[3].weight.grad
    check(g is not None and float(g.abs().sum()) > 0, "add_pointwise: the 1x1 layer learns")


def read_ppm(path):
    with open(path, "rb") as f:
        data = f.read()
    parts = data.split(maxsplit=4)
    w, h = int(parts[1]), int(parts[2])
    return np.frombuffer(parts[4][-w * h * 3:], np.uint8).reshape(h, w, 3)


def test_c_tools(build):
    enc, dec = (os.path.join(build, t) for t in ("dlic-enc", "dlic-dec"))
    if not (os.access(enc, os.X_OK) and os.access(dec, os.X_OK)):
        print(f"skip C tools: no {enc} / {dec}")
        return
    torch.manual_seed(0)
    model = DLIC(N=16, M=16, arch="v2").eval()
    images = export.synthetic_images(n=8, h=96, w=128, seed=0)
    make_test_model.condition(model, images)
    check_c_tools(enc, dec, model, images, "v2")
    check_c_tools(enc, dec, model, images, "v2 12-bit ReLU",
                  act_bits={tn: 12 for tn in intnet.TRANSFORMS})
    wide = widened(model, 20, images)
    with torch.no_grad():           # give the new channels some content
        wide.g_a.convs[-1].weight[16:] *= 40.0
        wide.h_s.convs[-1].bias[20 + 16:] = 2.0
    check_c_tools(enc, dec, wide, images, "v2 M=20")
    v1s2 = grow(DLIC(N=16, M=16).eval(), "v1s2").eval()
    make_test_model.condition(v1s2, images)
    with torch.no_grad():           # the grown layer not the identity
        w = v1s2.g_s.convs[3].weight
        w.add_(torch.randn_like(w) * 0.05)
    check_c_tools(enc, dec, v1s2, images, "v1s2")
    v1s22 = grow(v1s2, "v1s22").eval()
    with torch.no_grad():           # a second grown layer, not the identity
        w = v1s22.g_s.convs[4].weight
        w.add_(torch.randn_like(w) * 0.05)
    check_c_tools(enc, dec, v1s22, images, "v1s22")
    cb, cb_images = context_model()
    check_c_tools(enc, dec, cb, cb_images, "context 12-bit ReLU",
                  act_bits={tn: 12 for tn in intnet.TRANSFORMS + intnet.CONTEXT})


def check_c_tools(enc, dec, model, images, what, act_bits=None):
    data, m = export.build(model, images, "v2-test", test_model=True,
                           centered=False, log=lambda *a: None,
                           act_bits=act_bits)
    if act_bits:
        check(max(L.hi for t in m.t.values() for L in t if L.lo == 0)
              == (1 << 12) - 1, f"{what}: ReLU range 0..4095")
    img = export.synthetic_images(n=1, h=100, w=150, seed=7)[0]
    with tempfile.TemporaryDirectory() as d:
        w, src = os.path.join(d, "v2.dlicm"), os.path.join(d, "in.ppm")
        s, o = os.path.join(d, "out.dlic"), os.path.join(d, "out.ppm")
        with open(w, "wb") as f:
            f.write(data)
        refdec.write_pnm(src, img, False)
        for q in (0, 60, 100):
            ref = intnet.encode_image(m, img, q)
            pix, _ = refdec.decode(ref, m)
            for cpu in ("scalar", "avx2", "avxvnni", "avx512"):
                subprocess.run([enc, "--weights", w, "-q", str(q), f"--cpu={cpu}",
                                "-quiet", src, "-o", s], check=True)
                subprocess.run([dec, "--weights", w, f"--cpu={cpu}", s, "-o", o],
                               check=True, capture_output=True)
                with open(s, "rb") as f:
                    same_s = f.read() == ref
                check(same_s and np.array_equal(read_ppm(o), pix),
                      f"{what} model, q {q}, --cpu={cpu}: C stream and pixels "
                      "match the reference")


def main():
    torch.set_num_threads(1)
    test_grow()
    test_widen()
    test_context()
    test_context_int()
    test_qat_weights()
    test_pointwise()
    test_c_tools(sys.argv[1] if len(sys.argv) > 1 else
                 os.path.join(HERE, "..", "build"))
    print("FAILED: %d" % failures if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
