/* Format sniffing by signature, reader dispatch and the image buffer. */
#include "tools/imageio/imageio.h"

#include <stdlib.h>
#include <string.h>

io_format io_detect(const uint8_t *d, size_t n)
{
    static const uint8_t png_sig[8] = { 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A };
    static const uint8_t dlic_sig[8] = { 0x89, 'D', 'L', 'I', 'C', 0x0D, 0x0A, 0x1A };

    if (n >= 8 && !memcmp(d, png_sig, 8))
        return IO_FMT_PNG;
    if (n >= 8 && !memcmp(d, dlic_sig, 8))
        return IO_FMT_DLIC;
    if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
        return IO_FMT_JPEG;
    if (n >= 12 && !memcmp(d, "RIFF", 4) && !memcmp(d + 8, "WEBP", 4))
        return IO_FMT_WEBP;
    if (n >= 3 && d[0] == 'P' && (d[1] == '5' || d[1] == '6') &&
        (d[2] == ' ' || d[2] == '\t' || d[2] == '\n' || d[2] == '\r' || d[2] == '#'))
        return IO_FMT_PNM;
    return IO_FMT_UNKNOWN;
}

const char *io_format_name(io_format fmt)
{
    switch (fmt) {
    case IO_FMT_PNG: return "PNG";
    case IO_FMT_JPEG: return "JPEG";
    case IO_FMT_WEBP: return "WebP";
    case IO_FMT_PNM: return "PNM";
    case IO_FMT_DLIC: return "DLIC";
    default: return "unknown";
    }
}

int io_read_image(const uint8_t *data, size_t size, const io_limits *lim,
                  io_image *img, char *err)
{
    if (size == 0)
        return io_fail(err, "empty file");
    switch (io_detect(data, size)) {
    case IO_FMT_PNG: return io_read_png(data, size, lim, img, err);
    case IO_FMT_JPEG: return io_read_jpeg(data, size, lim, img, err);
    case IO_FMT_WEBP: return io_read_webp(data, size, lim, img, err);
    case IO_FMT_PNM: return io_read_pnm(data, size, lim, img, err);
    case IO_FMT_DLIC:
        return io_fail(err, "input is already a DLIC stream, not an image");
    default:
        return io_fail(err, "unrecognised image format "
                            "(expected PNG, JPEG, WebP, PPM or PGM)");
    }
}

void io_image_free(io_image *img)
{
    if (!img)
        return;
    free(img->data);
    free(img->icc);
    free(img->exif);
    memset(img, 0, sizeof(*img));
}

int io_image_alloc(io_image *img, uint32_t width, uint32_t height,
                   int channels, const io_limits *lim, char *err)
{
    uint64_t pixels = (uint64_t)width * height;

    if (width == 0 || height == 0)
        return io_fail(err, "image has zero width or height");
    if (width > IO_MAX_DIM || height > IO_MAX_DIM)
        return io_fail(err, "image is %u x %u, larger than the %u x %u maximum",
                       (unsigned)width, (unsigned)height, IO_MAX_DIM, IO_MAX_DIM);
    if (lim && lim->max_pixels && pixels > lim->max_pixels)
        return io_fail(err, "image is %u x %u, more than the limit of %llu pixels",
                       (unsigned)width, (unsigned)height,
                       (unsigned long long)lim->max_pixels);
    if (channels != 1 && channels != 3)
        return io_fail(err, "internal error: %d channels", channels);
    /* width, height <= 65535: width * channels and the product fit 64 bits;
       check that they fit size_t on narrow targets. */
    uint64_t stride = (uint64_t)width * (unsigned)channels;
    uint64_t total = stride * height;
    if (total > SIZE_MAX)
        return io_fail(err, "image too large for this machine");
    uint8_t *p = malloc((size_t)total);
    if (!p)
        return io_fail(err, "out of memory for a %u x %u image",
                       (unsigned)width, (unsigned)height);
    img->width = width;
    img->height = height;
    img->channels = channels;
    img->stride = (size_t)stride;
    img->data = p;
    return 0;
}
