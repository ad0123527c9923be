/* Decoder pipeline (SPEC §2, §3, §6, §7). */
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/spec.h"
#include "codec/common/latent.h"
#include "codec/dec/cbdec.h"
#include "codec/dec/decode.h"
#include "codec/dec/position.h"
#include "codec/entropy/rangecoder.h"
#include "codec/nn/plan.h"
#include "format/container.h"

typedef struct shapes {
    size_t hp, wp, zh, zw, yh, yw;
} shapes;

/* The synthesis transform p asks for: g_s, or g_s lite (SPEC §8.7). */
static const dlic_transform *synthesis(const dlic_dec_params *p)
{
    return &p->model->t[p->lite ? DLIC_G_S_LITE : DLIC_G_S];
}

static int plan(const dlic_nn_exec *x, const dlic_dec_params *p, const dlic_header *h,
                shapes *s)
{
    const struct dlic_model *m = p->model;
    const dlic_transform *gs = synthesis(p);
    size_t ph, pw, pc, gh, gw, gc, rows, wc, wd, kc, kd;
    s->hp = dlic_padded_side(h->height);
    s->wp = dlic_padded_side(h->width);
    s->zh = s->hp / DLIC_TOTAL_STRIDE, s->zw = s->wp / DLIC_TOTAL_STRIDE;
    s->yh = s->hp / DLIC_LATENT_STRIDE, s->yw = s->wp / DLIC_LATENT_STRIDE;
    /* Shapes; a stream's memory is dlic_transform_memory()'s below. */
    DLIC_TRY(dlic_transform_shape(&m->t[DLIC_H_S], s->zh, s->zw, &ph, &pw, &pc, &rows));
    DLIC_TRY(dlic_transform_shape(gs, s->yh, s->yw, &gh, &gw, &gc, &rows));
    /* Guaranteed by the loader (SPEC §8.3). */
    DLIC_CHECK(ph != s->yh || pw != s->yw || pc != 2u * m->M ||
               gh != s->hp || gw != s->wp || gc != 3, DLIC_ERR_BAD_MODEL);
    if (!p->max_memory)
        return DLIC_OK;
    size_t zb, ob, need = 0;
    kc = 0;
    if (dlic_model_has_context(m))      /* h_s, c_ctx, c_ep and their rows */
        DLIC_TRY(dlic_cbdec_memory(x, m, s->zh, s->zw, &wc));
    else
        DLIC_TRY(dlic_transform_memory(x, &m->t[DLIC_H_S], s->zh, s->zw, &wc, &kc));
    DLIC_TRY(dlic_transform_memory(x, gs, s->yh, s->yw, &wd, &kd));
    DLIC_TRY(dlic_tensor_bytes(s->zh, s->zw, m->NZ, &zb));
    DLIC_TRY(dlic_tensor_bytes(h->height, h->width, 3, &ob));
    ob /= 2;   /* 8-bit output */
    /* h_s, the latent decoding and g_s run as one row pipeline (decode_y,
     * or cbdec.c with a context): live are Z, the buffers and packed
     * weights of the transforms and the output. */
    const size_t live[6] = { zb, wc, kc, wd, kd, ob };
    for (unsigned i = 0; i < 6; i++)
        DLIC_CHECK(dlic_add_size(need, live[i], &need), DLIC_ERR_LIMIT);
    DLIC_CHECK(need > p->max_memory, DLIC_ERR_LIMIT);
    return DLIC_OK;
}

static int alloc_tensor(dlic_tensor *t, size_t h, size_t w, size_t c)
{
    size_t bytes;
    *t = (dlic_tensor){ NULL, h, w, c };
    DLIC_TRY(dlic_tensor_bytes(h, w, c, &bytes));
    t->data = malloc(bytes ? bytes : 1);
    DLIC_CHECK(!t->data, DLIC_ERR_NOMEM);
    return DLIC_OK;
}

/* SPEC §7.3, with the range check against h_a's output range. */
static int decode_z(const struct dlic_model *m, const uint8_t *buf, size_t size,
                    dlic_tensor *Z)
{
    const dlic_transform *ha = &m->t[DLIC_H_A];
    const int lo = ha->layer[ha->nlayers - 1].lo, hi = ha->layer[ha->nlayers - 1].hi;
    dlic_rc_dec d;
    DLIC_TRY(dlic_rc_dec_init(&d, buf, size));
    for (size_t y = 0; y < Z->h; y++) {
        int16_t *row = Z->data + y * Z->w * m->NZ;
        for (size_t i = 0; i < Z->w; i++)
            for (unsigned c = 0; c < m->NZ; c++) {
                int32_t v = dlic_rc_dec_value(&d, &m->zt[c]);
                DLIC_CHECK(v < lo || v > hi, d.error ? d.error : DLIC_ERR_CORRUPT);
                row[i * m->NZ + c] = (int16_t)v;
            }
        DLIC_CHECK(d.error, d.error);
    }
    return dlic_rc_dec_finish(&d);
}

/* The latent is decoded row by row between the two transforms (SPEC §2):
 * g_s asks for YH rows in order; each stripe of them is decoded from the
 * stripe of P that h_s computes on demand, so neither P nor YH is ever
 * held whole and memory grows with the width only. */
typedef struct ydec {
    const struct dlic_model *m;
    dlic_nn_exec *x;
    const uint32_t *igq;
    const int32_t *lq;
    dlic_rc_dec d;
    dlic_nn_stream *hs;         /* h_s on Z */
    int16_t *yh;                /* YH rows [y0, y0 + n) */
    size_t y0, n, cap, yw, yh_rows;
} ydec;

/* SPEC §7.4 and the decoder side of §6, for P rows [y, y + n) from h_s. */
static int decode_y(void *opaque, size_t y, size_t n, const int16_t *P)
{
    ydec *s = opaque;
    const struct dlic_model *m = s->m;
    const unsigned M = m->M;
    if (n > s->cap) {
        size_t bytes;
        DLIC_TRY(dlic_tensor_bytes(n, s->yw, M, &bytes));
        int16_t *b = realloc(s->yh, bytes);
        DLIC_CHECK(!b, DLIC_ERR_NOMEM);
        s->yh = b, s->cap = n;
    }
    for (size_t i = 0; i < n * s->yw; i++) {
        dlic_decode_position(m, &s->d, P + i * 2 * M, s->lq, s->igq, s->yh + i * M);
        if ((i + 1) % s->yw == 0)
            DLIC_CHECK(s->d.error, s->d.error);   /* sticky: once per row is enough */
    }
    s->y0 = y, s->n = n;
    if (y + n == s->yh_rows) {
        DLIC_TRY(dlic_rc_dec_finish(&s->d));
        dlic_nn_progress(s->x);
    }
    return DLIC_OK;
}

/* g_s's input: row y of YH. */
static int get_yh(void *opaque, size_t y, int16_t *row)
{
    ydec *s = opaque;
    while (y >= s->y0 + s->n) {
        const size_t had = s->y0 + s->n;
        DLIC_TRY(dlic_nn_stream_pull(s->hs, had + 1));
        /* h_s and g_s shapes chain (SPEC §8.3): rows always come. */
        DLIC_CHECK(s->y0 + s->n == had, DLIC_ERR_BAD_MODEL);
    }
    memcpy(row, s->yh + (y - s->y0) * s->yw * s->m->M, s->yw * s->m->M * sizeof(int16_t));
    return DLIC_OK;
}

/* SPEC §3.3 crop and §3.1 output colour model, for n rows of g_s output
 * from row y0 (wp x 3 each). g_s clamps to [0, 255]. */
static int store_pixels(void *opaque, size_t y0, size_t n, const int16_t *rows)
{
    dlic_picture *pic = opaque;
    const int gray = pic->colour == DLIC_GRAY;
    const size_t wp = dlic_padded_side(pic->width);
    for (size_t y = y0; y < y0 + n && y < pic->height; y++) {
        const int16_t *src = rows + (y - y0) * wp * 3;
        uint8_t *dst = pic->data + y * pic->stride;
        if (gray)
            for (size_t x = 0; x < pic->width; x++, src += 3)
                dst[x] = (uint8_t)((src[0] + 2 * src[1] + src[2] + 2) >> 2);
        else
            for (size_t x = 0; x < 3 * (size_t)pic->width; x++)
                dst[x] = (uint8_t)src[x];
    }
    return DLIC_OK;
}

static int copy_meta(const uint8_t *src, size_t size, const uint8_t **dst)
{
    if (!size)
        return DLIC_OK;
    uint8_t *p = malloc(size);
    DLIC_CHECK(!p, DLIC_ERR_NOMEM);
    memcpy(p, src, size);
    *dst = p;
    return DLIC_OK;
}

static int decode(dlic_nn_exec *x, const dlic_dec_params *p,
                  const uint8_t *data, size_t size, dlic_picture *pic)
{
    const struct dlic_model *m = p->model;
    const dlic_transform *gs = synthesis(p);
    dlic_container c;
    shapes s;
    DLIC_CHECK(!gs->nlayers, DLIC_ERR_UNSUPPORTED);
    DLIC_TRY(dlic_container_parse(data, size, &c, NULL));
    const dlic_header *h = &c.head;
    DLIC_CHECK(h->model_id != m->id, DLIC_ERR_MODEL_MISMATCH);
    DLIC_CHECK(p->max_pixels && (uint64_t)h->width * h->height > p->max_pixels,
               DLIC_ERR_LIMIT);
    DLIC_TRY(plan(x, p, h, &s));

    x->done = 0;
    x->total = m->t[DLIC_H_S].nlayers + gs->nlayers + 2;
    if (dlic_model_has_context(m))
        x->total += m->t[DLIC_C_CTX].nlayers + m->t[DLIC_C_EP].nlayers;
    if (x->progress)
        x->progress(x->opaque, 0);

    pic->width = h->width;
    pic->height = h->height;
    pic->colour = h->colour;
    pic->stride = (size_t)h->width * (h->colour == DLIC_RGB ? 3 : 1);
    size_t bytes;
    DLIC_CHECK(dlic_mul_size(pic->stride, h->height, &bytes), DLIC_ERR_LIMIT);

    dlic_tensor Z;
    ydec yd = {
        .m = m, .x = x, .igq = m->igq + (size_t)h->quality * m->M,
        .lq = m->lq + (size_t)h->quality * m->M, .yw = s.yw, .yh_rows = s.yh,
    };
    dlic_cbdec *cb = NULL;      /* SPEC §6.1 models: the latent comes from here */
    int r = alloc_tensor(&Z, s.zh, s.zw, m->NZ);
    if (!r && !(r = decode_z(m, c.zlat, c.zlat_size, &Z)))
        dlic_nn_progress(x);
    if (!r && dlic_model_has_context(m))
        r = dlic_cbdec_open(&cb, x, m, &Z, h->quality, c.ylat, c.ylat_size);
    else if (!r && !(r = dlic_rc_dec_init(&yd.d, c.ylat, c.ylat_size)))
        r = dlic_nn_stream_open(&yd.hs, x, &m->t[DLIC_H_S], Z.h, Z.w, dlic_tensor_get_row, &Z,
                                decode_y, &yd);
    if (!r && !(pic->data = malloc(bytes)))
        r = DLIC_ERR_NOMEM;
    if (!r)
        r = dlic_transform_stream(x, gs, s.yh, s.yw,
                                  cb ? dlic_cbdec_get_yh : get_yh, cb ? (void *)cb : &yd,
                                  store_pixels, pic);
    dlic_cbdec_close(&cb);
    dlic_nn_stream_close(&yd.hs);
    free(yd.yh);
    free(Z.data);
    if (!r && !(r = copy_meta(c.icc, c.icc_size, &pic->icc)))
        pic->icc_size = c.icc_size;
    if (!r && !(r = copy_meta(c.exif, c.exif_size, &pic->exif)))
        pic->exif_size = c.exif_size;
    return r;
}

int dlic_decode_image(dlic_nn_exec *x, const dlic_dec_params *p,
                      const uint8_t *data, size_t size, dlic_picture *pic)
{
    memset(pic, 0, sizeof(*pic));
    int r = decode(x, p, data, size, pic);
    if (r) {
        free(pic->data);
        free((void *)pic->icc);
        free((void *)pic->exif);
        memset(pic, 0, sizeof(*pic));
    }
    return r;
}
