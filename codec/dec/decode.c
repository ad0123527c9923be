/* Decoder pipeline (SPEC §2, §3, §6, §7). */
#include <stdlib.h>
#include <string.h>

#include "codec/common/common.h"
#include "codec/dec/decode.h"
#include "codec/entropy/rangecoder.h"
#include "format/container.h"

#define LATENT_STRIDE 16        /* SPEC §3.2 */
#define TOTAL_STRIDE 64

typedef struct shapes {
    size_t hp, wp, zh, zw, yh, yw;
} shapes;

static int plan(const dlic_dec_params *p, const dlic_header *h, shapes *s)
{
    const struct dlic_model *m = p->model;
    size_t ph, pw, pc, gh, gw, gc, wc, wd;
    s->hp = (h->height + (size_t)TOTAL_STRIDE - 1) / TOTAL_STRIDE * TOTAL_STRIDE;
    s->wp = (h->width + (size_t)TOTAL_STRIDE - 1) / TOTAL_STRIDE * TOTAL_STRIDE;
    s->zh = s->hp / TOTAL_STRIDE, s->zw = s->wp / TOTAL_STRIDE;
    s->yh = s->hp / LATENT_STRIDE, s->yw = s->wp / LATENT_STRIDE;
    DLIC_TRY(dlic_transform_shape(&m->t[DLIC_H_S], s->zh, s->zw, &ph, &pw, &pc, &wc));
    DLIC_TRY(dlic_transform_shape(&m->t[DLIC_G_S], s->yh, s->yw, &gh, &gw, &gc, &wd));
    /* Guaranteed by the loader (SPEC §8.3). */
    DLIC_CHECK(ph != s->yh || pw != s->yw || pc != 2u * m->M ||
               gh != s->hp || gw != s->wp || gc != 3, DLIC_ERR_BAD_MODEL);
    if (!p->max_memory)
        return DLIC_OK;
    size_t zb, pb, yb, gb, ob, need = 0, stage;
    DLIC_TRY(dlic_tensor_bytes(s->zh, s->zw, m->NZ, &zb));
    DLIC_TRY(dlic_tensor_bytes(ph, pw, pc, &pb));
    DLIC_TRY(dlic_tensor_bytes(s->yh, s->yw, m->M, &yb));
    DLIC_TRY(dlic_tensor_bytes(gh, gw, gc, &gb));
    DLIC_TRY(dlic_tensor_bytes(h->height, h->width, 3, &ob));
    ob /= 2;   /* 8-bit output */
    (void)gb;  /* g_s runs in stripes straight into the output */
    /* Live sets: Z + h_s + P, P + YH, YH + g_s + output. */
    const size_t stages[3][3] = {
        { zb, wc, pb }, { pb, yb, 0 }, { yb, wd, ob },
    };
    for (unsigned i = 0; i < 3; i++) {
        stage = 0;
        for (unsigned j = 0; j < 3; j++)
            DLIC_CHECK(dlic_add_size(stage, stages[i][j], &stage), DLIC_ERR_LIMIT);
        if (stage > need)
            need = stage;
    }
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

/* SPEC §7.4 and the decoder side of §6. */
static int decode_y(const struct dlic_model *m, int q, const uint8_t *buf,
                    size_t size, const dlic_tensor *P, dlic_tensor *YH)
{
    const unsigned M = m->M;
    const int ymax = m->YMAX;
    const uint32_t *igq = m->igq + (size_t)q * M;
    const int32_t *lq = m->lq + (size_t)q * M;
    dlic_rc_dec d;
    DLIC_TRY(dlic_rc_dec_init(&d, buf, size));
    for (size_t y = 0; y < YH->h; y++) {
        for (size_t x = 0; x < YH->w; x++) {
            const size_t i = y * YH->w + x;
            const int16_t *p = P->data + i * 2 * M;
            int16_t *yh = YH->data + i * M;
            for (unsigned c = 0; c < M; c++) {
                int64_t idx = dlic_rshr64((int64_t)p[M + c] + lq[c], m->KS);
                idx = idx < 0 ? 0 : idx > m->NS - 1 ? m->NS - 1 : idx;
                int32_t s = dlic_rc_dec_value(&d, &m->gt[idx]);
                /* |S| < 2^31 and IGQ <= 2^28: the product fits an i64. */
                int64_t v = p[c] + dlic_rshr64((int64_t)s * igq[c], 16);
                yh[c] = (int16_t)dlic_clamp32(v, -ymax, ymax);
            }
        }
        DLIC_CHECK(d.error, d.error);   /* sticky: once per row is enough */
    }
    return dlic_rc_dec_finish(&d);
}

/* SPEC §3.3 crop and §3.1 output colour model, for n rows of g_s output
 * from row y0 (wp x 3 each). g_s clamps to [0, 255]. */
static void store_pixels(void *opaque, size_t y0, size_t n, const int16_t *rows)
{
    dlic_picture *pic = opaque;
    const int gray = pic->colour == DLIC_GRAY;
    const size_t wp = (pic->width + (size_t)TOTAL_STRIDE - 1) / TOTAL_STRIDE * TOTAL_STRIDE;
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
}

static void get_row(void *opaque, size_t y, int16_t *row)
{
    const dlic_tensor *t = opaque;
    memcpy(row, t->data + y * t->w * t->c, t->w * t->c * sizeof(int16_t));
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
    dlic_container c;
    shapes s;
    DLIC_TRY(dlic_container_parse(data, size, &c, NULL));
    const dlic_header *h = &c.head;
    DLIC_CHECK(h->model_id != m->id, DLIC_ERR_MODEL_MISMATCH);
    DLIC_CHECK(p->max_pixels && (uint64_t)h->width * h->height > p->max_pixels,
               DLIC_ERR_LIMIT);
    DLIC_TRY(plan(p, h, &s));

    x->done = 0;
    x->total = m->t[DLIC_H_S].nlayers + m->t[DLIC_G_S].nlayers + 2;
    if (x->progress)
        x->progress(x->opaque, 0);

    dlic_tensor Z, P = { 0 }, YH = { 0 };
    int r = alloc_tensor(&Z, s.zh, s.zw, m->NZ);
    if (!r && !(r = decode_z(m, c.zlat, c.zlat_size, &Z))) {
        dlic_nn_progress(x);
        r = dlic_transform_run(x, &m->t[DLIC_H_S], &Z, &P);
    }
    free(Z.data);
    if (!r && !(r = alloc_tensor(&YH, s.yh, s.yw, m->M)))
        r = decode_y(m, h->quality, c.ylat, c.ylat_size, &P, &YH);
    free(P.data);
    if (r) {
        free(YH.data);
        return r;
    }

    pic->width = h->width;
    pic->height = h->height;
    pic->colour = h->colour;
    pic->stride = (size_t)h->width * (h->colour == DLIC_RGB ? 3 : 1);
    size_t bytes;
    r = dlic_mul_size(pic->stride, h->height, &bytes) ? DLIC_ERR_LIMIT : DLIC_OK;
    if (!r && !(pic->data = malloc(bytes)))
        r = DLIC_ERR_NOMEM;
    if (!r) {
        dlic_nn_progress(x);
        r = dlic_transform_stream(x, &m->t[DLIC_G_S], YH.h, YH.w, get_row, &YH,
                                  store_pixels, pic);
    }
    free(YH.data);
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
