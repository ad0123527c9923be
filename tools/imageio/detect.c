/* Format sniffing by signature and reader dispatch. */
#include "tools/imageio/imageio.h"

#include <stdlib.h>
#include <string.h>

#include "dlic/dlic.h"

io_format io_detect(const uint8_t *d, size_t n)
{
    static const uint8_t png_sig[8] = { 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A };

    if (n >= 8 && !memcmp(d, png_sig, 8))
        return IO_FMT_PNG;
    if (n >= DLIC_SIGNATURE_SIZE && !memcmp(d, DLIC_SIGNATURE, DLIC_SIGNATURE_SIZE))
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
