#!/usr/bin/python3
"""Regenerates the EXIF inputs of tests/cli/metadata.sh.

Run from the repository root after tests/data/make.py (or on its committed
outputs): /usr/bin/python3 tests/data/make_exif.py
Needs no PIL: the block is put into copies of rgb.jpg and rgb.webp, and
exif.png is written by hand with the iCCP chunk of icc.png. The output is
deterministic.

exif.bin       the EXIF block (TIFF header onwards) all the others carry
exif.png       8x8 RGB PNG with iCCP and eXIf
exif_late.png  8x8 RGB PNG with eXIf after IDAT, as PNG extensions 1.5.0 allowed
exif.jpg       rgb.jpg with an APP1 "Exif\\0\\0" segment after SOI
exif.webp      rgb.webp in the extended format (VP8X) with an EXIF chunk
exif_id.webp   the same with "Exif\\0\\0" before the TIFF header, as some
               writers do; the reader strips it
"""
import os
import struct
import zlib

OUT = os.path.dirname(os.path.abspath(__file__))


def read(name):
    with open(os.path.join(OUT, name), "rb") as f:
        return f.read()


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def exif_block():
    """Big-endian TIFF header and one IFD with a Software tag. 45 bytes: an
    odd length, so the WebP chunk needs its padding byte."""
    text = b"dlic metadata test\x00"
    ifd_size = 2 + 12 + 4
    entry = struct.pack(">HHII", 0x0131, 2, len(text), 8 + ifd_size)
    return (b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1) + entry +
            struct.pack(">I", 0) + text)


def png_chunk(typ, data):
    c = struct.pack(">I", len(data)) + typ + data
    return c + struct.pack(">I", zlib.crc32(typ + data) & 0xFFFFFFFF)


def png_chunks(data):
    """(type, payload) of every chunk of a PNG."""
    pos, out = 8, []
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        out.append((typ, data[pos + 8:pos + 8 + n]))
        pos += 12 + n
    return out


def exif_png(exif, late=False):
    w = h = 8
    rows = b"".join(b"\x00" + bytes(v for x in range(w) for v in (x * 32, y * 32, 128))
                    for y in range(h))
    iccp = [p for t, p in png_chunks(read("icc.png")) if t == b"iCCP"][0]
    head = (b"\x89PNG\r\n\x1a\n" +
            png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)))
    idat = png_chunk(b"IDAT", zlib.compress(rows, 9))
    if late:
        return head + idat + png_chunk(b"eXIf", exif) + png_chunk(b"IEND", b"")
    return (head + png_chunk(b"iCCP", iccp) + png_chunk(b"eXIf", exif) + idat +
            png_chunk(b"IEND", b""))


def exif_jpeg(exif):
    jpg = read("rgb.jpg")
    assert jpg[:2] == b"\xff\xd8"
    app1 = b"Exif\x00\x00" + exif
    return jpg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpg[2:]


def riff_chunk(fourcc, data):
    return fourcc + struct.pack("<I", len(data)) + data + b"\x00" * (len(data) & 1)


def exif_webp(exif):
    webp = read("rgb.webp")
    assert webp[:4] == b"RIFF" and webp[8:16] == b"WEBPVP8 "
    vp8 = webp[12:]                        # the VP8 chunk, header included
    # Frame size from the VP8 key frame header (RFC 6386 §9.1).
    w, h = struct.unpack("<HH", vp8[8 + 6:8 + 10])
    w, h = w & 0x3FFF, h & 0x3FFF
    vp8x = struct.pack("<I", 0x08) + struct.pack("<I", w - 1)[:3] + \
        struct.pack("<I", h - 1)[:3]       # flags: EXIF present
    body = b"WEBP" + riff_chunk(b"VP8X", vp8x) + vp8 + riff_chunk(b"EXIF", exif)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def main():
    exif = exif_block()
    write("exif.bin", exif)
    write("exif.png", exif_png(exif))
    write("exif_late.png", exif_png(exif, late=True))
    write("exif.jpg", exif_jpeg(exif))
    write("exif.webp", exif_webp(exif))
    write("exif_id.webp", exif_webp(b"Exif\x00\x00" + exif))


if __name__ == "__main__":
    main()
