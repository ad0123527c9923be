"""Training data: a pre-downscaled pack of ../shared/data/train in memory.

Most training images are JPEGs whose artifacts show at full size, so each
image is downscaled once (factor max(0.5, 256/short side), never up) with
a Lanczos filter, which hides them (shared/data/README.md).  The pack is a
single .npz in train/pack/ (git-ignored), built on first use.
"""
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SRC = os.path.join(HERE, "..", "..", "shared", "data", "train")
DEFAULT_PACK = os.path.join(HERE, "pack", "train.npz")
# The clean pack (issue 39): every JPEG source at most half size, so that
# its 8x8 blocking and 4:2:0 chroma fall below a pixel; train on it with
# crops of at most CLEAN_MIN_SIDE.
CLEAN_PACK = os.path.join(HERE, "pack", "train-clean.npz")
CLEAN_MIN_SIDE = 160
# Evaluation only: never a training source.
KODAK = os.path.join(HERE, "..", "..", "shared", "data", "kodak")


def clean_factor(name, w, h, min_side=CLEAN_MIN_SIDE):
    """Downscale factor of the clean pack: 0.5 for the JPEG subsets
    (BSDS500, ImageNet, Sun-Hays 80: camera or web JPEGs, 4:2:0), 0.75
    for Urban100 (re-saved at quality 98, 4:4:4), smaller still where
    the image stays large (at most twice min_side on the short side after
    it, so that crops see whole objects rather than texture); None when
    the result would be below min_side."""
    f = 0.75 if name.startswith("urban100_") else 0.5
    f = min(f, max(2 * min_side / min(w, h), 0.25))
    return f if min(w, h) * f >= min_side else None


def build_pack(src=DEFAULT_SRC, dst=DEFAULT_PACK, min_side=256, clean=False):
    """clean: clean_factor()'s downscaling instead of max(0.5, 256/short
    side), which leaves most images at 0.5-0.8 of their size with their
    JPEG artefacts (issue 39)."""
    from PIL import Image
    names = sorted(n for n in os.listdir(src)
                   if n.lower().endswith((".jpg", ".jpeg", ".png")))
    if not names:
        raise SystemExit(f"no training images in {src}")
    flat, shapes = [], []
    t0 = time.time()
    for i, n in enumerate(names):
        im = Image.open(os.path.join(src, n)).convert("RGB")
        w, h = im.size
        if clean:
            f = clean_factor(n, w, h, min_side)
            if f is None:
                continue
        else:
            f = min(1.0, max(0.5, min_side / min(w, h)))
        if f < 1.0:
            im = im.resize((max(min_side, round(w * f)),
                            max(min_side, round(h * f))), Image.LANCZOS)
        a = np.asarray(im, dtype=np.uint8)
        if min(a.shape[:2]) < min_side:
            continue
        flat.append(a.reshape(-1))
        shapes.append(a.shape[:2])
        if sys.stderr.isatty() and (i % 50 == 0 or i + 1 == len(names)):
            print(f"\rpacking {i + 1}/{len(names)}", end="", file=sys.stderr)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    tmp = dst + ".tmp.npz"
    np.savez(tmp, data=np.concatenate(flat), shapes=np.array(shapes, np.int64),
             names=np.array(names))
    os.replace(tmp, dst)
    print(f"packed {len(shapes)} images in {time.time() - t0:.0f} s -> {dst}",
          file=sys.stderr)


class CropSampler:
    """Random crops with random flips, drawn from a seeded generator so a
    resumed run continues the same stream (its state is checkpointed)."""

    def __init__(self, pack=DEFAULT_PACK, crop=256, seed=0):
        if not os.path.exists(pack):
            build_pack(dst=pack)
        z = np.load(pack)
        self.data = z["data"]
        self.shapes = z["shapes"]
        sizes = self.shapes[:, 0] * self.shapes[:, 1] * 3
        self.offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        self.crop = crop
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return len(self.shapes)

    def image(self, i):
        h, w = self.shapes[i]
        o = self.offsets[i]
        return self.data[o:o + h * w * 3].reshape(h, w, 3)

    def batch(self, n):
        c = self.crop
        out = np.empty((n, c, c, 3), np.uint8)
        idx = self.rng.integers(0, len(self), n)
        for j, i in enumerate(idx):
            im = self.image(i)
            h, w = im.shape[:2]
            y = self.rng.integers(0, h - c + 1)
            x = self.rng.integers(0, w - c + 1)
            p = im[y:y + c, x:x + c]
            if self.rng.random() < 0.5:
                p = p[:, ::-1]
            out[j] = p
        return out  # NHWC uint8

    def state(self):
        return self.rng.bit_generator.state

    def set_state(self, s):
        self.rng.bit_generator.state = s


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description="build the training pack")
    ap.add_argument("--clean", action="store_true",
                    help=f"the clean pack ({CLEAN_PACK}): JPEG sources at most "
                         f"half size, short side >= {CLEAN_MIN_SIDE}")
    a = ap.parse_args()
    if a.clean:
        build_pack(dst=CLEAN_PACK, min_side=CLEAN_MIN_SIDE, clean=True)
    else:
        build_pack()
