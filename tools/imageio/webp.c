/* WebP through libwebp (still images; alpha dropped; ICCP chunk kept). */
#include "tools/imageio/imageio.h"

#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>

static const char *status_text(VP8StatusCode s)
{
    switch (s) {
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "corrupt bitstream";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "file is truncated";
    default: return "decoding failed";
    }
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* Finds the ICCP chunk of an extended (VP8X) file; a malformed chunk list
 * just means no profile: libwebp judges the image itself. */
static int find_iccp(const uint8_t *d, size_t n, io_image *img, char *err)
{
    size_t pos = 12;
    if (n < 12)
        return 0;
    if (le32(d + 4) < n - 8)
        n = (size_t)le32(d + 4) + 8;        /* ignore bytes past the RIFF */
    while (n - pos >= 8) {
        uint32_t len = le32(d + pos + 4);
        if (len > n - pos - 8)
            return 0;
        if (!memcmp(d + pos, "ICCP", 4)) {
            if (len == 0)
                return 0;
            img->icc = malloc(len);
            if (!img->icc)
                return io_fail(err, "out of memory");
            memcpy(img->icc, d + pos + 8, len);
            img->icc_size = len;
            return 0;
        }
        pos += 8 + (size_t)len;
        if (len & 1) {
            if (pos >= n)
                return 0;
            pos++;
        }
    }
    return 0;
}

int io_read_webp(const uint8_t *data, size_t size, const io_limits *lim,
                 io_image *img, char *err)
{
    WebPBitstreamFeatures f;
    VP8StatusCode st;

    memset(img, 0, sizeof(*img));
    st = WebPGetFeatures(data, size, &f);
    if (st != VP8_STATUS_OK)
        return io_fail(err, "WebP: %s", status_text(st));
    if (f.has_animation)
        return io_fail(err, "WebP: animated images are not supported");
    if (f.width <= 0 || f.height <= 0)
        return io_fail(err, "WebP: invalid dimensions");
    if (io_image_alloc(img, (uint32_t)f.width, (uint32_t)f.height, 3, lim, err))
        return -1;
    img->had_alpha = f.has_alpha;
    /* io_image_alloc checked stride * height against SIZE_MAX; libwebp
       takes int strides, which 65535 * 3 fits. */
    if (!WebPDecodeRGBInto(data, size, img->data, img->stride * img->height,
                           (int)img->stride)) {
        io_image_free(img);
        return io_fail(err, "WebP: corrupt or truncated bitstream");
    }
    if (find_iccp(data, size, img, err)) {
        io_image_free(img);
        return -1;
    }
    return 0;
}
