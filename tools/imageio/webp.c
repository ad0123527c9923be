/* WebP through libwebp (still images; alpha dropped; ICCP and EXIF chunks
 * kept, found with the demux API). */
#include "tools/imageio/imageio.h"

#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>

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

/* Copies the first chunk fourcc of an extended (VP8X) file into *out; an
 * absent chunk, or one larger than max, leaves *out NULL. */
static int copy_chunk(const WebPDemuxer *dmux, const char *fourcc, size_t max,
                      uint8_t **out, size_t *out_size, char *err)
{
    WebPChunkIterator it;
    if (!WebPDemuxGetChunk(dmux, fourcc, 1, &it))
        return 0;
    const uint8_t *p = it.chunk.bytes;
    size_t n = it.chunk.size;
    /* Some writers keep the JPEG APP1 identifier in front of the TIFF
       header; SPEC §4.4 stores the TIFF header onwards. */
    if (!memcmp(fourcc, "EXIF", 4) && n >= 6 && !memcmp(p, "Exif\0\0", 6)) {
        p += 6;
        n -= 6;
    }
    int r = 0;
    if (n > 0 && n <= max) {
        if ((*out = malloc(n))) {
            memcpy(*out, p, n);
            *out_size = n;
        } else {
            r = io_fail(err, "out of memory");
        }
    }
    WebPDemuxReleaseChunkIterator(&it);
    return r;
}

/* The ICCP and EXIF chunks. A file the demuxer refuses just has no
 * metadata: libwebp's decoder judges the image itself. */
static int read_metadata(const uint8_t *data, size_t size, io_image *img,
                         char *err)
{
    WebPData wd = { data, size };
    WebPDemuxer *dmux = WebPDemux(&wd);
    if (!dmux)
        return 0;
    int r = copy_chunk(dmux, "ICCP", SIZE_MAX, &img->icc, &img->icc_size, err);
    if (!r)
        r = copy_chunk(dmux, "EXIF", IO_MAX_EXIF_SIZE, &img->exif,
                       &img->exif_size, err);
    WebPDemuxDelete(dmux);
    return r;
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
    if (read_metadata(data, size, img, err)) {
        io_image_free(img);
        return -1;
    }
    return 0;
}
