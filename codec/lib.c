/* Public API (include/dlic/dlic.h) except dlic_encode() (codec/lib_enc.c):
 * versions, errors, settings, models, contexts, probing and the decode
 * entry point. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "codec/context.h"
#include "codec/dec/decode.h"
#include "codec/enc/refine.h"
#include "codec/nn/cpu.h"
#include "codec/nn/dsp.h"
#include "codec/nn/engine.h"
#include "codec/nn/exec.h"
#include "format/container.h"
#include "format/model.h"

#define STR_(x) #x
#define STR(x) STR_(x)

const char *dlic_version(void)
{
    return STR(DLIC_VERSION_MAJOR) "." STR(DLIC_VERSION_MINOR) "." STR(DLIC_VERSION_PATCH);
}

unsigned dlic_version_number(void) { return DLIC_VERSION_NUMBER; }

const char *dlic_strerror(int err)
{
    switch (err) {
    case DLIC_OK:                 return "success";
    case DLIC_ERR_INVALID_ARG:    return "invalid argument";
    case DLIC_ERR_NOMEM:          return "out of memory";
    case DLIC_ERR_NOT_DLIC:       return "not a DLIC stream";
    case DLIC_ERR_TRUNCATED:      return "data ends early (truncated)";
    case DLIC_ERR_CORRUPT:        return "corrupt stream";
    case DLIC_ERR_CHECKSUM:       return "chunk checksum mismatch";
    case DLIC_ERR_UNSUPPORTED:    return "unsupported version or feature";
    case DLIC_ERR_MODEL_MISMATCH: return "stream was made with another model";
    case DLIC_ERR_BAD_MODEL:      return "invalid model file";
    case DLIC_ERR_LIMIT:          return "exceeds the pixel or memory limit";
    case DLIC_ERR_STATE:          return "context failed earlier; close it";
    default:                      return "unknown error";
    }
}

/* ------------------------------------------------------------------ model */

#ifdef DLIC_NO_EMBEDDED_MODEL
/* A build without the embedded model (WebAssembly: the page fetches the
 * model file): dlic_model_default() fails with DLIC_ERR_UNSUPPORTED. */
static const uint8_t dlic_default_model_data[1];
static const uint8_t *const dlic_default_model_end = dlic_default_model_data;
#else
extern const uint8_t dlic_default_model_data[];
extern const uint8_t dlic_default_model_end[];
#endif

static struct dlic_model default_model;
static int default_model_err;
static pthread_once_t default_model_once = PTHREAD_ONCE_INIT;

static void default_model_init(void)
{
    const size_t size = (size_t)(dlic_default_model_end - dlic_default_model_data);
    default_model_err = size ? dlic_model_parse(&default_model, dlic_default_model_data,
                                                size, 0)
                             : DLIC_ERR_UNSUPPORTED;
    if (!default_model_err)
        default_model.is_static = 1;   /* never released */
}

int dlic_model_default(const dlic_model **model)
{
    DLIC_CHECK(!model, DLIC_ERR_INVALID_ARG);
    *model = NULL;
    pthread_once(&default_model_once, default_model_init);
    DLIC_TRY(default_model_err);
    *model = &default_model;
    return DLIC_OK;
}

int dlic_model_load(dlic_model **model, const uint8_t *data, size_t size)
{
    DLIC_CHECK(!model, DLIC_ERR_INVALID_ARG);
    *model = NULL;
    DLIC_CHECK(!data, DLIC_ERR_INVALID_ARG);
    struct dlic_model *m = malloc(sizeof(*m));
    DLIC_CHECK(!m, DLIC_ERR_NOMEM);
    int r = dlic_model_parse(m, data, size, 1);
    if (r) {
        free(m);
        return r;
    }
    *model = m;
    return DLIC_OK;
}

void dlic_model_free(dlic_model **model)
{
    if (!model || !*model)
        return;
    if (!(*model)->is_static) {
        dlic_model_release(*model);
        free(*model);
    }
    *model = NULL;
}

uint64_t dlic_model_id(const dlic_model *model) { return model ? model->id : 0; }
uint64_t dlic_model_lite_id(const dlic_model *model) { return model ? model->lite_id : 0; }
const char *dlic_model_name(const dlic_model *model) { return model ? model->name : ""; }
int dlic_model_is_test(const dlic_model *model) { return model ? model->flags & 1 : 0; }
unsigned dlic_model_latent_channels(const dlic_model *model) { return model ? model->M : 0; }
unsigned dlic_model_hyper_channels(const dlic_model *model) { return model ? model->NZ : 0; }

/* The transforms a model file can hold (SPEC §8.1, §8.7): those of its
 * main part, and g_s lite (no layers when the file has none). */
static int valid_transform(const dlic_model *model, int transform)
{
    return transform == DLIC_G_S_LITE ||
           (transform >= DLIC_G_A && transform < (int)dlic_model_ntransforms(model));
}

unsigned dlic_model_layer_count(const dlic_model *model, int transform)
{
    if (!model || !valid_transform(model, transform))
        return 0;
    return model->t[transform].nlayers;
}

/* Linear resolution of each transform's input relative to the padded
 * image (SPEC §5.3, §6.1, §8.7): g_a 1, h_a 1/16, h_s 1/64, g_s, c_ctx,
 * c_ep and g_s lite 1/16. */
static const double input_scale[DLIC_MODEL_MAX_TRANSFORMS] = {
    1.0, 1.0 / 16, 1.0 / 64, 1.0 / 16, 1.0 / 16, 1.0 / 16, 1.0 / 16,
};

int dlic_model_layer(const dlic_model *model, int transform, unsigned index,
                     dlic_layer_info *info)
{
    DLIC_CHECK(!model || !info, DLIC_ERR_INVALID_ARG);
    DLIC_CHECK(!valid_transform(model, transform), DLIC_ERR_INVALID_ARG);
    const dlic_transform *t = &model->t[transform];
    DLIC_CHECK(index >= t->nlayers, DLIC_ERR_INVALID_ARG);
    double scale = input_scale[transform];
    for (unsigned i = 0; i < index; i++)
        scale = scale / t->layer[i].stride * t->layer[i].shuffle;
    const dlic_layer *l = &t->layer[index];
    const double vscale = scale / l->stride;   /* where the MACs happen */
    *info = (dlic_layer_info){
        .cin = l->cin, .cout = l->cout, .k = l->k, .stride = l->stride,
        .shuffle = l->shuffle, .lo = l->lo, .hi = l->hi,
        .macs_per_pixel = (double)l->k * l->k * l->cin * l->cout * vscale * vscale,
    };
    return DLIC_OK;
}

/* --------------------------------------------------------------- settings */

void dlic_default_settings(dlic_settings *s)
{
    if (!s)
        return;
    *s = (dlic_settings){
        .quality = 75, .threads = 0, .max_pixels = (uint64_t)1 << 28,
        .max_memory = 0, .cpu_mask = ~0u, .model = NULL,
        .progress = NULL, .progress_opaque = NULL, .rdo = 1,
        .effort = DLIC_EFFORT_DEFAULT,
    };
}

/* --------------------------------------------------------------- pictures */

void dlic_picture_free(dlic_picture *pic)
{
    if (!pic)
        return;
    free(pic->data);
    free((void *)pic->icc);
    free((void *)pic->exif);
    memset(pic, 0, sizeof(*pic));
}

void dlic_free(void *p) { free(p); }

/* --------------------------------------------------------------- contexts */

int dlic_open(dlic_context **ctx, const dlic_settings *settings)
{
    DLIC_CHECK(!ctx, DLIC_ERR_INVALID_ARG);
    *ctx = NULL;
    dlic_settings s;
    if (settings)
        s = *settings;
    else
        dlic_default_settings(&s);
    DLIC_CHECK(s.quality < 0 || s.quality > 100, DLIC_ERR_INVALID_ARG);
    DLIC_CHECK(s.threads < 0 || s.threads > DLIC_MAX_THREADS, DLIC_ERR_INVALID_ARG);
    DLIC_CHECK(s.rdo != 0 && s.rdo != 1, DLIC_ERR_INVALID_ARG);
    DLIC_CHECK(s.refine < 0 || s.refine > DLIC_REFINE_MAX_ITERS, DLIC_ERR_INVALID_ARG);
    DLIC_CHECK(s.effort < 1 || s.effort > DLIC_EFFORT_MAX, DLIC_ERR_INVALID_ARG);
    DLIC_CHECK(s.lite != 0 && s.lite != 1, DLIC_ERR_INVALID_ARG);
    const dlic_model *m = s.model;
    if (!m)
        DLIC_TRY(dlic_model_default(&m));
    DLIC_CHECK(s.lite && !dlic_model_has_lite(m), DLIC_ERR_UNSUPPORTED);
    dlic_context *c = calloc(1, sizeof(*c));
    DLIC_CHECK(!c, DLIC_ERR_NOMEM);
    c->s = s;
    c->model = m;
    c->threads = dlic_nn_threads(s.threads);
    dlic_nn_dsp_init(&c->dsp, dlic_cpu_flags(s.cpu_mask));
    if (dlic_nn_engine_open(&c->engine, &c->dsp, m, c->threads)) {
        free(c);
        return DLIC_ERR_NOMEM;
    }
    *ctx = c;
    return DLIC_OK;
}

void dlic_close(dlic_context **ctx)
{
    if (!ctx)
        return;
    if (*ctx)
        dlic_nn_engine_close(&(*ctx)->engine);
    free(*ctx);
    *ctx = NULL;
}

/* SPEC §4.1: the chunk framing alone. */
int dlic_stream_need(const uint8_t *data, size_t size, size_t *need)
{
    return dlic_container_need(data, size, need);
}

/* SPEC §4: the container alone, no model needed. */
int dlic_probe(const uint8_t *data, size_t size, dlic_stream_info *info)
{
    DLIC_CHECK(!info, DLIC_ERR_INVALID_ARG);
    memset(info, 0, sizeof(*info));
    DLIC_CHECK(!data && size, DLIC_ERR_INVALID_ARG);
    dlic_container c;
    return dlic_container_parse(data, size, &c, info);
}

int dlic_decode(dlic_context *ctx, const uint8_t *data, size_t size,
                dlic_picture *pic)
{
    if (pic)
        memset(pic, 0, sizeof(*pic));
    DLIC_CHECK(!ctx || !pic || (!data && size), DLIC_ERR_INVALID_ARG);
    DLIC_CHECK(ctx->failed, DLIC_ERR_STATE);
    dlic_nn_exec x = dlic_context_exec(ctx);
    const dlic_dec_params p = {
        .model = ctx->model,
        .max_pixels = ctx->s.max_pixels, .max_memory = ctx->s.max_memory,
        .lite = ctx->s.lite,
    };
    return dlic_context_note(ctx, dlic_decode_image(&x, &p, data, size, pic));
}
