#!/usr/bin/python3
"""Regenerates the small input images of the CLI tests (tests/cli/*.sh).

Run once from the repository root: /usr/bin/python3 tests/data/make.py
PNGs are written by hand (every colour type and depth, iCCP, crafted
headers); JPEG and WebP need PIL. The output is deterministic.
tests/data/make_exif.py then derives the EXIF inputs from some of these.
"""
import io
import os
import struct
import zlib

from PIL import Image, ImageCms

OUT = os.path.dirname(os.path.abspath(__file__))
W, H = 72, 40          # not multiples of 64: exercises padding and cropping


def chunk(typ, data):
    c = struct.pack(">I", len(data)) + typ + data
    return c + struct.pack(">I", zlib.crc32(typ + data) & 0xFFFFFFFF)


def png(width, height, depth, ctype, rows, extra=b"", plte=b"", trns=b""):
    ihdr = struct.pack(">IIBBBBB", width, height, depth, ctype, 0, 0, 0)
    raw = b"".join(b"\x00" + r for r in rows)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra
    if plte:
        out += chunk(b"PLTE", plte)
    if trns:
        out += chunk(b"tRNS", trns)
    return out + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def rgb(x, y):
    """A smooth pattern with an edge, so the codec has something to do."""
    r = (x * 255) // (W - 1)
    g = (y * 255) // (H - 1)
    b = 200 if (x // 12 + y // 10) % 2 else 40
    return r, g, b


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    pix = [[rgb(x, y) for x in range(W)] for y in range(H)]
    gray = [[(r + 2 * g + b) // 4 for (r, g, b) in row] for row in pix]

    write("rgb.png", png(W, H, 8, 2, [bytes(v for p in row for v in p) for row in pix]))
    write("rgba.png", png(W, H, 8, 6, [bytes(v for p in row for v in p + (128,))
                                       for row in pix]))
    write("gray.png", png(W, H, 8, 0, [bytes(row) for row in gray]))
    write("gray_alpha.png", png(W, H, 8, 4, [bytes(v for g in row for v in (g, 255))
                                             for row in gray]))
    write("rgb16.png", png(W, H, 16, 2, [b"".join(struct.pack(">HHH", *(v * 257 for v in p))
                                                  for p in row) for row in pix]))
    write("gray16.png", png(W, H, 16, 0, [b"".join(struct.pack(">H", g * 257) for g in row)
                                          for row in gray]))
    # Palette of 16 entries, 4-bit indices, with a tRNS entry (alpha warning).
    plte = b"".join(bytes(rgb(i * 4, i * 2)) for i in range(16))
    idx = [[(x // 5 + y // 3) % 16 for x in range(W)] for y in range(H)]
    write("palette.png", png(W, H, 4, 3, [bytes((r[i] << 4) | r[i + 1]
                                                for i in range(0, W, 2)) for r in idx],
                             plte=plte, trns=b"\x80"))

    # iCCP with a real sRGB profile.
    icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    # Fixed creation date (ICC header bytes 24..35) and a zero profile ID
    # (84..99, "not computed") keep the files reproducible.
    icc[24:36] = struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
    icc[84:100] = bytes(16)
    icc = bytes(icc)
    iccp = chunk(b"iCCP", b"sRGB profile\x00\x00" + zlib.compress(icc))
    write("icc.png", png(W, H, 8, 2, [bytes(v for p in row for v in p) for row in pix],
                         extra=iccp))

    # Crafted headers: a single empty IDAT; the dimensions are what matter.
    write("huge.png", png(100000, 100000, 8, 2, []))
    write("bigpixels.png", png(20000, 20000, 8, 2, []))

    img = Image.new("RGB", (W, H))
    img.putdata([p for row in pix for p in row])
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    write("rgb.jpg", buf.getvalue())
    buf = io.BytesIO()
    img.convert("L").save(buf, "JPEG", quality=90)
    write("gray.jpg", buf.getvalue())
    buf = io.BytesIO()
    img.convert("CMYK").save(buf, "JPEG", quality=90)
    write("cmyk.jpg", buf.getvalue())
    buf = io.BytesIO()
    img.save(buf, "WEBP", quality=90, method=0)
    write("rgb.webp", buf.getvalue())
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, icc_profile=icc)
    write("icc.jpg", buf.getvalue())
    buf = io.BytesIO()
    img.save(buf, "WEBP", quality=90, method=0, icc_profile=icc)
    write("icc.webp", buf.getvalue())
    buf = io.BytesIO()
    rgba = img.copy()
    rgba.putalpha(200)
    rgba.save(buf, "WEBP", lossless=True)
    write("rgba.webp", buf.getvalue())


if __name__ == "__main__":
    main()
