/* The WebAssembly decoder's C side (README, "In the browser"): one model
 * and one context (and a second for the model's g_s lite, SPEC §8.7, opened
 * on first use), a decode into RGBA for a canvas, the SPEC §9 hash of the
 * RGB pixels for tests. wasm/dlic.mjs wraps it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emscripten.h>
#include <xxhash.h>

#include "dlic/dlic.h"
#include "wasm/glue.h"

static dlic_model *model;
static dlic_context *ctx, *lite_ctx;
static dlic_picture pic;
static uint8_t *rgba;
static char hash[24];

EMSCRIPTEN_KEEPALIVE void dlicw_release(void)
{
    dlic_picture_free(&pic);
    free(rgba);
    rgba = NULL;
}

EMSCRIPTEN_KEEPALIVE void dlicw_close(void)
{
    dlicw_release();
    dlic_close(&ctx);
    dlic_close(&lite_ctx);
    dlic_model_free(&model);
}

/* A one-thread context on the model, with g_s lite or the full g_s. */
static int open_context(dlic_context **c, int lite)
{
    dlic_settings s;
    dlic_default_settings(&s);
    s.model = model;
    s.threads = 1;
    s.lite = lite;
    return dlic_open(c, &s);
}

/* The model file's bytes (the caller's copy may go once this returns). */
EMSCRIPTEN_KEEPALIVE int dlicw_open(const uint8_t *data, size_t size)
{
    dlicw_close();
    int err = dlic_model_load(&model, data, size);
    if (err)
        return err;
    err = open_context(&ctx, 0);
    if (err)
        dlic_model_free(&model);
    return err;
}

/* Decodes into RGBA (gray: R = G = B), with the hash of the RGB pixels;
 * lite: with the model's g_s lite (DLIC_ERR_UNSUPPORTED without one). */
EMSCRIPTEN_KEEPALIVE int dlicw_decode(const uint8_t *data, size_t size, int lite)
{
    dlicw_release();
    if (!ctx)
        return DLIC_ERR_STATE;
    if (lite && !lite_ctx) {
        int err = open_context(&lite_ctx, 1);
        if (err)
            return err;
    }
    int err = dlic_decode(lite ? lite_ctx : ctx, data, size, &pic);
    if (err)
        return err;
    const size_t n = (size_t)pic.width * pic.height;
    uint8_t *rgb = malloc(n * 3);
    rgba = malloc(n * 4);
    if (!rgb || !rgba) {
        free(rgb);
        dlicw_release();
        return DLIC_ERR_NOMEM;
    }
    const int gray = pic.colour == DLIC_GRAY;
    for (size_t y = 0; y < pic.height; y++)
        for (size_t x = 0; x < pic.width; x++) {
            const uint8_t *p = pic.data + y * pic.stride + x * (gray ? 1 : 3);
            uint8_t *o = rgb + (y * pic.width + x) * 3, *q = rgba + (y * pic.width + x) * 4;
            o[0] = q[0] = p[0];
            o[1] = q[1] = p[gray ? 0 : 1];
            o[2] = q[2] = p[gray ? 0 : 2];
            q[3] = 255;
        }
    snprintf(hash, sizeof(hash), "xxh3:%016llx", (unsigned long long)XXH3_64bits(rgb, n * 3));
    free(rgb);
    return DLIC_OK;
}

EMSCRIPTEN_KEEPALIVE const char *dlicw_hash_rgba(const uint8_t *px, uint32_t w, uint32_t h)
{
    static char out[24];
    const size_t n = (size_t)w * h;
    uint8_t *rgb = malloc(n * 3 + 1);
    if (!rgb)
        return NULL;
    for (size_t i = 0; i < n; i++)
        memcpy(rgb + 3 * i, px + 4 * i, 3);
    snprintf(out, sizeof(out), "xxh3:%016llx", (unsigned long long)XXH3_64bits(rgb, n * 3));
    free(rgb);
    return out;
}

EMSCRIPTEN_KEEPALIVE uint32_t dlicw_width(void) { return pic.width; }
EMSCRIPTEN_KEEPALIVE uint32_t dlicw_height(void) { return pic.height; }
EMSCRIPTEN_KEEPALIVE int dlicw_gray(void) { return pic.colour == DLIC_GRAY; }
EMSCRIPTEN_KEEPALIVE const uint8_t *dlicw_rgba(void) { return rgba; }
EMSCRIPTEN_KEEPALIVE const char *dlicw_hash(void) { return hash; }
EMSCRIPTEN_KEEPALIVE const char *dlicw_error(int err) { return dlic_strerror(err); }
EMSCRIPTEN_KEEPALIVE const char *dlicw_version(void) { return dlic_version(); }

EMSCRIPTEN_KEEPALIVE int dlicw_has_lite(void)
{
    return model && dlic_model_layer_count(model, DLIC_G_S_LITE) > 0;
}
