#!/usr/bin/python3
"""Source images of the conformance suite, generated deterministically.

    /usr/bin/python3 conformance/make_sources.py

Writes conformance/sources/*.png (committed; conformance/regen.sh encodes
the committed files, so it does not depend on this script's libraries).
VECTORS lists every conformance stream: name, source image (None for a
stream built in Python from hand-chosen latents), quality, post-processing
(extra container chunks) and a description. Only numpy and PIL drawing
primitives are used; text comes from the bitmap font below, not from a
system font. The Kodak crop is for conformance testing only (never for
training).
"""
import os
import struct
import zlib

import numpy as np
from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "sources")
KODAK = os.path.join(HERE, "..", "..", "shared", "data", "kodak", "kodim23.png")

# (name, source, quality, post, description). post: None, "exif", "anc"
# (ancillary chunks everywhere SPEC §4.2 allows them) or "synth".
VECTORS = [
    ("px1x1-q75", "solid_1x1", 75, None, "1x1 pixel, one colour"),
    ("col1x37-q50", "grad_1x37", 50, None, "1xN: one column, vertical gradient"),
    ("row45x1-q90", "grad_45x1", 90, None, "Nx1: one row, horizontal gradient"),
    ("odd63x65-q30", "mix_63x65", 30, None, "odd sizes across a 64 boundary"),
    ("grad100x75-q0", "grad_100x75", 0, None, "smooth RGB gradient, quality 0"),
    ("grad100x75-q100", "grad_100x75", 100, None, "smooth RGB gradient, quality 100"),
    ("wide4100x8-q5", "wide_4100x8", 5, None, "4100 pixels wide (> 4096), 8 rows"),
    ("tall3x4099-q10", "tall_3x4099", 10, None, "4099 pixels tall, 3 columns"),
    ("gray64-q75", "graygrad_64x64", 75, None, "gray colour model, radial gradient"),
    ("graynoise31x17-q100", "graynoise_31x17", 100, None, "gray noise, odd size"),
    ("gray2x2-q1", "graygrad_2x2", 1, None, "gray 2x2"),
    ("noise64-q100", "noise_64x64", 100, None, "uniform RGB noise, quality 100"),
    ("noise96x48-q60", "noise_96x48", 60, None, "uniform RGB noise"),
    ("text128x64-q85", "text_128x64", 85, None, "bitmap text and line art"),
    ("lines80x80-q20", "lines_80x80", 20, None, "line art, low quality"),
    ("bars80x40-q95", "bars_80x40", 95, None, "saturated colour bars"),
    ("checker65x64-q40", "checker_65x64", 40, None, "saturated checkerboard, 65 wide"),
    ("kodak192x128-q75", "kodak_192x128", 75, None, "photo (Kodak kodim23 crop)"),
    ("kodak192x128-q99", "kodak_192x128", 99, None, "photo, quality 99"),
    ("kodak192x128-q25", "kodak_192x128", 25, None, "photo, quality 25"),
    ("kodak96x64-q60-icc", "kodakicc_96x64", 60, None, "iccp chunk (ICC profile from the PNG)"),
    ("kodak96x64-q70-exif", "kodak_96x64", 70, "exif", "exif chunk added to the container"),
    ("kodak96x64-q80-anc", "kodak_96x64", 80, "anc",
     "iccp, exif and unknown ancillary chunks before ZLAT, between ZLAT and YLAT, before DEND"),
    ("ramp128x16-q45", "ramp_128x16", 45, None, "gray ramp in RGB, 16 rows"),
    ("synth-escapes", None, 50, "synth",
     "hand-made latents: escapes in ZLAT and YLAT, Exp-Golomb up to 30 bits, clamped YH"),
    ("synth-escapes-gray", None, 100, "synth",
     "hand-made latents, gray, 70x3, every value an escape"),
]


def solid(w, h, rgb):
    return np.broadcast_to(np.array(rgb, np.uint8), (h, w, 3)).copy()


def gradient(w, h):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 255 * x / max(w - 1, 1)
    g = 255 * y / max(h - 1, 1)
    b = 127.5 + 127.5 * np.sin((x + y) / 9.0)
    return np.stack([r, g, b], -1).round().astype(np.uint8)


def noise(w, h, seed, ch=3):
    return np.random.default_rng(seed).integers(0, 256, (h, w, ch), np.uint8)


FONT = {  # 5x7 bitmap glyphs, rows top to bottom, 5 bits each
    "D": [30, 17, 17, 17, 17, 17, 30], "L": [16, 16, 16, 16, 16, 16, 31],
    "I": [14, 4, 4, 4, 4, 4, 14], "C": [14, 17, 16, 16, 16, 17, 14],
    "0": [14, 17, 19, 21, 25, 17, 14], "1": [4, 12, 4, 4, 4, 4, 14],
    "9": [14, 17, 17, 15, 1, 2, 12], "S": [15, 16, 16, 14, 1, 1, 30],
    "P": [30, 17, 17, 30, 16, 16, 16], "E": [31, 16, 16, 30, 16, 16, 31],
    " ": [0] * 7, ".": [0, 0, 0, 0, 0, 12, 12],
}


def text(img, s, x0, y0, colour, scale=1):
    for k, ch in enumerate(s):
        for r, bits in enumerate(FONT[ch]):
            for c in range(5):
                if bits >> (4 - c) & 1:
                    y, x = y0 + r * scale, x0 + (6 * k + c) * scale
                    img[y:y + scale, x:x + scale] = colour


def make():
    imgs = {}
    imgs["solid_1x1"] = solid(1, 1, (200, 30, 90))
    imgs["grad_1x37"] = gradient(1, 37)
    imgs["grad_45x1"] = gradient(45, 1)
    mix = gradient(63, 65)
    mix[::2] = noise(63, 65, 1)[::2] // 2 + mix[::2] // 2
    imgs["mix_63x65"] = mix
    imgs["grad_100x75"] = gradient(100, 75)
    w = gradient(4100, 8)
    w[:, ::64] = 255
    imgs["wide_4100x8"] = w
    imgs["tall_3x4099"] = gradient(4099, 3).transpose(1, 0, 2).copy()
    y, x = np.mgrid[0:64, 0:64]
    imgs["graygrad_64x64"] = np.clip(np.hypot(x - 20, y - 40) * 6, 0, 255).astype(np.uint8)
    imgs["graynoise_31x17"] = noise(31, 17, 2, 1)[..., 0]
    imgs["graygrad_2x2"] = np.array([[0, 85], [170, 255]], np.uint8)
    imgs["noise_64x64"] = noise(64, 64, 3)
    imgs["noise_96x48"] = noise(96, 48, 4)
    t = solid(128, 64, (255, 255, 255))
    text(t, "DLIC 1.0", 4, 4, (0, 0, 0), 2)
    text(t, "SPEC 9", 4, 26, (200, 0, 0))
    text(t, "CODEC".replace("O", "0"), 60, 40, (0, 0, 160), 3)
    pil = Image.fromarray(t)
    d = ImageDraw.Draw(pil)
    for i in range(0, 128, 9):
        d.line([(i, 63), (127, 63 - i // 2)], fill=(0, 120, 0))
    imgs["text_128x64"] = np.asarray(pil)
    pil = Image.new("RGB", (80, 80), (250, 250, 240))
    d = ImageDraw.Draw(pil)
    for i in range(0, 80, 6):
        d.line([(0, i), (79, 79 - i)], fill=(20, 20, 20))
        d.line([(i, 0), (i, 79)], fill=(230, 40, 40) if i % 12 else (30, 30, 220))
    d.ellipse([10, 10, 60, 50], outline=(0, 0, 0))
    imgs["lines_80x80"] = np.asarray(pil)
    bars = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255),
            (255, 0, 255), (255, 255, 255), (0, 0, 0)]
    imgs["bars_80x40"] = np.repeat(np.array(bars, np.uint8)[None], 10, 1).repeat(40, 0)
    y, x = np.mgrid[0:64, 0:65]
    imgs["checker_65x64"] = np.where(((x // 5 + y // 5) % 2)[..., None] == 1,
                                     np.uint8([255, 0, 0]), np.uint8([0, 0, 255]))
    r = np.arange(128, dtype=np.uint8) * 2
    imgs["ramp_128x16"] = np.repeat(np.stack([r, r, r], -1)[None], 16, 0)
    k = np.asarray(Image.open(KODAK).convert("RGB"))
    imgs["kodak_192x128"] = k[200:328, 300:492]
    imgs["kodak_96x64"] = k[40:104, 500:596]
    return imgs


def srgb_icc():
    """A real sRGB profile with a fixed date and zero profile ID."""
    from PIL import ImageCms
    icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    icc[24:36] = struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
    icc[84:100] = bytes(16)
    return bytes(icc)


def png_chunk(t, p):
    return struct.pack(">I", len(p)) + t + p + struct.pack(">I", zlib.crc32(t + p))


def main():
    os.makedirs(SRC, exist_ok=True)
    for name, img in make().items():
        Image.fromarray(np.ascontiguousarray(img)).save(os.path.join(SRC, name + ".png"),
                                                        optimize=True)
    # The ICC source: the 96x64 crop with an iCCP chunk, inserted by hand
    # after IHDR so that the bytes do not depend on PIL's PNG writer.
    with open(os.path.join(SRC, "kodak_96x64.png"), "rb") as f:
        png = f.read()
    iccp = png_chunk(b"iCCP", b"sRGB\x00\x00" + zlib.compress(srgb_icc(), 9))
    with open(os.path.join(SRC, "kodakicc_96x64.png"), "wb") as f:
        f.write(png[:33] + iccp + png[33:])


if __name__ == "__main__":
    main()
