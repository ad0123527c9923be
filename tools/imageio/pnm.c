/* Binary PGM (P5) and PPM (P6), maxval 1..65535, read and written. */
#include "tools/imageio/imageio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Skips whitespace and comments, then reads a decimal number. */
static int header_number(const uint8_t *d, size_t n, size_t *pos,
                         uint32_t *value)
{
    size_t p = *pos;
    for (;;) {
        while (p < n && is_space(d[p]))
            p++;
        if (p < n && d[p] == '#') {
            while (p < n && d[p] != '\n' && d[p] != '\r')
                p++;
            continue;
        }
        break;
    }
    if (p >= n || d[p] < '0' || d[p] > '9')
        return -1;
    uint64_t v = 0;
    while (p < n && d[p] >= '0' && d[p] <= '9') {
        v = v * 10 + (uint64_t)(d[p] - '0');
        if (v > 0xFFFFFFFFu)
            return -1;
        p++;
    }
    *pos = p;
    *value = (uint32_t)v;
    return 0;
}

int io_read_pnm(const uint8_t *d, size_t n, const io_limits *lim,
                io_image *img, char *err)
{
    uint32_t width, height, maxval;
    size_t pos = 2;
    int channels;

    memset(img, 0, sizeof(*img));
    if (n < 3 || d[0] != 'P' || (d[1] != '5' && d[1] != '6'))
        return io_fail(err, "not a binary PGM/PPM file (P5/P6)");
    channels = d[1] == '6' ? 3 : 1;
    if (header_number(d, n, &pos, &width) || header_number(d, n, &pos, &height) ||
        header_number(d, n, &pos, &maxval))
        return io_fail(err, "PNM: malformed header");
    if (pos >= n || !is_space(d[pos]))
        return io_fail(err, "PNM: malformed header");
    pos++;                                     /* the single whitespace */
    if (maxval < 1 || maxval > 65535)
        return io_fail(err, "PNM: maxval %u out of range 1..65535",
                       (unsigned)maxval);
    if (io_image_alloc(img, width, height, channels, lim, err))
        return -1;

    int bps = maxval > 255 ? 2 : 1;
    /* Bounded by io_image_alloc: at most 65535 * 3 * 2 bytes per row. */
    size_t row_bytes = img->stride * (size_t)bps;
    if ((n - pos) / row_bytes < height) {
        io_image_free(img);
        return io_fail(err, "PNM: truncated pixel data");
    }
    const uint8_t *src = d + pos;
    for (uint32_t y = 0; y < height; y++) {
        uint8_t *dst = img->data + (size_t)y * img->stride;
        for (size_t i = 0; i < img->stride; i++) {
            uint32_t v = bps == 2 ? (uint32_t)src[2 * i] << 8 | src[2 * i + 1]
                                  : src[i];
            if (v > maxval)
                v = maxval;
            dst[i] = maxval == 255 ? (uint8_t)v
                                   : (uint8_t)((v * 255 + maxval / 2) / maxval);
        }
        src += row_bytes;
    }
    return 0;
}

int io_write_pnm(const io_image *img, uint8_t **out, size_t *out_size,
                 char *err)
{
    char head[64];
    int hl = snprintf(head, sizeof(head), "P%c\n%u %u\n255\n",
                      img->channels == 1 ? '5' : '6',
                      (unsigned)img->width, (unsigned)img->height);
    size_t row = (size_t)img->width * (size_t)img->channels;

    *out = NULL;
    *out_size = 0;
    if (hl < 0 || (size_t)hl >= sizeof(head))
        return io_fail(err, "internal error in PNM header");
    if (img->height && row > (SIZE_MAX - (size_t)hl) / img->height)
        return io_fail(err, "image too large");
    size_t total = (size_t)hl + row * img->height;
    uint8_t *buf = malloc(total);
    if (!buf)
        return io_fail(err, "out of memory");
    memcpy(buf, head, (size_t)hl);
    for (uint32_t y = 0; y < img->height; y++)
        memcpy(buf + hl + (size_t)y * row, img->data + (size_t)y * img->stride, row);
    *out = buf;
    *out_size = total;
    return 0;
}
