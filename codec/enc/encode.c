/* Encoder pipeline (SPEC §2, §3, §6, §7). */
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/spec.h"
#include "codec/common/latent.h"
#include "codec/enc/cbenc.h"
#include "codec/enc/encode.h"
#include "codec/enc/rdoq.h"
#include "codec/enc/refine.h"
#include "codec/entropy/rangecoder.h"
#include "codec/nn/plan.h"
#include "codec/nn/stream.h"
#include "codec/nn/transform.h"
#include "format/container.h"

static int check_picture(const dlic_picture *pic)
{
    DLIC_CHECK(!pic->data, DLIC_ERR_INVALID_ARG);
    DLIC_CHECK(pic->width < 1 || pic->width > DLIC_MAX_DIMENSION ||
               pic->height < 1 || pic->height > DLIC_MAX_DIMENSION, DLIC_ERR_INVALID_ARG);
    DLIC_CHECK(pic->colour != DLIC_RGB && pic->colour != DLIC_GRAY,
               DLIC_ERR_INVALID_ARG);
    const size_t ch = pic->colour == DLIC_RGB ? 3 : 1;
    DLIC_CHECK(pic->stride < pic->width * ch, DLIC_ERR_INVALID_ARG);
    DLIC_CHECK((pic->icc_size && !pic->icc) || (pic->exif_size && !pic->exif),
               DLIC_ERR_INVALID_ARG);
    DLIC_CHECK(pic->icc_size > DLIC_CHUNK_MAX || pic->exif_size > DLIC_CHUNK_MAX,
               DLIC_ERR_INVALID_ARG);
    return DLIC_OK;
}

/* Row y of X: SPEC §3.3 edge replication; gray is fed as R = G = B
 * (SPEC §3.1). g_a asks for the rows one at a time, so X is never whole. */
static int pad_input(void *opaque, size_t y, int16_t *dst)
{
    const dlic_picture *pic = opaque;
    const size_t ch = pic->colour == DLIC_RGB ? 3 : 1;
    const size_t wp = dlic_padded_side(pic->width);
    const uint8_t *row = pic->data + (y < pic->height ? y : pic->height - 1) * pic->stride;
    for (size_t x = 0; x < wp; x++) {
        const uint8_t *px = row + (x < pic->width ? x : pic->width - 1) * ch;
        dst[3 * x + 0] = px[0];
        dst[3 * x + 1] = px[ch == 3 ? 1 : 0];
        dst[3 * x + 2] = px[ch == 3 ? 2 : 0];
    }
    return DLIC_OK;
}

/* SPEC §7.3 */
static int code_z(const struct dlic_model *m, const dlic_tensor *Z,
                  uint8_t **buf, size_t *size)
{
    dlic_rc_enc e;
    dlic_rc_enc_init(&e);
    const size_t n = Z->h * Z->w;
    for (size_t i = 0; i < n; i++)
        for (unsigned c = 0; c < m->NZ; c++)
            dlic_rc_enc_value(&e, &m->zt[c], Z->data[i * m->NZ + c]);
    return dlic_rc_enc_finish(&e, buf, size);
}

/* The latent is coded as h_s produces its rows of P (SPEC §2), so P is
 * never held whole. */
typedef struct yenc {
    const struct dlic_model *m;
    const uint32_t *gq;
    const int32_t *lq;
    uint32_t kappa;
    const dlic_tensor *Y;
    dlic_rc_enc e;
} yenc;

/* SPEC §6 encoder side and §7.4, for P rows [y0, y0 + n). */
static int code_y(void *opaque, size_t y0, size_t n, const int16_t *P)
{
    yenc *s = opaque;
    const struct dlic_model *m = s->m;
    const unsigned M = m->M;
    const size_t first = y0 * s->Y->w, count = n * s->Y->w;
    for (size_t i = 0; i < count; i++) {
        const int16_t *y = s->Y->data + (first + i) * M, *p = P + i * 2 * M;
        for (unsigned c = 0; c < M; c++) {
            const dlic_table *t = &m->gt[dlic_latent_table(m, p[M + c], s->lq[c])];
            dlic_rc_enc_value(&s->e, t, dlic_rdoq_quantize(t, s->kappa, y[c], p[c], s->gq[c]));
        }
    }
    return DLIC_OK;
}

/* MU and the table index of the latent's values, from h_s's rows of P
 * (models without a context). */
typedef struct pgrab {
    const struct dlic_model *m;
    const int32_t *lq;
    size_t w;
    int16_t *mu;
    uint8_t *idx;
} pgrab;

static int grab_params(void *opaque, size_t y0, size_t n, const int16_t *P)
{
    pgrab *g = opaque;
    const unsigned M = g->m->M;
    const size_t first = y0 * g->w, count = n * g->w;
    for (size_t i = 0; i < count; i++)
        for (unsigned c = 0; c < M; c++) {
            g->mu[(first + i) * M + c] = P[i * 2 * M + c];
            g->idx[(first + i) * M + c] =
                (uint8_t)dlic_latent_table(g->m, P[i * 2 * M + M + c], g->lq[c]);
        }
    return DLIC_OK;
}

/* dlic_refine_params_fn: MU and tables as code_y() or
 * dlic_cbenc_code_y() will use them for Y. */
static int refine_params(void *opaque, dlic_nn_exec *x, const dlic_tensor *Y,
                         const dlic_tensor *Z, int16_t *mu, uint8_t *idx)
{
    const dlic_enc_params *p = opaque;
    const struct dlic_model *m = p->model;
    const unsigned q = (unsigned)p->quality;
    if (dlic_model_has_context(m))
        return dlic_cbenc_params(x, m, q, p->rdoq_kappa, Y, Z, mu, idx);
    pgrab g = { m, m->lq + (size_t)q * m->M, Y->w, mu, idx };
    return dlic_transform_stream(x, &m->t[DLIC_H_S], Z->h, Z->w, dlic_tensor_get_row,
                                 (void *)Z, grab_params, &g);
}

/* Latent refinement (refine.h) of Y and its hyper-latent Z. */
static int refine(dlic_nn_exec *x, const dlic_enc_params *p, const dlic_picture *pic,
                  dlic_tensor *Y, dlic_tensor *Z)
{
    const dlic_refine_args a = { p->model, (unsigned)p->quality, p->refine_iters,
                                 p->rdoq_kappa, Y, Z, refine_params, (void *)p, pic,
                                 p->search_progress, p->opaque };
    return dlic_refine(x, &a);
}

/* Shapes and peak working memory of the whole pipeline, checked against
 * the limits before anything big is allocated. */
static int plan(const dlic_nn_exec *x, const dlic_enc_params *p, size_t hp, size_t wp)
{
    const struct dlic_model *m = p->model;
    size_t yh, yw, yc, zh, zw, zc, ph, pw, pc, wa, wb, wc, ka, kb, kc;
    size_t xb, yb, zb, pb, rows, need = 0, stage;
    /* Shapes; a stream's memory is dlic_transform_memory()'s below. */
    DLIC_TRY(dlic_transform_shape(&m->t[DLIC_G_A], hp, wp, &yh, &yw, &yc, &rows));
    DLIC_TRY(dlic_transform_shape(&m->t[DLIC_H_A], yh, yw, &zh, &zw, &zc, &rows));
    DLIC_TRY(dlic_transform_shape(&m->t[DLIC_H_S], zh, zw, &ph, &pw, &pc, &rows));
    /* The loader checks these (SPEC §5.3, §8.3); a mismatch here means the
     * model object is not one it produced. */
    DLIC_CHECK(yh != hp / DLIC_LATENT_STRIDE || yw != wp / DLIC_LATENT_STRIDE || yc != m->M ||
               zh != hp / DLIC_TOTAL_STRIDE || zw != wp / DLIC_TOTAL_STRIDE || zc != m->NZ ||
               ph != yh || pw != yw || pc != 2u * m->M, DLIC_ERR_BAD_MODEL);
    if (p->refine_iters && dlic_refine_supported(m)) {
        DLIC_TRY(dlic_refine_memory(m, yh, yw, zh, zw, &stage));
        DLIC_CHECK(stage > DLIC_REFINE_MAX_MEMORY, DLIC_ERR_LIMIT);
    }
    if (!p->max_memory)
        return DLIC_OK;
    (void)xb, (void)pb;  /* g_a reads the picture, code_y takes P, by rows */
    DLIC_TRY(dlic_transform_memory(x, &m->t[DLIC_G_A], hp, wp, &wa, &ka));
    DLIC_TRY(dlic_transform_memory(x, &m->t[DLIC_H_A], yh, yw, &wb, &kb));
    kc = 0;
    if (dlic_model_has_context(m))      /* h_s, c_ctx, c_ep on whole tensors */
        DLIC_TRY(dlic_cbenc_memory(x, m, zh, zw, &wc));
    else
        DLIC_TRY(dlic_transform_memory(x, &m->t[DLIC_H_S], zh, zw, &wc, &kc));
    DLIC_TRY(dlic_tensor_bytes(yh, yw, yc, &yb));
    DLIC_TRY(dlic_tensor_bytes(zh, zw, zc, &zb));
    /* Live sets: g_a + Y, Y + h_a + Z, Y + Z + h_s and the coded streams
     * (about the size of Y at worst); the engine keeps each transform's
     * packed weights once it has run (ka, kb, kc). */
    const size_t stages[4][7] = {
        { 0, wa, yb, 0, ka, 0, 0 }, { yb, wb, zb, 0, ka, kb, 0 },
        { yb, zb, wc, yb, ka, kb, kc }, { yb, zb, yb, 0, ka, kb, kc },
    };
    for (unsigned s = 0; s < 4; s++) {
        stage = 0;
        for (unsigned i = 0; i < 7; i++)
            DLIC_CHECK(dlic_add_size(stage, stages[s][i], &stage), DLIC_ERR_LIMIT);
        if (stage > need)
            need = stage;
    }
    if (p->refine_iters && dlic_refine_supported(m)) {
        /* Y + Z + refinement (its MU and tables included) + the entropy
         * parameters' stage, which each score runs */
        DLIC_TRY(dlic_refine_memory(m, yh, yw, zh, zw, &stage));
        DLIC_CHECK(dlic_add_size(stage, yb, &stage) || dlic_add_size(stage, zb, &stage) ||
                   dlic_add_size(stage, ka, &stage) ||
                   dlic_add_size(stage, kb, &stage) || dlic_add_size(stage, kc, &stage) ||
                   dlic_add_size(stage, wc, &stage), DLIC_ERR_LIMIT);
        if (stage > need)
            need = stage;
    }
    DLIC_CHECK(need > p->max_memory, DLIC_ERR_LIMIT);
    return DLIC_OK;
}

int dlic_encode_image(dlic_nn_exec *x, const dlic_enc_params *p,
                      const dlic_picture *pic, uint8_t **out, size_t *out_size)
{
    const struct dlic_model *m = p->model;
    *out = NULL;
    *out_size = 0;
    DLIC_TRY(check_picture(pic));
    DLIC_CHECK(p->quality < 0 || p->quality > 100, DLIC_ERR_INVALID_ARG);
    DLIC_CHECK(p->refine_iters > DLIC_REFINE_MAX_ITERS, DLIC_ERR_INVALID_ARG);
    DLIC_CHECK(p->max_pixels && (uint64_t)pic->width * pic->height > p->max_pixels,
               DLIC_ERR_LIMIT);

    /* SPEC §3.2 */
    const size_t hp = dlic_padded_side(pic->height);
    const size_t wp = dlic_padded_side(pic->width);
    DLIC_TRY(plan(x, p, hp, wp));

    x->done = 0;
    x->total = m->t[DLIC_G_A].nlayers + m->t[DLIC_H_A].nlayers +
               m->t[DLIC_H_S].nlayers + 2;
    if (dlic_model_has_context(m))
        x->total += m->t[DLIC_C_CTX].nlayers + m->t[DLIC_C_EP].nlayers;
    const int refining = p->refine_iters && dlic_refine_supported(m);
    if (refining) {     /* each iteration runs g_s forward and back, each
                           score the entropy parameters and g_s forward */
        unsigned params = m->t[DLIC_H_S].nlayers;
        if (dlic_model_has_context(m))
            params += m->t[DLIC_C_CTX].nlayers + m->t[DLIC_C_EP].nlayers;
        x->total += dlic_refine_runs(p->refine_iters) * m->t[DLIC_G_S].nlayers +
                    dlic_refine_scores(p->refine_iters) * params;
    }
    if (x->progress)
        x->progress(x->opaque, 0);

    dlic_tensor Y = { NULL, hp / DLIC_LATENT_STRIDE, wp / DLIC_LATENT_STRIDE, m->M }, Z = { 0 };
    uint8_t *zbuf = NULL, *ybuf = NULL;
    size_t zsize = 0, ysize = 0, ybytes;
    int r = dlic_tensor_bytes(Y.h, Y.w, Y.c, &ybytes);
    if (r)
        goto done;
    Y.data = malloc(ybytes);
    if (!Y.data) {
        r = DLIC_ERR_NOMEM;
        goto done;
    }
    if ((r = dlic_transform_stream(x, &m->t[DLIC_G_A], hp, wp, pad_input, (void *)pic,
                                   dlic_tensor_put_rows, &Y)))
        goto done;
    if ((r = dlic_transform_run(x, &m->t[DLIC_H_A], &Y, &Z)) ||
        (refining && (r = refine(x, p, pic, &Y, &Z))) || (r = code_z(m, &Z, &zbuf, &zsize)))
        goto done;
    dlic_nn_progress(x);
    yenc ye = { .m = m, .gq = m->gq + (size_t)p->quality * m->M,
                .lq = m->lq + (size_t)p->quality * m->M, .kappa = p->rdoq_kappa, .Y = &Y };
    dlic_rc_enc_init(&ye.e);
    if (dlic_model_has_context(m))
        r = dlic_cbenc_code_y(x, m, (unsigned)p->quality, p->rdoq_kappa, &Y, &Z, &ye.e);
    else
        r = dlic_transform_stream(x, &m->t[DLIC_H_S], Z.h, Z.w, dlic_tensor_get_row, &Z, code_y, &ye);
    if (r) {
        dlic_rc_enc_free(&ye.e);
        goto done;
    }
    if ((r = dlic_rc_enc_finish(&ye.e, &ybuf, &ysize)))
        goto done;

    const dlic_header h = {
        .version_major = 1, .version_minor = 0,
        .width = pic->width, .height = pic->height,
        .colour = (uint8_t)pic->colour, .bit_depth = 8,
        .quality = (uint8_t)p->quality, .model_id = m->id,
    };
    r = dlic_container_write(&h, pic->icc, pic->icc_size, pic->exif, pic->exif_size,
                             zbuf, zsize, ybuf, ysize, out, out_size);
    /* The only argument the container can still reject is a latent stream
     * beyond the 2^31 - 1 byte chunk limit of SPEC §4.1. */
    if (r == DLIC_ERR_INVALID_ARG)
        r = DLIC_ERR_LIMIT;
    if (!r)
        dlic_nn_progress(x);
done:
    free(Y.data);
    free(Z.data);
    free(zbuf);
    free(ybuf);
    return r;
}
