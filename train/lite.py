#!/usr/bin/python3
"""g_s lite: a smaller synthesis transform for the same streams (SPEC §8.7).

Only g_s makes pixels; the symbols, h_s and the context stay the model's,
so a lite g_s decodes every stream of its model.  Three steps:

  prune    g_s with fewer channels in its three hidden layers.  A hidden
           channel c (after the pixel shuffle) is ranked by its expected
           contribution to the next layer, E[a_c] * ||W_next[:, c]||_2
           (a_c: its ReLU output over training crops at all qualities;
           W_next: the next layer's weights that read it); the highest
           are kept, and the mean output of each dropped channel is folded
           into the next layer's biases.
  distill  train the pruned (or a freshly initialised) g_s lite on latents
           of training crops made by the frozen model, with the loss
           lambda 255^2 ((1 - beta) MSE(x_lite, x) + beta MSE(x_lite, x_full)),
           x_full the full g_s's output (the teacher); weight-only QAT
           (int8 weights as the C decoder has them) from the start.
  --grow   (train) the model's own g_s instead, grown to a model.GROWN
           architecture that adds layers to g_s alone (v1s2, v1s4 from a
           v1 teacher, v1s22 from a v1s2 one; the new layers start as the
           identity), trained on the same latents with
           --beta 0: more decoder capacity for the same streams' symbols
           (issue 39); `merge` then puts it into a copy of the checkpoint,
           which export.py exports as a new model.
  export   quantize g_s lite as export.py quantizes g_s (the model file's
           step of YH, 12-bit or --act-bits ReLU outputs, bias correction) and append it
           to a model file (§8.7), whose model id does not change.

  /usr/bin/python3 train/lite.py train --run train/runs/lite --minutes 85 \\
      --decay-minutes 35 --lr 2e-4 [--init train/checkpoints/lite.pt]
  /usr/bin/python3 train/lite.py export train/runs/lite/lite.pt \\
      weights/default.dlicm -o out.dlicm --threads 2 --act-bits 8
"""
import argparse
import math
import os
import signal
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import export                                     # noqa: E402
from ema import EMA                               # noqa: E402
import intnet                                     # noqa: E402
from data import DEFAULT_PACK, CropSampler        # noqa: E402
from model import (LAMBDAS, GROWN, Transform, from_checkpoint,   # noqa: E402
                   grow, inserted, layer_specs)
from quant import set_qat, snap_weights           # noqa: E402

DEFAULT_CKPT = os.path.join(HERE, "checkpoints", "dlic.pt")
# Hidden channels of g_s lite after each shuffle (g_s: 128, 128, 64):
# 28.9% of g_s's multiply-adds per pixel, 29.7% with --pointwise (the
# default model's lite since session 29).
DEFAULT_WIDTHS = (64, 64, 32)


def lite_specs(M, widths, pointwise=False):
    """pointwise: a 1x1 ReLU layer of c channels at 1/2 resolution before
    the output layer (c^2 / 4 multiply-adds per pixel)."""
    a, b, c = widths
    mid = [(c, c, 1, 1, 1, True)] if pointwise else []
    return [(M, 4 * a, 3, 1, 2, True), (a, 4 * b, 3, 1, 2, True),
            (b, 4 * c, 3, 1, 2, True)] + mid + [(c, 12, 3, 1, 2, False)]


@torch.no_grad()
def add_pointwise(lite, widths):
    """lite with the 1x1 layer of lite_specs(pointwise=True) inserted as the
    identity: its input is a ReLU output (>= 0), so the new model computes
    exactly what lite did."""
    c = widths[2]
    new = Transform(lite_specs(lite.specs[0][0], widths, True))
    for i in range(3):
        new.convs[i].load_state_dict(lite.convs[i].state_dict())
    new.convs[4].load_state_dict(lite.convs[3].state_dict())
    new.convs[3].weight.copy_(torch.eye(c).reshape(c, c, 1, 1))
    new.convs[3].bias.zero_()
    return new


def macs(specs):
    """Multiply-adds per output pixel of a g_s-like transform."""
    total, res = 0.0, 1.0 / 256          # g_s's input is at 1/16 (1/256 px)
    for cin, cout, k, _, shuf, _ in specs:
        total += cin * cout * k * k * res
        res *= shuf * shuf
    return total


def cast(sd, dtype):
    """State dict sd with its floating-point tensors in dtype (fp16 for the
    lean checkpoints, fp32 to load them)."""
    return {k: v.to(dtype) if v.is_floating_point() else v for k, v in sd.items()}


def load_teacher(path):
    m = export.load_checkpoint(path)
    for p in m.parameters():
        p.requires_grad_(False)
    return m


def psnr_gain(mse_ref, mse):
    """Mean PSNR gain in dB of a batch's errors mse over mse_ref (the log's
    `PSNR vs full`: against the teacher's g_s, the start of a --grow run)."""
    return float((10 * torch.log10(mse_ref / mse.detach().clamp(min=1e-10))).mean())


def level_lambda(level):
    """lambda at a continuous level: log-linear between the 8 levels."""
    lo = torch.clamp(level.floor().long(), 0, len(LAMBDAS) - 2)
    a = level - lo.float()
    lam = torch.tensor(LAMBDAS).log()
    return torch.exp((1 - a) * lam[lo] + a * lam[lo + 1])


@torch.no_grad()
def latents(model, x, level):
    """YH (the decoder's latent, §6) and the full g_s's output for x in
    [0, 1]: the float model with the integer decoder's rounding."""
    y = model.g_a(x - 0.5)
    z = torch.round(model.h_a(y))
    lg, lig = model.gains(level)
    mu, _ = model.entropy_params(y, z, lig, lg)
    y_hat = torch.round((y - mu) * torch.exp2(lg)) * torch.exp2(lig) + mu
    return y_hat, model.g_s(y_hat) + 0.5


@torch.no_grad()
def prune(teacher, widths, sampler, crops=32, log=print):
    """g_s lite from g_s by the channel ranking of the module docstring."""
    gs = teacher.g_s
    M = teacher.M
    specs = lite_specs(M, widths)
    acts = {}
    hooks = []
    for i in range(3):
        def hook(mod, inp, out, i=i):
            a = F.relu(F.pixel_shuffle(out, 2)).float()
            acts.setdefault(i, []).append(a.mean((0, 2, 3)))
        hooks.append(gs.convs[i].register_forward_hook(hook))
    for j in range(0, crops, 4):
        x = torch.from_numpy(sampler.batch(4)).permute(0, 3, 1, 2).float() / 255
        level = torch.linspace(0, len(LAMBDAS) - 1, 4)
        latents(teacher, x, level)
    for h in hooks:
        h.remove()
    keep = []
    for i in range(3):
        mean = torch.stack(acts[i]).mean(0)             # (C,)
        w_next = gs.convs[i + 1].weight.detach()        # (cout, C, k, k)
        score = mean * w_next.pow(2).sum((0, 2, 3)).sqrt()
        idx = torch.sort(torch.argsort(score, descending=True)[:widths[i]]).values
        keep.append((idx, mean))
        log(f"layer {i}: kept {widths[i]} of {len(score)} channels, "
            f"{100 * float(score[idx].sum() / score.sum()):.1f}% of the score")
    lite = Transform(specs)
    prev = torch.arange(M)
    for i, conv in enumerate(lite.convs):
        src = gs.convs[i]
        if i < 3:
            idx = keep[i][0]
            rows = (4 * idx[:, None] + torch.arange(4)).reshape(-1)
        else:
            rows = torch.arange(src.weight.shape[0])
        conv.weight.copy_(src.weight[rows][:, prev])
        b = src.bias[rows].clone()
        if i > 0:                       # fold the dropped inputs' means
            pidx, pmean = keep[i - 1]
            drop = torch.ones(len(pmean), dtype=torch.bool)
            drop[pidx] = False
            w = src.weight[rows][:, drop].sum((2, 3))     # (rows, ndrop)
            b += w @ pmean[drop]
        conv.bias.copy_(b)
        if i < 3:
            prev = keep[i][0]
    return lite


def train(a):
    torch.set_num_threads(a.threads or len(os.sched_getaffinity(0)))
    torch.manual_seed(a.seed)   # the levels drawn: runs side by side see the same
    teacher = load_teacher(a.teacher)
    sampler = CropSampler(a.pack, a.crop, seed=a.seed)
    ckpt = os.path.join(a.run, "ckpt.pt")
    os.makedirs(a.run, exist_ok=True)
    if a.grow:
        specs = layer_specs(teacher.N, teacher.M, a.grow)["g_s"]
    else:
        specs = lite_specs(teacher.M, a.widths, a.pointwise)
    step = crops = 0
    elapsed = 0.0
    if os.path.exists(ckpt):
        st = torch.load(ckpt, map_location="cpu", weights_only=False)
        lite = Transform(specs)
        if st.get("arch") != a.grow:
            raise SystemExit(f"{ckpt} was trained with --grow {st.get('arch')}; pass the same")
        if st.get("pointwise", False) != a.pointwise:
            raise SystemExit(f"{ckpt} was trained with{'' if st.get('pointwise') else 'out'}"
                             " --pointwise; pass the same")
        lite.load_state_dict(st["lite"])
        step, crops, elapsed = st["step"], st["crops"], st["elapsed"]
        sampler.set_state(st["sampler"])
        torch.set_rng_state(st["torch_rng"])
    elif a.grow:
        if a.init != "prune":
            raise SystemExit("--grow starts from the teacher's g_s: no --init")
        try:
            lite = grow(teacher, a.grow).g_s.train()
        except ValueError:
            raise SystemExit(f"--grow {a.grow} does not extend {a.teacher}'s {teacher.arch} "
                             "(session 21's v1: git show 97f30c0:train/checkpoints/dlic.pt)")
    elif a.init == "prune":
        lite = prune(teacher, a.widths, sampler, log=lambda s: print(s, file=sys.stderr))
        if a.pointwise:
            lite = add_pointwise(lite, a.widths)
    elif a.init == "scratch":
        torch.manual_seed(a.seed)
        lite = Transform(specs)
    else:                       # a lite.pt (train/checkpoints/lite.pt)
        lite, st = load_lite(a.init)
        if tuple(st["widths"]) != tuple(a.widths):
            raise SystemExit(f"{a.init} has widths {st['widths']}; pass --widths "
                             + ",".join(str(v) for v in st["widths"]))
        if a.pointwise and not st.get("pointwise", False):
            lite = add_pointwise(lite, a.widths)
        elif st.get("pointwise", False) != a.pointwise:
            raise SystemExit(f"{a.init} has the 1x1 layer; pass --pointwise")
        lite.train()
        step, crops = st.get("step", 0), st.get("crops", 0)
        sampler = CropSampler(a.pack, a.crop, seed=a.seed + step)
    if os.path.exists(ckpt):
        a.act_steps = st.get("act_steps", "lsq")
    elif a.act_qat and a.act_steps == "export":
        export_steps(lite.eval(), teacher, export.pack_crops(a.calib_crops))
        lite.train()
    set_qat(lite, True, weights_only=True)
    if a.act_qat:
        # also the hidden ReLU outputs on an 8-bit grid, which export then
        # uses (--act-bits 8): export's steps, fixed, or learned ones
        # (quant.py's LSQ, from the 99.9th percentile)
        set_qat(lite, True)
        for conv in lite.convs:
            conv.log_step.requires_grad_(a.act_steps == "lsq")
    lite = lite.to(memory_format=torch.channels_last)
    groups = [{"params": list(lite.parameters()), "scale": 1.0}]
    if a.grow and a.lr_grown:
        # the inserted layers learn at --lr-grown, the trained ones at --lr
        # (a converged g_s drifts at a restart's rate: session 30)
        new = [p for i in inserted(teacher.arch, a.grow).get("g_s", ())
               for p in lite.convs[i].parameters()]
        ids = set(map(id, new))
        groups = [{"params": [p for p in lite.parameters() if id(p) not in ids],
                   "scale": 1.0},
                  {"params": new, "scale": a.lr_grown / a.lr}]
    opt = torch.optim.Adam(groups, lr=a.lr)
    if os.path.exists(ckpt) and "opt" in st:
        opt.load_state_dict(st["opt"])
    # --ema: an exponential moving average of the weights, which lite.pt
    # (what merge and export read) holds instead of the last step's
    ema = None
    if a.ema:
        ema = EMA(lite, a.ema, st.get("ema") if os.path.exists(ckpt) else None)
    what = f"g_s {a.grow}" if a.grow else f"g_s lite {a.widths}"
    print(f"{what}: {macs(specs):.0f} MAC/px, "
          f"{100 * macs(specs) / macs(teacher.g_s.specs):.1f}% of g_s's "
          f"{macs(teacher.g_s.specs):.0f}", file=sys.stderr)
    stop = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.append(1))

    def save():
        tmp = ckpt + ".tmp"
        torch.save({"lite": lite.state_dict(), "opt": opt.state_dict(),
                    "step": step, "crops": crops,
                    "elapsed": elapsed + time.time() - t0,
                    "widths": tuple(a.widths), "M": teacher.M, "arch": a.grow,
                    "teacher": os.path.basename(a.teacher), "beta": a.beta,
                    "init": a.init, "act_qat": a.act_qat, "pointwise": a.pointwise,
                    "act_steps": a.act_steps, "ema": ema and ema.avg,
                    "sampler": sampler.state(),
                    "torch_rng": torch.get_rng_state()}, tmp)
        os.replace(tmp, ckpt)
        lean = {"lite": cast(ema.state_dict(lite) if ema else lite.state_dict(),
                             torch.float16),
                "widths": tuple(a.widths), "M": teacher.M, "arch": a.grow,
                "step": step,
                "crops": crops, "beta": a.beta, "init": a.init,
                "act_qat": a.act_qat, "pointwise": a.pointwise}
        torch.save(lean, os.path.join(a.run, "lite.pt.tmp"))
        os.replace(os.path.join(a.run, "lite.pt.tmp"), os.path.join(a.run, "lite.pt"))

    t0 = t_ck = time.time()
    total = a.minutes * 60
    win, win_avg, win_t = [], [], time.time()
    pool = None
    while not stop and elapsed + time.time() - t0 < total:
        if pool is None or pool_i >= len(pool):
            # a pool of crops with their latents and teacher outputs,
            # each crop used --reuse times (the teacher's forward pass
            # costs more than the student's step)
            pool = []
            for _ in range(a.pool):
                x = torch.from_numpy(sampler.batch(a.batch)).permute(0, 3, 1, 2).float() / 255
                lv = torch.rand(a.batch) * (len(LAMBDAS) - 1)
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    yh, xt = latents(teacher, x.contiguous(memory_format=torch.channels_last), lv)
                pool.append((x, yh.float(), xt.float(), lv))
            order = [i for _ in range(a.reuse) for i in torch.randperm(len(pool)).tolist()]
            pool = [pool[i] for i in order]
            pool_i = 0
        x, yh, xt, lv = pool[pool_i]
        pool_i += 1
        t = elapsed + time.time() - t0
        d = a.decay_minutes * 60
        lr = a.lr if t < total - d else a.lr_end + 0.5 * (a.lr - a.lr_end) * (
            1 + math.cos(math.pi * min(1.0, (t - total + d) / d)))
        for g in opt.param_groups:
            g["lr"] = lr * g["scale"]
        with torch.autocast("cpu", dtype=torch.bfloat16):
            xs = lite(yh.contiguous(memory_format=torch.channels_last)) + 0.5
        xs = xs.float()
        mse_x = (xs - x).pow(2).mean((1, 2, 3))
        mse_t = (xs - xt).pow(2).mean((1, 2, 3))
        lam = level_lambda(lv) * 255 ** 2
        loss = (lam * ((1 - a.beta) * mse_x + a.beta * mse_t)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(lite.parameters(), 1.0)
        opt.step()
        if ema:
            ema.update(lite)
        step += 1
        crops += a.batch
        mse_f = (xt.clamp(0, 1) - x).pow(2).mean((1, 2, 3))
        win.append((loss.item(), psnr_gain(mse_f, mse_x)))
        if ema and step % 10 == 0:
            # what lite.pt exports is the average, not these weights: a
            # new layer's noisy weights can lose while their average gains
            # (session 33); every 10th batch, about 3% of the time
            with torch.no_grad(), ema.applied(lite), \
                    torch.autocast("cpu", dtype=torch.bfloat16):
                xa = lite(yh.contiguous(memory_format=torch.channels_last)) + 0.5
            win_avg.append(psnr_gain(mse_f, (xa.float() - x).pow(2).mean((1, 2, 3))))
        if step % 50 == 0:
            l, dp = (sum(v[i] for v in win) / len(win) for i in range(2))
            da = sum(win_avg) / len(win_avg) if win_avg else float("nan")
            msg = (f"step {step} crops {crops} | {50 * a.batch / (time.time() - win_t):.1f} "
                   f"crops/s | lr {lr:.2e} | loss {l:.4f} | PSNR vs full {dp:+.3f} dB"
                   + (f", average {da:+.3f} dB" if ema else ""))
            print(msg, file=sys.stderr, flush=True)
            with open(os.path.join(a.run, "log.tsv"), "a") as f:
                f.write(f"{step}\t{crops}\t{l:.5f}\t{dp:.4f}"
                        + (f"\t{da:.4f}" if ema else "") + "\n")
            win, win_avg, win_t = [], [], time.time()
        if time.time() - t_ck > a.ckpt_minutes * 60:
            save()
            t_ck = time.time()
    save()
    print(f"stopped at step {step}, {crops} crops", file=sys.stderr)


# ---------------------------------------------------------------- export

def load_lite(path):
    st = torch.load(path, map_location="cpu", weights_only=False)
    lite = Transform(lite_specs(st["M"], tuple(st["widths"]), st.get("pointwise", False)))
    lite.load_state_dict(cast(st["lite"], torch.float32))
    set_qat(lite, True, weights_only=True)
    snap_weights(lite)
    set_qat(lite, False, weights_only=True)
    return lite.eval(), st


@torch.no_grad()
def act_samples(lite, teacher, images):
    """Every 7th output of each layer of lite and the mean of its input,
    over images (calibration crops) at levels 0, 3.5 and 7."""
    samples, means = {}, {}
    hooks = []
    for i, conv in enumerate(lite.convs):
        def hook(mod, inp, out, i=i):
            samples.setdefault(i, []).append(out.float().numpy().ravel()[::7])
            means.setdefault(i, []).append(inp[0].double().mean((0, 2, 3)).numpy())
        hooks.append(conv.register_forward_hook(hook))
    levels = (0.0, (len(LAMBDAS) - 1) / 2, float(len(LAMBDAS) - 1))
    for lv in levels:
        for j in range(0, len(images), 4):
            x = export.to_tensor(images[j:j + 4]) / 255.0
            yh, _ = latents(teacher, x, torch.full((x.shape[0],), lv))
            lite(yh)
    for h in hooks:
        h.remove()
    return ({i: np.concatenate(v) for i, v in samples.items()},
            {i: np.mean(v, 0) for i, v in means.items()})


@torch.no_grad()
def export_steps(lite, teacher, images):
    """Fix the 8-bit step of every hidden ReLU output of lite to the one
    export would choose for it (export.relu_step on export's calibration
    crops) and mark it calibrated, so QAT trains against exactly the
    rounding `export --act-bits 8` will do."""
    samples, _ = act_samples(lite, teacher, images)
    for i, (conv, spec) in enumerate(zip(lite.convs, lite.specs)):
        if spec[5]:
            conv.calibrated.fill_(0)
            conv.log_step.fill_(math.log(export.relu_step(conv, samples[i], True, 255)))
            conv.calibrated.fill_(1)


@torch.no_grad()
def quantize_lite(lite, teacher, dec, images, act_bits=(12,)):
    """The integer layers of g_s lite (§8.2) for model file dec: the input
    step is dec's step of YH, ReLU steps from calibration (export's rule)
    with act_bits[i] bits of output for hidden layer i, the last layer's
    output in pixels 0..255."""
    hidden = sum(1 for spec in lite.specs if spec[5])
    if len(act_bits) == 1:
        act_bits = act_bits * hidden
    if len(act_bits) != hidden:
        raise SystemExit(f"--act-bits: one bit count or {hidden}, one per hidden layer")
    act_bits = list(act_bits) + [0]            # the output layer's: unused
    s_y = export.decoder_step(dec, teacher)
    samples, means = act_samples(lite, teacher, images)
    layers, s_in, amax = [], s_y, dec.YMAX
    for i, (conv, spec) in enumerate(zip(lite.convs, lite.specs)):
        mu = means[i]
        if spec[5]:
            hi_act = (1 << act_bits[i]) - 1
            if int(conv.calibrated) and hi_act != 255:
                raise SystemExit(f"hidden layer {i} was trained with 8-bit activations "
                                 "(--act-qat): export it with --act-bits 8")
            s_out = export.relu_step(conv, samples[i], True, hi_act)
            L = export.quantize_conv(conv, spec, s_in, s_out, 0, hi_act, amax,
                                     None, mu)
            s_in, amax = s_out, hi_act
        else:
            L = export.quantize_conv(conv, spec, s_in, 1.0 / 255, 0, 255, amax,
                                     np.full(spec[1], 0.5), mu)
        layers.append(L)
    return layers


def parse_act_bits(text):
    """--act-bits: "8" for every hidden layer, or one each ("8,8,12")."""
    try:
        bits = tuple(int(v) for v in text.split(","))
    except ValueError:
        bits = ()
    if not bits or not all(1 <= b <= 15 for b in bits):
        raise argparse.ArgumentTypeError(f"'{text}': bit counts in 1..15, one or "
                                         "one per hidden layer")
    return bits


def merge_main(a):
    """A copy of the teacher's checkpoint grown to the run's architecture
    (unless it has it), with the run's g_s: a train.py checkpoint for
    export.py."""
    st = torch.load(a.lite, map_location="cpu", weights_only=False)
    if not st.get("arch"):
        raise SystemExit(f"{a.lite}: not a --grow run (a g_s lite: use export)")
    ck = torch.load(a.teacher, map_location="cpu", weights_only=False)
    model = grow(from_checkpoint(ck), st["arch"])   # a copy if already grown
    model.g_s.load_state_dict(cast(st["lite"], torch.float32))
    ck = dict(ck, model=cast(model.state_dict(), torch.float16), arch=st["arch"],
              gs_run={"step": st["step"], "crops": st["crops"]})
    ck.pop("opt", None)
    torch.save(ck, a.output + ".tmp")
    os.replace(a.output + ".tmp", a.output)
    print(f"{a.output}: {st['arch']}, g_s {macs(model.g_s.specs):.0f} MAC/px, "
          f"step {st['step']}, {st['crops']} crops")


def export_main(a):
    torch.set_num_threads(a.threads)
    teacher = load_teacher(a.teacher)
    lite, st = load_lite(a.lite)
    with open(a.model, "rb") as f:
        dec = intnet.parse_model(f.read())
    images = export.pack_crops(a.calib_crops)
    dec.t[intnet.LITE] = quantize_lite(lite, teacher, dec, images, a.act_bits)
    data = intnet.write_model(dec)
    m = intnet.parse_model(data)             # every check of §8.6, §8.7
    if m.id != dec.id:
        raise SystemExit("the model id changed")
    tmp = a.output + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, a.output)
    full = macs(teacher.g_s.specs)
    print(f"{a.output}: model id {m.id:016x}, g_s lite {tuple(st['widths'])} "
          f"{macs(lite.specs):.0f} MAC/px ({100 * macs(lite.specs) / full:.1f}% "
          f"of g_s), step {st.get('step', 0)}, {st.get('crops', 0)} crops")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="prune and distil (resumable)")
    t.add_argument("--run", required=True)
    t.add_argument("--teacher", default=DEFAULT_CKPT)
    t.add_argument("--pack", default=DEFAULT_PACK)
    t.add_argument("--widths", type=lambda s: tuple(int(v) for v in s.split(",")),
                   default=DEFAULT_WIDTHS)
    t.add_argument("--init", default="prune", metavar="prune|scratch|LITE.pt",
                   help="start of a new run: g_s pruned (default), random, or "
                        "a lite.pt (train/checkpoints/lite.pt) to continue")
    t.add_argument("--beta", type=float, default=0.5,
                   help="weight of the distance to the teacher's output")
    t.add_argument("--pointwise", action="store_true",
                   help="a 1x1 ReLU layer of the last width at 1/2 resolution "
                        "before the output layer (c^2/4 MAC/px), inserted as "
                        "the identity into a pruned or --init lite; a run keeps it")
    t.add_argument("--act-qat", action="store_true",
                   help="train with the hidden ReLU outputs rounded to 8 bits "
                        "as `export --act-bits 8` makes them")
    t.add_argument("--act-steps", choices=("export", "lsq"), default="export",
                   help="--act-qat's steps: export's (relu_step on its "
                        "calibration crops), fixed; or learned (LSQ from the "
                        "99.9th percentile, session 28)")
    t.add_argument("--calib-crops", type=int, default=16,
                   help="crops for --act-steps export (as export's)")
    t.add_argument("--batch", type=int, default=8)
    t.add_argument("--crop", type=int, default=256)
    t.add_argument("--pool", type=int, default=32, help="batches per pool")
    t.add_argument("--reuse", type=int, default=4, help="passes over a pool")
    t.add_argument("--lr", type=float, default=1e-4)
    t.add_argument("--lr-end", type=float, default=5e-6)
    t.add_argument("--minutes", type=float, default=60)
    t.add_argument("--decay-minutes", type=float, default=20)
    t.add_argument("--ckpt-minutes", type=float, default=5)
    t.add_argument("--seed", type=int, default=777)
    t.add_argument("--threads", type=int, default=0)
    t.add_argument("--grow", choices=["v1"] + [k for k, v in GROWN.items() if list(v) == ["g_s"]],
                   default=None, help="train the model's own g_s grown to this "
                                      "architecture (use --beta 0), not a lite one; "
                                      "the teacher's own: g_s as it is (the ablation)")
    t.add_argument("--lr-grown", type=float, default=0.0,
                   help="--grow: the learning rate of the inserted layers "
                        "(decays by the same factor as --lr; 0: --lr)")
    t.add_argument("--ema", type=float, default=0.0, metavar="DECAY",
                   help="lite.pt holds an exponential moving average of the weights "
                        "with this decay per step (e.g. 0.999; 0: the last step's)")
    g = sub.add_parser("merge", help="a --grow run's g_s into a checkpoint for export.py")
    g.add_argument("lite", help="lite.pt of a --grow run")
    g.add_argument("-o", "--output", required=True)
    g.add_argument("--teacher", default=DEFAULT_CKPT)
    e = sub.add_parser("export", help="append g_s lite to a model file")
    e.add_argument("lite", help="lite.pt of a train run")
    e.add_argument("model", help="the model file of the teacher")
    e.add_argument("-o", "--output", required=True)
    e.add_argument("--teacher", default=DEFAULT_CKPT)
    e.add_argument("--calib-crops", type=int, default=16)
    e.add_argument("--threads", type=int, default=1)
    e.add_argument("--act-bits", type=parse_act_bits, default=(12,),
                   metavar="B|B1,B2,...",
                   help="bits (1..15) of the ReLU outputs, one for every "
                        "hidden layer or one each (default 12); 8 puts the "
                        "layer that reads them on the kernels' u8 path "
                        "(vpdpbusd: twice the multiply-adds per instruction)")
    a = ap.parse_args()
    if a.cmd == "train":
        if len(a.widths) != 3 or min(a.widths) < 1:
            raise SystemExit("--widths: three channel counts, e.g. 64,48,32")
        train(a)
    elif a.cmd == "merge":
        merge_main(a)
    else:
        export_main(a)


if __name__ == "__main__":
    main()
