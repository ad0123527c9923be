/* DLIC through libdlic in-process, one thread per job (the job pool runs
 * images in parallel). "dlic-lite" encodes the same streams and decodes
 * them with the model's g_s lite (SPEC §8.7). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/bench/codec.h"

static int is_lite(const bench_codec *c)
{
    return !strcmp(c->id, "dlic-lite");
}

int bench_dlic_probe(const bench_codec *c, const dlic_model *model,
                     char version[BENCH_VERSION_SIZE])
{
    if (!model && dlic_model_default(&model) != DLIC_OK)
        return -1;
    if (is_lite(c) && !dlic_model_layer_count(model, DLIC_G_S_LITE))
        return -1;                      /* the model has no g_s lite */
    char lite[40] = "";
    if (is_lite(c))
        snprintf(lite, sizeof(lite), " g_s lite %016" PRIx64, dlic_model_lite_id(model));
    snprintf(version, BENCH_VERSION_SIZE, "dlic %s model %016" PRIx64 "%s%s",
             dlic_version(), dlic_model_id(model),
             dlic_model_is_test(model) ? " (test model)" : "", lite);
    return 0;
}

int bench_dlic_run(const bench_codec *c, const bench_job_env *env,
                   const io_image *src, int quality, bench_result *res,
                   char *err)
{
    dlic_settings s;
    dlic_context *ctx = NULL;
    dlic_picture pic = { 0 }, dec = { 0 };
    uint8_t *stream = NULL;
    size_t size = 0;
    int r;

    dlic_default_settings(&s);
    s.quality = quality;
    s.threads = 1;
    s.max_pixels = 0;
    s.model = env->model;
    s.refine = env->refine;
    s.effort = env->effort;
    s.lite = is_lite(c);
    if ((r = dlic_open(&ctx, &s)) != DLIC_OK)
        return io_fail(err, "dlic_open: %s", dlic_strerror(r));
    pic.width = src->width;
    pic.height = src->height;
    pic.colour = DLIC_RGB;
    pic.stride = src->stride;
    pic.data = src->data;

    double t0 = bench_now_ms();
    r = dlic_encode(ctx, &pic, &stream, &size);
    double t1 = bench_now_ms();
    if (r != DLIC_OK) {
        io_fail(err, "dlic_encode: %s", dlic_strerror(r));
        goto fail;
    }
    r = dlic_decode(ctx, stream, size, &dec);
    double t2 = bench_now_ms();
    if (r != DLIC_OK) {
        io_fail(err, "dlic_decode: %s", dlic_strerror(r));
        goto fail;
    }
    if (dec.width != src->width || dec.height != src->height ||
        dec.colour != DLIC_RGB) {
        io_fail(err, "decoded picture differs in size or colour");
        goto fail;
    }
    if (io_image_alloc(&res->decoded, dec.width, dec.height, 3, NULL, err))
        goto fail;
    for (uint32_t y = 0; y < dec.height; y++)
        memcpy(res->decoded.data + y * res->decoded.stride,
               dec.data + y * dec.stride, (size_t)dec.width * 3);
    res->bytes = size;
    res->enc_ms = t1 - t0;
    res->dec_ms = t2 - t1;
    dlic_free(stream);
    dlic_picture_free(&dec);
    dlic_close(&ctx);
    return 0;
fail:
    dlic_free(stream);
    dlic_picture_free(&dec);
    dlic_close(&ctx);
    return -1;
}
