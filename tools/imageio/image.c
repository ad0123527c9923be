/* The image buffer that every reader fills (imageio.h). */
#include "tools/imageio/imageio.h"

#include <stdlib.h>
#include <string.h>

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
