/* Checkerboard latent decoder (SPEC §6.1, §7.4); see cbdec.h.
 *
 * Step t of the coding order decodes the anchors of row t from P, then the
 * other positions of row r = t - R from Q. Q row r reads c_ctx rows up to
 * r + (reach of c_ep) and those read anchor rows up to r + R = t, so c_ep
 * and c_ctx are pulled exactly (dlic_nn_stream_pull_exact): a whole step
 * of them would ask for anchors not decoded yet, and the threads split
 * such a one-row step by output channels. h_s's two parts have no such
 * dependency and run in whole steps.
 *
 * Five streams: hsb (h_s's hidden layers on Z, giving H), hsl (h_s's last
 * layer on H, giving P), ctx (c_ctx on YA), ep (c_ep on H ++ C) and the
 * caller's g_s, which asks for YH rows. H, P, C and Q are held as windows
 * of rows (rowq), YH as a ring of R + 1 rows: g_s takes row y before step
 * y + R + 1 writes the anchors of row y + R + 1 into its slot. */
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "codec/common/latent.h"
#include "codec/dec/cbdec.h"
#include "codec/dec/position.h"
#include "codec/entropy/rangecoder.h"
#include "codec/nn/plan.h"

/* Rows [first, first + count) of a tensor with rowlen values per row,
 * filled in order by a stream's put_rows. */
typedef struct rowq {
    int16_t *buf;
    size_t rowlen, first, count, cap;
    size_t keep;                /* rows below this are no longer needed */
} rowq;

/* Bounds of the windows, for the allocations and dlic_cbdec_memory(). */
typedef struct windows {
    size_t h, p, c, q, yh;      /* rows of H, P, C, Q and the YH ring */
    size_t hc, cc;              /* channels of H and of C */
} windows;

struct dlic_cbdec {
    const struct dlic_model *m;
    dlic_nn_exec *x;
    const uint32_t *igq;
    const int32_t *lq;
    dlic_rc_dec d;
    dlic_transform hs_body, hs_last;
    dlic_nn_stream *hsb, *hsl, *ctx, *ep;
    const dlic_tensor *Z;
    rowq H, P, C, Q;
    int16_t *yh;                /* ring of R + 1 rows of yw x M */
    size_t ring, yw, rows, lag;
    size_t t;                   /* next step of SPEC §7.4 */
    size_t hl_next, ep_next;    /* next H row each consumer asks for */
};

static int rowq_init(rowq *q, size_t rowlen, size_t rows)
{
    size_t bytes;
    *q = (rowq){ .rowlen = rowlen, .cap = rows };
    DLIC_TRY(dlic_tensor_bytes(rows, rowlen, 1, &bytes));
    q->buf = malloc(bytes ? bytes : 1);
    DLIC_CHECK(!q->buf, DLIC_ERR_NOMEM);
    return DLIC_OK;
}

/* put_rows: rows [y, y + n), after the rows held. */
static int rowq_put(void *opaque, size_t y, size_t n, const int16_t *rows)
{
    rowq *q = opaque;
    DLIC_CHECK(y != q->first + q->count, DLIC_ERR_BAD_MODEL);
    if (q->keep > q->first) {
        const size_t drop = q->keep - q->first < q->count ? q->keep - q->first : q->count;
        memmove(q->buf, q->buf + drop * q->rowlen,
                (q->count - drop) * q->rowlen * sizeof(int16_t));
        q->first += drop, q->count -= drop;
        if (!q->count)
            q->first = y;
    }
    if (q->count + n > q->cap) {
        size_t bytes;
        DLIC_TRY(dlic_tensor_bytes(q->count + n, q->rowlen, 1, &bytes));
        int16_t *b = realloc(q->buf, bytes);
        DLIC_CHECK(!b, DLIC_ERR_NOMEM);
        q->buf = b, q->cap = q->count + n;
    }
    memcpy(q->buf + q->count * q->rowlen, rows, n * q->rowlen * sizeof(int16_t));
    q->count += n;
    return DLIC_OK;
}

/* Row y of q, pulling src (exactly, or in whole steps) until it is there. */
static int rowq_get(rowq *q, dlic_nn_stream *src, int exact, size_t y, const int16_t **row)
{
    DLIC_CHECK(y < q->first, DLIC_ERR_BAD_MODEL);
    while (y >= q->first + q->count) {
        const size_t had = q->first + q->count;
        DLIC_TRY(exact ? dlic_nn_stream_pull_exact(src, y + 1)
                       : dlic_nn_stream_pull(src, y + 1));
        /* The loader's shape rules (SPEC §8.3) make the rows come. */
        DLIC_CHECK(q->first + q->count == had, DLIC_ERR_BAD_MODEL);
    }
    *row = q->buf + (y - q->first) * q->rowlen;
    return DLIC_OK;
}

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

/* hsl's input: H row y. */
static int get_h_for_last(void *opaque, size_t y, int16_t *row)
{
    dlic_cbdec *s = opaque;
    const int16_t *h;
    DLIC_TRY(rowq_get(&s->H, s->hsb, 0, y, &h));
    memcpy(row, h, s->H.rowlen * sizeof(int16_t));
    s->hl_next = y + 1;
    s->H.keep = min_size(s->hl_next, s->ep_next);
    return DLIC_OK;
}

/* ctx's input: YA row y, the anchors of YH row y and zeros (SPEC §6.1). */
static int get_ya(void *opaque, size_t y, int16_t *row)
{
    dlic_cbdec *s = opaque;
    const unsigned M = s->m->M;
    const int16_t *src = s->yh + (y % s->ring) * s->yw * M;
    memset(row, 0, s->yw * M * sizeof(int16_t));
    for (size_t x = y % 2; x < s->yw; x += 2)
        memcpy(row + x * M, src + x * M, M * sizeof(int16_t));
    return DLIC_OK;
}

/* ep's input: H row y, then C row y, per position (SPEC §6.1: H ++ C). */
static int get_hc(void *opaque, size_t y, int16_t *row)
{
    dlic_cbdec *s = opaque;
    const int16_t *h, *c;
    DLIC_TRY(rowq_get(&s->H, s->hsb, 0, y, &h));
    DLIC_TRY(rowq_get(&s->C, s->ctx, 1, y, &c));
    const size_t hc = s->H.rowlen / s->yw, cc = s->C.rowlen / s->yw;
    for (size_t x = 0; x < s->yw; x++) {
        memcpy(row + x * (hc + cc), h + x * hc, hc * sizeof(int16_t));
        memcpy(row + x * (hc + cc) + hc, c + x * cc, cc * sizeof(int16_t));
    }
    s->ep_next = y + 1;
    s->H.keep = min_size(s->hl_next, s->ep_next);
    s->C.keep = y + 1;
    return DLIC_OK;
}

/* SPEC §6 decoder side for the positions x0, x0 + 2, ... of YH row y,
 * from their MU, LS in prm (yw x 2M). */
static int decode_half_row(dlic_cbdec *s, size_t y, size_t x0, const int16_t *prm)
{
    const struct dlic_model *m = s->m;
    const unsigned M = m->M;
    int16_t *out = s->yh + (y % s->ring) * s->yw * M;
    for (size_t x = x0; x < s->yw; x += 2)
        dlic_decode_position(m, &s->d, prm + x * 2 * M, s->lq, s->igq, out + x * M);
    DLIC_CHECK(s->d.error, s->d.error);     /* sticky: once per half row */
    return DLIC_OK;
}

/* Step t of SPEC §7.4. */
static int step(dlic_cbdec *s)
{
    const size_t t = s->t;
    const int16_t *prm;
    if (t < s->rows) {
        DLIC_TRY(rowq_get(&s->P, s->hsl, 0, t, &prm));
        DLIC_TRY(decode_half_row(s, t, t % 2, prm));
        s->P.keep = t + 1;
    }
    if (t >= s->lag) {
        const size_t r = t - s->lag;
        DLIC_TRY(rowq_get(&s->Q, s->ep, 1, r, &prm));
        DLIC_TRY(decode_half_row(s, r, (r + 1) % 2, prm));
        s->Q.keep = r + 1;
    }
    if (++s->t == s->rows + s->lag) {
        DLIC_TRY(dlic_rc_dec_finish(&s->d));
        dlic_nn_progress(s->x);
    }
    return DLIC_OK;
}

int dlic_cbdec_get_yh(void *opaque, size_t y, int16_t *row)
{
    dlic_cbdec *s = opaque;
    DLIC_CHECK(y >= s->rows, DLIC_ERR_BAD_MODEL);
    while (s->t <= y + s->lag)
        DLIC_TRY(step(s));
    memcpy(row, s->yh + (y % s->ring) * s->yw * s->m->M, s->yw * s->m->M * sizeof(int16_t));
    return DLIC_OK;
}

/* Window bounds (see the comment at the top): a stream pulled in whole
 * steps runs at most one step ahead of what is asked, H is asked for by
 * hsl up to a step of P ahead of step t and by ep from R rows behind it. */
static int window_sizes(const dlic_nn_exec *x, const struct dlic_model *m,
                        const dlic_transform *body, const dlic_transform *last,
                        size_t zh, size_t zw, windows *w)
{
    size_t yh, yw, c, work, sb, sl;
    DLIC_TRY(dlic_transform_shape(body, zh, zw, &yh, &yw, &w->hc, &work));
    DLIC_TRY(dlic_transform_step_rows(x, body, zh, zw, &sb));
    DLIC_TRY(dlic_transform_step_rows(x, last, yh, yw, &sl));
    DLIC_TRY(dlic_transform_shape(&m->t[DLIC_C_CTX], yh, yw, &c, &c, &w->cc, &work));
    const size_t lag = dlic_model_context_lag(m);
    size_t hrows = 0;
    DLIC_CHECK(dlic_add_size(lag, 2 * sb + 2 * sl + last->layer[0].k + 2, &hrows),
               DLIC_ERR_LIMIT);
    w->h = min_size(hrows, yh);
    w->p = min_size(2 * sl + 2, yh);
    w->c = min_size(lag + 2, yh);
    w->q = min_size(2, yh);
    w->yh = lag + 1;
    return DLIC_OK;
}

int dlic_cbdec_memory(const dlic_nn_exec *x, const struct dlic_model *m,
                      size_t zh, size_t zw, size_t *bytes)
{
    dlic_transform body, last;
    windows w;
    dlic_model_split_hs(m, &body, &last);
    DLIC_TRY(window_sizes(x, m, &body, &last, zh, zw, &w));
    const size_t yh = zh * 4, yw = zw * 4, M = m->M;   /* SPEC §3.2 */
    size_t v[13], total = sizeof(dlic_cbdec);
    DLIC_TRY(dlic_transform_memory(x, &body, zh, zw, &v[0], &v[1]));
    DLIC_TRY(dlic_transform_memory(x, &last, yh, yw, &v[2], &v[3]));
    DLIC_TRY(dlic_transform_memory(x, &m->t[DLIC_C_CTX], yh, yw, &v[4], &v[5]));
    DLIC_TRY(dlic_transform_memory(x, &m->t[DLIC_C_EP], yh, yw, &v[6], &v[7]));
    DLIC_TRY(dlic_tensor_bytes(w.h, yw, w.hc, &v[8]));
    DLIC_TRY(dlic_tensor_bytes(w.p, yw, 2 * M, &v[9]));
    DLIC_TRY(dlic_tensor_bytes(w.c, yw, w.cc, &v[10]));
    DLIC_TRY(dlic_tensor_bytes(w.q, yw, 2 * M, &v[11]));
    DLIC_TRY(dlic_tensor_bytes(w.yh, yw, M, &v[12]));
    for (unsigned i = 0; i < 13; i++)
        DLIC_CHECK(dlic_add_size(total, v[i], &total), DLIC_ERR_LIMIT);
    *bytes = total;
    return DLIC_OK;
}

void dlic_cbdec_close(dlic_cbdec **p)
{
    dlic_cbdec *s = p ? *p : NULL;
    if (!s)
        return;
    dlic_nn_stream_close(&s->ep);
    dlic_nn_stream_close(&s->ctx);
    dlic_nn_stream_close(&s->hsl);
    dlic_nn_stream_close(&s->hsb);
    free(s->H.buf);
    free(s->P.buf);
    free(s->C.buf);
    free(s->Q.buf);
    free(s->yh);
    free(s);
    *p = NULL;
}

static int open_streams(dlic_cbdec *s, const windows *w)
{
    const struct dlic_model *m = s->m;
    const size_t rows = s->rows, yw = s->yw;
    size_t bytes;
    DLIC_TRY(rowq_init(&s->H, yw * w->hc, w->h));
    DLIC_TRY(rowq_init(&s->P, yw * 2 * m->M, w->p));
    DLIC_TRY(rowq_init(&s->C, yw * w->cc, w->c));
    DLIC_TRY(rowq_init(&s->Q, yw * 2 * m->M, w->q));
    DLIC_TRY(dlic_tensor_bytes(w->yh, yw, m->M, &bytes));
    s->yh = malloc(bytes);
    DLIC_CHECK(!s->yh, DLIC_ERR_NOMEM);
    DLIC_TRY(dlic_nn_stream_open(&s->hsb, s->x, &s->hs_body, s->Z->h, s->Z->w,
                                 dlic_tensor_get_row, (void *)s->Z, rowq_put, &s->H));
    DLIC_TRY(dlic_nn_stream_open(&s->hsl, s->x, &s->hs_last, rows, yw,
                                 get_h_for_last, s, rowq_put, &s->P));
    DLIC_TRY(dlic_nn_stream_open(&s->ctx, s->x, &m->t[DLIC_C_CTX], rows, yw,
                                 get_ya, s, rowq_put, &s->C));
    return dlic_nn_stream_open(&s->ep, s->x, &m->t[DLIC_C_EP], rows, yw,
                               get_hc, s, rowq_put, &s->Q);
}

int dlic_cbdec_open(dlic_cbdec **p, dlic_nn_exec *x, const struct dlic_model *m,
                    const dlic_tensor *Z, unsigned q, const uint8_t *ylat, size_t size)
{
    *p = NULL;
    DLIC_CHECK(!dlic_model_has_context(m) || q > 100, DLIC_ERR_INVALID_ARG);
    dlic_cbdec *s = calloc(1, sizeof(*s));
    DLIC_CHECK(!s, DLIC_ERR_NOMEM);
    s->m = m, s->x = x, s->Z = Z;
    s->igq = m->igq + (size_t)q * m->M;
    s->lq = m->lq + (size_t)q * m->M;
    s->rows = Z->h * 4, s->yw = Z->w * 4;       /* SPEC §3.2 */
    s->lag = dlic_model_context_lag(m);
    s->ring = s->lag + 1;
    dlic_model_split_hs(m, &s->hs_body, &s->hs_last);
    windows w;
    int r = window_sizes(x, m, &s->hs_body, &s->hs_last, Z->h, Z->w, &w);
    /* SPEC §8.3 chains h_s to 2M channels at 4x Z's size; c_ep's input is
     * H ++ C by the loader's cin check. */
    if (!r && w.hc + w.cc != m->t[DLIC_C_EP].layer[0].cin)
        r = DLIC_ERR_BAD_MODEL;
    if (!r)
        r = open_streams(s, &w);
    if (!r)
        r = dlic_rc_dec_init(&s->d, ylat, size);
    if (r) {
        dlic_cbdec_close(&s);
        return r;
    }
    *p = s;
    return DLIC_OK;
}
