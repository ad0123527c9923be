/* WebP through libwebp in-process: lossy, WebPConfigPreset(DEFAULT, q),
 * method 6 (slowest, best), as cwebp -m 6 -q Q and Pillow's method=6. */
#include <stdio.h>
#include <stdlib.h>

#include <webp/decode.h>
#include <webp/encode.h>

#include "tools/bench/codec.h"

int bench_webp_probe(const bench_codec *c, const dlic_model *model,
                     char version[BENCH_VERSION_SIZE])
{
    (void)c;
    (void)model;
    int v = WebPGetEncoderVersion();
    snprintf(version, BENCH_VERSION_SIZE, "libwebp %d.%d.%d m6",
             (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
    return 0;
}

int bench_webp_run(const bench_codec *c, const bench_job_env *env,
                   const io_image *src, int quality, bench_result *res,
                   char *err)
{
    WebPConfig config;
    WebPPicture pic;
    WebPMemoryWriter wr;

    (void)c;
    (void)env;
    if (!WebPConfigPreset(&config, WEBP_PRESET_DEFAULT, (float)quality) ||
        !WebPPictureInit(&pic))
        return io_fail(err, "WebP: library version mismatch");
    config.method = 6;
    pic.use_argb = 0;
    pic.width = (int)src->width;
    pic.height = (int)src->height;
    WebPMemoryWriterInit(&wr);
    pic.writer = WebPMemoryWrite;
    pic.custom_ptr = &wr;

    double t0 = bench_now_ms();
    int ok = WebPPictureImportRGB(&pic, src->data, (int)src->stride) &&
             WebPEncode(&config, &pic);
    double t1 = bench_now_ms();
    int code = pic.error_code;
    WebPPictureFree(&pic);
    if (!ok) {
        WebPMemoryWriterClear(&wr);
        return io_fail(err, "WebP: encoding failed (error %d)", code);
    }
    int r = io_read_webp(wr.mem, wr.size, NULL, &res->decoded, err);
    double t2 = bench_now_ms();
    res->bytes = wr.size;
    WebPMemoryWriterClear(&wr);
    if (r)
        return -1;
    res->enc_ms = t1 - t0;
    res->dec_ms = t2 - t1;
    return 0;
}
