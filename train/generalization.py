"""Does the model overfit its 1,563 training images?

Evaluates checkpoints (float model, its weights rounded to int8 where it
trained that way, noisy-likelihood bits as in training)
on 48 fixed training crops and 48 fixed 256x256 Kodak crops, at levels
0 / 3.5 / 7, and prints each set's bpp / PSNR and the ratio of the RD
losses, Kodak over training. Kodak is another distribution, so the ratio
itself means little; a ratio that grows from one checkpoint to a later one
means the model is learning its training set rather than images.

    /usr/bin/python3 train/generalization.py OLD.pt NEW.pt ...
"""
import glob
import math
import os
import sys

import numpy as np
import torch
from PIL import Image

from data import KODAK, CropSampler
from export import load_checkpoint
from model import LAMBDAS, rd_loss


def kodak_crops(n_per=2, seed=5):
    rng = np.random.default_rng(seed)
    out = []
    for p in sorted(glob.glob(os.path.join(KODAK, "*.png"))):
        a = np.asarray(Image.open(p).convert("RGB"))
        for _ in range(n_per):
            y = rng.integers(0, a.shape[0] - 255)
            x = rng.integers(0, a.shape[1] - 255)
            out.append(a[y:y + 256, x:x + 256])
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float() / 255


@torch.no_grad()
def evaluate(model, X, level):
    """Mean bpp, PSNR and RD loss of model on crops X at level."""
    torch.manual_seed(0)
    bpps, mses = [], []
    for i in range(0, len(X), 8):
        x = X[i:i + 8]
        x_hat, ly, lz = model(x, torch.full((len(x),), level))
        _, bpp, mse = rd_loss(x, x_hat.clamp(0, 1), ly, lz, 0.0)
        bpps.append(bpp)
        mses.append(mse)
    b, m = torch.cat(bpps).mean().item(), torch.cat(mses).mean().item()
    lo = int(math.floor(level))
    hi = min(lo + 1, len(LAMBDAS) - 1)
    lam = math.exp(math.log(LAMBDAS[lo]) + (level - lo) *
                   (math.log(LAMBDAS[hi]) - math.log(LAMBDAS[lo])))
    return b, 10 * math.log10(1 / m), lam * 255 ** 2 * m + b


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    train = torch.from_numpy(CropSampler(crop=256, seed=777).batch(48))
    train = train.permute(0, 3, 1, 2).float() / 255
    kodak = kodak_crops()
    for ck in sys.argv[1:]:
        st = torch.load(ck, map_location="cpu", weights_only=False)
        model = load_checkpoint(ck)     # as trained: int8-rounded weights
        cols = [f"{ck} ({st.get('crops')} crops)"]
        for level in (0.0, 3.5, 7.0):
            bt, pt, lt = evaluate(model, train, level)
            bk, pk, lk = evaluate(model, kodak, level)
            cols.append(f"L{level:g}: train {bt:.3f}/{pt:.2f} kodak {bk:.3f}/{pk:.2f}"
                        f" ratio {lk / lt:.4f}")
        print(" | ".join(cols), flush=True)


if __name__ == "__main__":
    main()
