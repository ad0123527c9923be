#!/usr/bin/python3
"""Train the DLIC variable-rate hyperprior (resumable; CPU or CUDA).

    /usr/bin/python3 train/train.py --minutes 150            # CPU, resumes
    /usr/bin/python3 train/train.py --qat --minutes 60       # int8 QAT phase
    # a session's run: 3e-4, then a cosine to 2e-5 over its last 40 minutes
    /usr/bin/python3 train/train.py --minutes 120 --lr 3e-4 --decay-minutes 40

State lives in --run (default train/runs/main): ckpt.pt holds the model,
the optimizer, the step, the crops seen and every RNG state, written
atomically every --ckpt-minutes and on SIGTERM/SIGINT, so a stopped run
resumes exactly (a killed one loses at most --ckpt-minutes).  End every
session with a decay phase: exporting from the high-lr state measured
+300% BD-rate vs BPG against +176% after 24 minutes at 5e-5 (session 2).
--init loads only model weights (e.g. the committed train/checkpoints/
dlic.pt) when the run directory has no checkpoint yet, and also the Adam
moments if it is a run's ckpt.pt of the same architecture.  --init can
grow a v1 model to v2 (--arch v2, model.grow) or widen the latent
(--M 320, model.widen; moments of new channels start at 0).  The v2 run
that jumped straight to 3e-4 from empty moments stayed about 0.2 above
v1's loss at the same lr for an hour (session 8), so give a run that
starts from new or empty moments --warmup-minutes.
"""
import argparse
import contextlib
import ctypes
import math
import os
import signal
import sys
import time


def keep_freed_memory():
    """Stop glibc from returning big freed blocks to the kernel.

    Every activation of a training step is a fresh multi-megabyte tensor;
    with glibc's default thresholds those come from mmap and go back on
    free, so each step page-faults its whole working set again.  Measured
    here (one thread, batch 8 of 256x256, bf16): 1.00 s per step with the
    defaults, 0.61 s with these settings; fp32 ReLU on a 33 MB tensor goes
    from 92 ms to 1.6 ms.  Must run before torch allocates anything.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
    libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)    # glibc's maximum
    libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)
    libc.mallopt(M_TOP_PAD, 256 << 20)


keep_freed_memory()

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import KODAK, CropSampler, DEFAULT_PACK  # noqa: E402
from model import (ARCHS, CONTEXTS, DLIC, ENCODER_ONLY, LAMBDAS,  # noqa: E402
                   add_context, grow,
                   load_weights, rd_loss, widen, widened_copy)
from ema import EMA  # noqa: E402
from quant import set_qat  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", default=os.path.join(HERE, "runs", "main"))
    p.add_argument("--init", default=None,
                   help="checkpoint to start a new run from (a ckpt.pt also gives "
                        "its Adam moments)")
    p.add_argument("--pack", default=DEFAULT_PACK)
    p.add_argument("--N", type=int, default=None,
                   help="channels of a new run (default 128)")
    p.add_argument("--M", type=int, default=None,
                   help="latent channels of a new run (default 192); with --init "
                        "of a checkpoint with fewer, widens it (model.widen)")
    p.add_argument("--arch", choices=ARCHS, default=None,
                   help="architecture of a new run (default v1); with --init "
                        "of a v1 checkpoint, v2 grows it (model.grow)")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--crop", type=int, default=256)
    p.add_argument("--context", choices=[c for c in CONTEXTS if c], default=None,
                   help="entropy-model context of a new run (cb: checkerboard); "
                        "with --init of a checkpoint without one, adds it "
                        "(model.add_context)")
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--decay-minutes", type=float, default=0.0,
                   help="cosine-decay the lr to --lr-end over the last this many minutes")
    p.add_argument("--lr-end", type=float, default=2e-5)
    p.add_argument("--warmup-minutes", type=float, default=0.0,
                   help="ramp the lr up linearly from 0 over the first this many "
                        "minutes (for --init, whose Adam state starts empty)")
    p.add_argument("--minutes", type=float, default=60.0, help="stop after this wall time")
    p.add_argument("--continue-schedule", action="store_true",
                   help="when resuming a run, count --minutes, --warmup-minutes and "
                        "--decay-minutes from the run's start (the elapsed time its "
                        "checkpoint saved), not from this invocation's")
    p.add_argument("--steps", type=int, default=0, help="stop at this total step (0: no limit)")
    p.add_argument("--ckpt-minutes", type=float, default=5.0)
    p.add_argument("--val-minutes", type=float, default=30.0)
    p.add_argument("--qat", action="store_true", help="int8 quantization-aware training")
    p.add_argument("--qat-weights", action="store_true",
                   help="round the weights to int8 in training (activations stay "
                        "float); a run keeps it once on")
    p.add_argument("--encoder-only", action="store_true",
                   help="train g_a and h_a alone (model.ENCODER_ONLY) against the "
                        "frozen decoder: h_s, g_s, the context, the prior and the "
                        "gains keep the values of --init, so export "
                        "--decoder-from can keep the old model file's decoder "
                        "sections byte for byte; a run keeps it once on")
    p.add_argument("--hard-rate", action="store_true",
                   help="rate of the rounded latents (straight-through) instead "
                        "of the noisy ones: what the codec pays; only with "
                        "--encoder-only (a trainable entropy model would learn "
                        "nothing useful from it); a run keeps it once on")
    p.add_argument("--ema", type=float, default=0.0, metavar="DECAY",
                   help="keep an exponential moving average of the trained "
                        "weights (e.g. 0.999) and write it to lean.pt, the "
                        "file export reads; validation uses it too; 0: off "
                        "(issue 39's recipe)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--threads", type=int, default=0, help="0: every allowed core")
    p.add_argument("--no-bf16", action="store_true")
    return p.parse_args()


def lean_state(model, step, crops, args, ema=None):
    """Weights in fp16 plus counters: what train/checkpoints/ commits; with
    ema (an EMA), its averaged weights in place of the trained ones."""
    sd = ema.state_dict(model) if ema else model.state_dict()
    sd = {k: (v.half() if v.is_floating_point() else v) for k, v in sd.items()}
    return {"model": sd, "step": step, "crops": crops, "N": args.N, "M": args.M,
            "arch": model.arch, "context": model.context, "qat": args.qat,
            "qat_weights": args.qat_weights, "encoder_only": args.encoder_only,
            "ema": bool(ema)}


def trainable(model, encoder_only):
    """The parameters to train, in named_parameters() order: all, or with
    encoder_only those of model.ENCODER_ONLY (the rest get requires_grad
    False, so backward computes no weight gradients for them; measured in
    weights/README.md)."""
    out = []
    for n, p in model.named_parameters():
        p.requires_grad_(not encoder_only or n.startswith(ENCODER_ONLY))
        if p.requires_grad:
            out.append(p)
    return out


def save_atomic(obj, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def carry_adam(opt, model, names, old):
    """Load the Adam state `old` of a model whose parameters were `names`
    (in order) into opt, for `model`, the same architecture or a
    model.widen() of it: moments of new latent channels start at 0."""
    params = dict(model.named_parameters())
    index = {n: j for j, n in enumerate(params)}
    new = opt.state_dict()
    for i, st in old["state"].items():
        p = params[names[i]]
        st = dict(st)
        for key in ("exp_avg", "exp_avg_sq"):
            d = torch.zeros_like(p, memory_format=torch.contiguous_format)
            widened_copy(model, names[i], st[key].to(d.device, d.dtype), d)
            st[key] = d
        new["state"][index[names[i]]] = st
    opt.load_state_dict(new)


@torch.no_grad()
def validate(model, device, names=("kodim04.png", "kodim15.png", "kodim23.png")):
    from PIL import Image
    model.eval()
    out = []
    for level in (0.0, 3.5, 7.0):
        bpps, psnrs = [], []
        for n in names:
            p = os.path.join(KODAK, n)
            if not os.path.exists(p):
                continue
            a = np.asarray(Image.open(p).convert("RGB"), np.float32) / 255.0
            x = torch.from_numpy(a).permute(2, 0, 1)[None].to(device)
            torch.manual_seed(0)
            x_hat, ly, lz = model(x, torch.tensor([level], device=device))
            _, bpp, mse = rd_loss(x, x_hat.clamp(0, 1), ly, lz, 0.0)
            bpps.append(bpp.item())
            psnrs.append(10 * math.log10(1.0 / max(mse.item(), 1e-10)))
        if bpps:
            out.append((level, sum(bpps) / len(bpps), sum(psnrs) / len(psnrs)))
    model.train()
    return out


def main():
    args = parse_args()
    # This PyTorch build's OpenMP default is one thread on this 2-core
    # machine (omp_get_max_threads() = 1): use every core we may run on.
    # Step of batch 8x256x256 here: 0.57 s on 1 thread, 0.32 s on 2.
    torch.set_num_threads(args.threads or len(os.sched_getaffinity(0)))
    dev = torch.device(args.device)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True     # fixed crop shapes
    ckpt_path = os.path.join(args.run, "ckpt.pt")
    log_path = os.path.join(args.run, "log.tsv")
    os.makedirs(args.run, exist_ok=True)

    sampler = CropSampler(args.pack, args.crop, seed=1234)
    step, crops, elapsed = 0, 0, 0.0
    state = None
    if os.path.exists(ckpt_path):
        state = torch.load(ckpt_path, map_location=dev, weights_only=False)
        arch = state.get("arch", "v1")
        if args.arch and args.arch != arch:
            raise SystemExit(f"{ckpt_path} is a {arch} run; --arch {args.arch} "
                             "needs a new --run (with --init to grow it)")
        N, M = state.get("N", 128), state.get("M", 192)
        if (args.N or N, args.M or M) != (N, M):
            raise SystemExit(f"{ckpt_path} has N={N} M={M}; other sizes need a "
                             "new --run (with --init to widen M)")
        ctx = state.get("context")
        if args.context and args.context != ctx:
            raise SystemExit(f"{ckpt_path} has context {ctx}; --context "
                             f"{args.context} needs a new --run (with --init)")
        model = load_weights(DLIC(N, M, arch=arch, context=ctx), state["model"])
        step, crops, elapsed = state["step"], state["crops"], state.get("elapsed", 0.0)
        args.qat_weights = args.qat_weights or state.get("qat_weights", False)
        args.encoder_only = args.encoder_only or state.get("encoder_only", False)
        args.hard_rate = args.hard_rate or state.get("hard_rate", False)
    elif args.init:
        init = torch.load(args.init, map_location="cpu", weights_only=False)
        arch = init.get("arch", "v1")
        N, M = init.get("N", 128), init.get("M", 192)
        if args.N and args.N != N:
            raise SystemExit(f"{args.init} has N={N}; N cannot change")
        ctx = init.get("context")
        model = load_weights(DLIC(N, M, arch=arch, context=ctx), init["model"])
        init_names = [n for n, _ in model.named_parameters()]
        if args.context and args.context != ctx:
            model = add_context(model, args.context)
            print(f"added the {args.context} context (model.add_context)",
                  file=sys.stderr)
        if args.arch and args.arch != arch:
            model = grow(model, args.arch)
            print(f"grew {arch} to {args.arch} (model.grow)", file=sys.stderr)
        if args.M and args.M != M:
            x = torch.from_numpy(sampler.batch(16)).permute(0, 3, 1, 2).float() / 255
            model = widen(model, args.M, x - 0.5).train()
            print(f"widened M from {M} to {args.M} (model.widen)", file=sys.stderr)
        step, crops = init.get("step", 0), init.get("crops", 0)
        # A new run must not replay the crops and levels its init's runs drew:
        # continue a full checkpoint's streams, else seed them by the step.
        if "sampler" in init:
            sampler.set_state(init["sampler"])
            torch.set_rng_state(init["torch_rng"])
        else:
            sampler = CropSampler(args.pack, args.crop, seed=1234 + step)
            torch.manual_seed(step)
        print(f"initialised from {args.init} (step {step})", file=sys.stderr)
    else:
        model = DLIC(args.N or 128, args.M or 192, arch=args.arch or "v1",
                     context=args.context)
    args.N, args.M = model.N, model.M
    model = model.to(dev)
    if args.qat:
        set_qat(model, True)
    if args.qat_weights:
        set_qat(model, True, weights_only=True)
    if args.hard_rate and not args.encoder_only:
        raise SystemExit("--hard-rate needs --encoder-only")
    model.hard_rate = args.hard_rate
    if dev.type == "cpu":
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(trainable(model, args.encoder_only), lr=args.lr)
    if state is None and args.init and "opt" in init and arch == model.arch \
            and not args.encoder_only \
            and init.get("qat", False) == args.qat:
        carry_adam(opt, model, init_names, init["opt"])
        print(f"kept the Adam moments of {args.init}", file=sys.stderr)
    if state is not None:
        if state.get("qat", False) == args.qat and "opt" in state:
            opt.load_state_dict(state["opt"])
        sampler.set_state(state["sampler"])
        torch.set_rng_state(state["torch_rng"])
        if dev.type == "cuda" and state.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(state["cuda_rng"].cpu())
        print(f"resumed {ckpt_path} at step {step}, {crops} crops", file=sys.stderr)
    for g in opt.param_groups:
        g["lr"] = args.lr
    # EMA of the trained parameters (fp32), resumed with the run
    ema = None
    if args.ema:
        ema = EMA(model, args.ema, state.get("ema") if state is not None else None)

    lam_t = torch.tensor(LAMBDAS, device=dev)
    use_bf16 = not args.no_bf16
    amp_dev = "cuda" if dev.type == "cuda" else "cpu"
    tty = sys.stderr.isatty()
    t_start = time.time()
    # Minutes of the schedule already run (--continue-schedule of a resumed run).
    t_done = elapsed if state is not None and args.continue_schedule else 0.0
    t_ckpt = t_val = t_start
    win_t, win_n, win = time.time(), 0, []

    def lr_at(t):
        """A linear warm-up over --warmup-minutes, constant --lr, then a
        cosine to --lr-end over the last --decay-minutes of this
        invocation (wall time t in seconds)."""
        w = args.warmup_minutes * 60
        if t < w:
            return args.lr * max(t, 1.0) / w
        d = args.decay_minutes * 60
        t0 = args.minutes * 60 - d
        if d <= 0 or t <= t0:
            return args.lr
        a = min(1.0, (t - t0) / d)
        return args.lr_end + 0.5 * (args.lr - args.lr_end) * (1 + math.cos(math.pi * a))

    stop = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.append(1))

    def checkpoint():
        save_atomic({"model": model.state_dict(), "opt": opt.state_dict(),
                     "step": step, "crops": crops, "qat": args.qat,
                     "elapsed": elapsed + time.time() - t_start,
                     "sampler": sampler.state(), "torch_rng": torch.get_rng_state(),
                     "cuda_rng": torch.cuda.get_rng_state() if dev.type == "cuda" else None,
                     "N": args.N, "M": args.M, "arch": model.arch,
                     "context": model.context, "qat_weights": args.qat_weights,
                     "encoder_only": args.encoder_only,
                     "hard_rate": args.hard_rate, "ema": ema and ema.avg},
                    ckpt_path)
        save_atomic(lean_state(model, step, crops, args, ema),
                    os.path.join(args.run, "lean.pt"))

    while True:
        now = time.time()
        if (stop or t_done + now - t_start > args.minutes * 60
                or (args.steps and step >= args.steps)):
            break
        lr = lr_at(t_done + now - t_start)
        for g in opt.param_groups:
            g["lr"] = lr
        b = sampler.batch(args.batch)
        x = torch.from_numpy(b).to(dev).permute(0, 3, 1, 2).float().div_(255.0)
        if dev.type == "cpu":
            x = x.contiguous(memory_format=torch.channels_last)
        lv = torch.randint(0, len(LAMBDAS), (args.batch,), device=dev)
        with torch.autocast(amp_dev, dtype=torch.bfloat16, enabled=use_bf16):
            x_hat, ly, lz = model(x, lv.float())
        loss, bpp, mse = rd_loss(x, x_hat, ly, lz, lam_t[lv])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(opt.param_groups[0]["params"], 1.0)
        opt.step()
        if ema:
            ema.update(model)
        step += 1
        crops += args.batch
        win_n += args.batch
        psnr = (10 * torch.log10(1.0 / mse.clamp(min=1e-10))).mean().item()
        win.append((loss.item(), bpp.mean().item(), psnr))
        if step % 20 == 0:
            dt = time.time() - win_t
            l, r, q = (sum(v[i] for v in win) / len(win) for i in range(3))
            msg = (f"step {step} crops {crops} | {win_n / dt:.1f} crops/s | "
                   f"lr {lr:.2e} | loss {l:.4f} bpp {r:.3f} psnr {q:.2f}")
            print(("\r" + msg) if tty else msg, end="" if tty else "\n",
                  file=sys.stderr, flush=True)
            with open(log_path, "a") as f:
                f.write(f"{step}\t{crops}\t{win_n / dt:.2f}\t{l:.5f}\t{r:.4f}\t{q:.3f}\n")
            win_t, win_n, win = time.time(), 0, []
        if time.time() - t_ckpt > args.ckpt_minutes * 60:
            checkpoint()
            t_ckpt = time.time()
        if time.time() - t_val > args.val_minutes * 60:
            with ema.applied(model) if ema else contextlib.nullcontext():
                v = validate(model, dev)
            s = " ".join(f"L{lv:g}:{r:.3f}bpp/{q:.2f}dB" for lv, r, q in v)
            print(f"\nval step {step} crops {crops}: {s}", file=sys.stderr, flush=True)
            with open(os.path.join(args.run, "val.tsv"), "a") as f:
                f.write(f"{step}\t{crops}\t{s}\n")
            t_val = time.time()
    checkpoint()
    print(f"\nstopped at step {step}, {crops} crops", file=sys.stderr)


if __name__ == "__main__":
    main()
