#!/usr/bin/python3
"""Build the data pack for a lent GPU machine (under 50 MiB).

The in-memory training pack (train/pack/train.npz, ~500 MB of raw pixels)
is too big to travel with the device tool (64 MiB per call), so each
already-downscaled image is stored as a JPEG of quality 95 without chroma
subsampling in train/gpu_pack/images.npz. At this quality, after the
downscale, the re-encoding artifacts are far below what the codec keeps at
its highest rate. The GPU side unpacks it with `--unpack` into the usual
pack format. See train/gpu_train.sh.
"""
import io
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from data import DEFAULT_PACK, build_pack  # noqa: E402

GPU_PACK = os.path.join(HERE, "gpu_pack", "images.npz")
LIMIT = 50 * 1024 * 1024


def make(quality=95):
    from PIL import Image
    if not os.path.exists(DEFAULT_PACK):
        build_pack()
    z = np.load(DEFAULT_PACK)
    data, shapes = z["data"], z["shapes"]
    off = 0
    blobs = []
    for h, w in shapes:
        a = data[off:off + h * w * 3].reshape(h, w, 3)
        off += h * w * 3
        b = io.BytesIO()
        Image.fromarray(a).save(b, "JPEG", quality=quality, subsampling=0)
        blobs.append(np.frombuffer(b.getvalue(), np.uint8))
    lens = np.array([len(b) for b in blobs], np.int64)
    os.makedirs(os.path.dirname(GPU_PACK), exist_ok=True)
    np.savez(GPU_PACK, blob=np.concatenate(blobs), lens=lens)
    size = os.path.getsize(GPU_PACK)
    print(f"{GPU_PACK}: {len(blobs)} images, {size / 2**20:.1f} MiB (q={quality})")
    return size


def unpack(src=GPU_PACK, dst=DEFAULT_PACK):
    from PIL import Image
    z = np.load(src)
    blob, lens = z["blob"], z["lens"]
    flat, shapes, off = [], [], 0
    for n in lens:
        a = np.asarray(Image.open(io.BytesIO(blob[off:off + n].tobytes())).convert("RGB"))
        off += n
        flat.append(a.reshape(-1))
        shapes.append(a.shape[:2])
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    np.savez(dst, data=np.concatenate(flat), shapes=np.array(shapes, np.int64),
             names=np.array([str(i) for i in range(len(shapes))]))
    print(f"unpacked {len(shapes)} images -> {dst}")


if __name__ == "__main__":
    if "--unpack" in sys.argv:
        unpack()
    else:
        q = 95
        while make(q) > LIMIT and q > 80:
            q -= 3
