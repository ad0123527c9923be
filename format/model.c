/* Model file parser (SPEC §8). Two passes over the file: the first checks
 * everything of SPEC §8.6 and sizes the host arrays, the second fills one
 * allocation with them. Weights stay in the file bytes (int8 needs no
 * conversion); everything wider is converted to host order. */
/* The accumulator bound's sum of |weights| (SPEC §8.6) runs over every
 * weight of the file, and every process that decodes checks the embedded
 * model: GCC's -O2 cost model leaves that loop scalar (about a fifth of
 * dlic-dec's time on a Kodak image), the dynamic one vectorises it. Must
 * precede the includes so inline helpers match. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic")
#endif

#include "format/model.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "core/common.h"

#define BAD(cond) DLIC_CHECK(cond, DLIC_ERR_BAD_MODEL)

static const uint8_t model_magic[8] = { 'D', 'L', 'I', 'C', 'M', 'D', 'L', 0 };
static const uint8_t lite_magic[4] = { 'L', 'I', 'T', 'E' };

/* Bounds-checked cursor; an overrun makes every later read fail. */
typedef struct reader {
    const uint8_t *p, *end;
} reader;

static const uint8_t *take(reader *r, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        return NULL;
    const uint8_t *q = r->p;
    r->p += n;
    return q;
}

/* Where pass 1 found each layer's bias, MUL and SH arrays. */
typedef struct layer_raw {
    const uint8_t *bias, *mul, *shift;
} layer_raw;

typedef struct parse_state {
    layer_raw raw[DLIC_MODEL_MAX_TRANSFORMS][DLIC_MODEL_MAX_LAYERS];
    const uint8_t *tables;      /* ZT, then NS, KS, GT */
    const uint8_t *quality;     /* the GQ/IGQ/LQ rows */
    size_t freq_total;          /* sum of nv + 1 over all tables */
    size_t couts;               /* sum of cout over all layers */
} parse_state;

/* ---------------------------------------------------------------- pass 1 */

/* SPEC §8.2 for one layer, plus the accumulator bound of SPEC §8.6. */
static int check_layer(reader *r, dlic_layer *L, layer_raw *raw)
{
    const uint8_t *h = take(r, 12);
    BAD(!h);
    L->cin = dlic_rd16(h);
    L->cout = dlic_rd16(h + 2);
    L->k = h[4];
    L->stride = h[5];
    L->shuffle = h[6];
    L->lo = (int16_t)dlic_rd16(h + 8);
    L->hi = (int16_t)dlic_rd16(h + 10);
    BAD(L->cin == 0 || L->cout == 0);
    BAD(L->k != 1 && L->k != 3 && L->k != 5);
    BAD(L->stride != 1 && L->stride != 2);
    BAD(L->shuffle != 1 && L->shuffle != 2);
    BAD(L->shuffle == 2 && L->cout % 4);
    BAD(h[7] != 0 || L->lo > L->hi);

    size_t per_out = (size_t)L->k * L->k * L->cin, nw;
    BAD(dlic_mul_size(per_out, L->cout, &nw));
    const uint8_t *w = take(r, nw);
    raw->bias = take(r, (size_t)4 * L->cout);
    raw->mul = take(r, (size_t)4 * L->cout);
    raw->shift = take(r, L->cout);
    BAD(!w || !raw->bias || !raw->mul || !raw->shift);
    L->w = (const int8_t *)w;

    int64_t imax = L->ilo < 0 ? -(int64_t)L->ilo : L->ilo;
    if (L->ihi > imax)
        imax = L->ihi;
    for (unsigned o = 0; o < L->cout; o++) {
        BAD(dlic_rd32(raw->mul + 4 * o) > 0x7FFFFFFFu);
        BAD(raw->shift[o] > 62);
        const int8_t *wo = L->w + o * per_out;
        /* per_out = k k cin < 25 * 2^16, so the sum stays below 2^28 */
        uint32_t sum = 0;
        for (size_t i = 0; i < per_out; i++)
            sum += (uint32_t)(wo[i] < 0 ? -wo[i] : wo[i]);
        int64_t b = (int32_t)dlic_rd32(raw->bias + 4 * o);
        BAD((b < 0 ? -b : b) + imax * (int64_t)sum > INT32_MAX);
    }
    return DLIC_OK;
}

/* One transform (SPEC §8.2); chains cin and input ranges (SPEC §5.1). */
static int check_transform(reader *r, dlic_transform *t, layer_raw *raw,
                           unsigned cin, int ilo, int ihi, size_t *couts)
{
    const uint8_t *n = take(r, 1);
    BAD(!n || *n < 1 || *n > DLIC_MODEL_MAX_LAYERS);
    t->nlayers = *n;
    for (unsigned i = 0; i < t->nlayers; i++) {
        dlic_layer *L = &t->layer[i];
        L->ilo = (int16_t)ilo;
        L->ihi = (int16_t)ihi;
        DLIC_TRY(check_layer(r, L, &raw[i]));
        BAD(L->cin != cin);
        cin = L->cout / (L->shuffle * L->shuffle);
        ilo = L->lo;
        ihi = L->hi;
        *couts += L->cout;
    }
    return DLIC_OK;
}

static unsigned out_channels(const dlic_layer *L)
{
    return L->cout / (L->shuffle * L->shuffle);
}

/* Product of the strides and of the shuffle factors of t. */
static void factors(const dlic_transform *t, unsigned *stride, unsigned *shuffle)
{
    *stride = *shuffle = 1;
    for (unsigned i = 0; i < t->nlayers; i++) {
        *stride *= t->layer[i].stride;
        *shuffle *= t->layer[i].shuffle;
    }
}

/* SPEC §8.3, the rules beyond the cin chain checked above. Shuffles in g_a
 * or h_a, or strides in h_s or g_s, would break the sizes of SPEC §3.2. */
static int check_shapes(const struct dlic_model *m)
{
    unsigned stride[DLIC_MODEL_MAX_TRANSFORMS], shuffle[DLIC_MODEL_MAX_TRANSFORMS];
    for (unsigned t = 0; t < dlic_model_ntransforms(m); t++)
        factors(&m->t[t], &stride[t], &shuffle[t]);
    const dlic_layer *ga = &m->t[0].layer[m->t[0].nlayers - 1];
    const dlic_layer *ha = &m->t[1].layer[m->t[1].nlayers - 1];
    const dlic_layer *hs = &m->t[2].layer[m->t[2].nlayers - 1];
    const dlic_layer *gs = &m->t[3].layer[m->t[3].nlayers - 1];
    BAD(stride[0] != 16 || shuffle[0] != 1);
    BAD(ga->cout != m->M || ga->lo != -m->YMAX || ga->hi != m->YMAX);
    BAD(stride[1] != 4 || shuffle[1] != 1 || ha->cout != m->NZ);
    BAD(stride[2] != 1 || shuffle[2] != 4 || out_channels(hs) != 2u * m->M);
    BAD(stride[3] != 1 || shuffle[3] != 16 || out_channels(gs) != 3);
    BAD(gs->lo != 0 || gs->hi != 255);
    if (dlic_model_has_context(m)) {
        const dlic_transform *ep = &m->t[DLIC_C_EP];
        BAD(stride[DLIC_C_CTX] != 1 || shuffle[DLIC_C_CTX] != 1);
        BAD(stride[DLIC_C_EP] != 1 || shuffle[DLIC_C_EP] != 1);
        BAD(ep->layer[ep->nlayers - 1].cout != 2u * m->M);
    }
    return DLIC_OK;
}

/* SPEC §8.1, §8.3, §6.1: c_ctx on YA, c_ep on H ++ C, whose input range
 * holds both parts' ranges. h_s's shape is checked first: its hidden
 * layer sizes c_ep's input. */
static int check_context(reader *r, struct dlic_model *m, parse_state *ps)
{
    const dlic_transform *hs = &m->t[DLIC_H_S];
    BAD(hs->nlayers < 2 || hs->layer[hs->nlayers - 1].shuffle != 1);
    const int ymax = m->YMAX;
    DLIC_TRY(check_transform(r, &m->t[DLIC_C_CTX], ps->raw[DLIC_C_CTX], m->M,
                             -ymax, ymax, &ps->couts));
    const dlic_layer *hid = &hs->layer[hs->nlayers - 2];
    const dlic_layer *ctx = &m->t[DLIC_C_CTX].layer[m->t[DLIC_C_CTX].nlayers - 1];
    const int lo = hid->lo < ctx->lo ? hid->lo : ctx->lo;
    const int hi = hid->hi > ctx->hi ? hid->hi : ctx->hi;
    return check_transform(r, &m->t[DLIC_C_EP], ps->raw[DLIC_C_EP],
                           (unsigned)hs->layer[hs->nlayers - 1].cin + ctx->cout, lo, hi,
                           &ps->couts);
}

/* SPEC §8.4; adds nv + 1 to *freq_total. */
static int check_table(reader *r, size_t *freq_total)
{
    const uint8_t *h = take(r, 4);
    BAD(!h);
    unsigned nv = dlic_rd16(h + 2);
    BAD(nv < 1 || nv > 8191);
    const uint8_t *f = take(r, (size_t)2 * (nv + 1));
    BAD(!f);
    uint32_t sum = 0;
    for (unsigned j = 0; j <= nv; j++) {
        unsigned fj = dlic_rd16(f + 2 * j);
        BAD(fj == 0);
        sum += fj;
    }
    BAD(sum != 65536);
    *freq_total += nv + 1;
    return DLIC_OK;
}

/* SPEC §8.7: g_s lite, after the main part's check; the shape rules of
 * g_s (§8.3). */
static int check_lite(reader *r, struct dlic_model *m, parse_state *ps)
{
    const uint8_t *start = r->p, *h = take(r, sizeof(lite_magic));
    BAD(!h || memcmp(h, lite_magic, sizeof(lite_magic)));
    dlic_transform *t = &m->t[DLIC_G_S_LITE];
    DLIC_TRY(check_transform(r, t, ps->raw[DLIC_G_S_LITE], m->M, -(int)m->YMAX,
                             m->YMAX, &ps->couts));
    unsigned stride, shuffle;
    factors(t, &stride, &shuffle);
    const dlic_layer *last = &t->layer[t->nlayers - 1];
    BAD(stride != 1 || shuffle != 16 || out_channels(last) != 3);
    BAD(last->lo != 0 || last->hi != 255);
    const size_t n = (size_t)(r->p - start);
    h = take(r, 4);
    BAD(!h || XXH32(start, n, 0) != dlic_rd32(h));
    return DLIC_OK;
}

static int check_file(struct dlic_model *m, const uint8_t *data, size_t size,
                      parse_state *ps, size_t *main_size)
{
    reader r = { data, data + size };

    const uint8_t *h = take(&r, 13);
    BAD(!h || memcmp(h, model_magic, 8));
    m->version = dlic_rd16(h + 8);
    m->flags = dlic_rd16(h + 10);
    BAD(m->version != 1 ||
        (m->flags & ~(DLIC_MODEL_FLAG_TEST | DLIC_MODEL_FLAG_CONTEXT)));
    unsigned name_len = h[12];
    const uint8_t *name = take(&r, name_len);
    BAD(!name);
    for (unsigned i = 0; i < name_len; i++)
        BAD(name[i] < 0x20 || name[i] > 0x7E);
    memcpy(m->name, name, name_len);
    m->name[name_len] = 0;

    h = take(&r, 6);
    BAD(!h);
    m->M = dlic_rd16(h);
    m->NZ = dlic_rd16(h + 2);
    m->YMAX = dlic_rd16(h + 4);
    BAD(m->M < 1 || m->NZ < 1 || m->YMAX < 1 || m->YMAX > 4095);

    int ymax = m->YMAX;
    DLIC_TRY(check_transform(&r, &m->t[0], ps->raw[0], 3, 0, 255, &ps->couts));
    DLIC_TRY(check_transform(&r, &m->t[1], ps->raw[1], m->M, -ymax, ymax,
                             &ps->couts));
    const dlic_layer *ha = &m->t[1].layer[m->t[1].nlayers - 1];
    DLIC_TRY(check_transform(&r, &m->t[2], ps->raw[2], m->NZ, ha->lo, ha->hi,
                             &ps->couts));
    DLIC_TRY(check_transform(&r, &m->t[3], ps->raw[3], m->M, -ymax, ymax,
                             &ps->couts));
    if (dlic_model_has_context(m))
        DLIC_TRY(check_context(&r, m, ps));
    DLIC_TRY(check_shapes(m));

    ps->tables = r.p;
    for (unsigned c = 0; c < m->NZ; c++)
        DLIC_TRY(check_table(&r, &ps->freq_total));
    h = take(&r, 3);
    BAD(!h);
    m->NS = dlic_rd16(h);
    m->KS = h[2];
    BAD(m->NS < 1 || m->NS > 256 || m->KS > 15);
    for (unsigned s = 0; s < m->NS; s++)
        DLIC_TRY(check_table(&r, &ps->freq_total));

    h = take(&r, 1);
    BAD(!h || *h != DLIC_NQ);
    ps->quality = take(&r, (size_t)12 * DLIC_NQ * m->M);
    BAD(!ps->quality);
    /* check: the main part ends here (SPEC §8.1); it is tested before the
     * values below, whose checks cost more. */
    h = take(&r, 4);
    BAD(!h);
    *main_size = (size_t)(r.p - data);
    BAD(XXH32(data, *main_size - 4, 0) != dlic_rd32(h));
    for (size_t i = 0; i < (size_t)DLIC_NQ * m->M; i++) {
        const uint8_t *q = ps->quality + 12 * i;
        uint32_t gq = dlic_rd32(q), igq = dlic_rd32(q + 4);
        int32_t lq = (int32_t)dlic_rd32(q + 8);
        BAD(gq < 1 || gq > (1u << 28) || igq < 1 || igq > (1u << 28));
        BAD(lq <= -(1 << 24) || lq >= (1 << 24));
    }
    if (r.p != r.end)
        DLIC_TRY(check_lite(&r, m, ps));
    BAD(r.p != r.end);          /* nothing may follow (SPEC §8.1, §8.7) */
    return DLIC_OK;
}

/* ---------------------------------------------------------------- pass 2 */

/* Bump allocator over the single allocation; every piece 8-byte aligned. */
typedef struct arena {
    uint8_t *base;
    size_t used;
} arena;

static void *carve(arena *a, size_t n)
{
    void *p = a->base + a->used;
    a->used += (n + 7) & ~(size_t)7;
    return p;
}

static const uint8_t *fill_table(const uint8_t *p, dlic_table *t, arena *a)
{
    t->lo = (int16_t)dlic_rd16(p);
    t->nv = dlic_rd16(p + 2);
    uint16_t *freq = carve(a, sizeof(uint16_t) * (t->nv + 1u));
    t->cdf = carve(a, sizeof(uint32_t) * (t->nv + 2u));
    t->cdf[0] = 0;
    for (unsigned j = 0; j <= t->nv; j++) {
        freq[j] = dlic_rd16(p + 4 + 2 * j);
        t->cdf[j + 1] = t->cdf[j] + freq[j];
    }
    t->freq = freq;
    return p + 4 + 2 * (t->nv + 1u);
}

static void fill(struct dlic_model *m, const parse_state *ps, arena *a)
{
    for (unsigned t = 0; t < DLIC_MODEL_MAX_TRANSFORMS; t++) {
        for (unsigned i = 0; i < m->t[t].nlayers; i++) {
            dlic_layer *L = &m->t[t].layer[i];
            const layer_raw *raw = &ps->raw[t][i];
            L->bias = carve(a, sizeof(int32_t) * L->cout);
            L->mul = carve(a, sizeof(uint32_t) * L->cout);
            L->shift = carve(a, L->cout);
            for (unsigned o = 0; o < L->cout; o++) {
                L->bias[o] = (int32_t)dlic_rd32(raw->bias + 4 * o);
                L->mul[o] = dlic_rd32(raw->mul + 4 * o);
            }
            memcpy(L->shift, raw->shift, L->cout);
        }
    }
    const uint8_t *p = ps->tables;
    m->zt = carve(a, sizeof(dlic_table) * m->NZ);
    for (unsigned c = 0; c < m->NZ; c++)
        p = fill_table(p, &m->zt[c], a);
    p += 3;                     /* NS, KS */
    m->gt = carve(a, sizeof(dlic_table) * m->NS);
    for (unsigned s = 0; s < m->NS; s++)
        p = fill_table(p, &m->gt[s], a);

    size_t n = (size_t)DLIC_NQ * m->M;
    m->gq = carve(a, sizeof(uint32_t) * n);
    m->igq = carve(a, sizeof(uint32_t) * n);
    m->lq = carve(a, sizeof(int32_t) * n);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *q = ps->quality + 12 * i;
        m->gq[i] = dlic_rd32(q);
        m->igq[i] = dlic_rd32(q + 4);
        m->lq[i] = (int32_t)dlic_rd32(q + 8);
    }
}

/* Bytes fill() carves, with each piece's alignment padding. Every count is
 * bounded by the file size, so this cannot overflow on 64-bit hosts; it is
 * checked anyway for 32-bit ones. */
static int arena_size(const struct dlic_model *m, const parse_state *ps,
                      size_t *total)
{
    size_t ntab = (size_t)m->NZ + m->NS, nlayers = 0, s = 0, t;
    for (unsigned i = 0; i < DLIC_MODEL_MAX_TRANSFORMS; i++)
        nlayers += m->t[i].nlayers;
    int bad = dlic_mul_size(ps->couts, 9, &s);
    /* Per table: freq and cdf pieces hold nv+1 and nv+2 items; 16 bytes
     * of padding covers both pieces' rounding. */
    bad |= dlic_mul_size(ps->freq_total, 6, &t) || dlic_add_size(s, t, &s);
    bad |= dlic_mul_size(ntab, sizeof(dlic_table) + 4 + 16, &t) ||
           dlic_add_size(s, t, &s);
    bad |= dlic_mul_size((size_t)DLIC_NQ * m->M, 12, &t) ||
           dlic_add_size(s, t, &s);
    bad |= dlic_add_size(s, (nlayers * 3 + 5) * 8, &s);
    *total = s;
    return bad ? DLIC_ERR_NOMEM : DLIC_OK;
}

int dlic_model_parse(struct dlic_model *m, const uint8_t *data, size_t size,
                     int copy)
{
    DLIC_CHECK(!m || (!data && size), DLIC_ERR_INVALID_ARG);
    memset(m, 0, sizeof(*m));
    BAD(!data);
    uint8_t *blob = NULL;
    if (copy) {
        BAD(size == 0);
        blob = malloc(size);
        DLIC_CHECK(!blob, DLIC_ERR_NOMEM);
        memcpy(blob, data, size);
        data = blob;
    }
    parse_state *ps = calloc(1, sizeof(*ps));
    size_t main_size = 0;
    int err = ps ? check_file(m, data, size, ps, &main_size) : DLIC_ERR_NOMEM;
    size_t total = 0;
    if (!err)
        err = arena_size(m, ps, &total);
    arena a = { NULL, 0 };
    if (!err && !(a.base = malloc(total)))
        err = DLIC_ERR_NOMEM;
    if (err) {
        free(ps);
        free(blob);
        memset(m, 0, sizeof(*m));
        return err;
    }
    fill(m, ps, &a);
    free(ps);
    m->alloc = a.base;
    m->blob = blob;
    m->blob_size = size;
    m->id = XXH64(data, main_size, 0);     /* SPEC §8.1: g_s lite excluded */
    if (size > main_size)
        m->lite_id = XXH64(data + main_size, size - main_size, 0);
    return DLIC_OK;
}

void dlic_model_release(struct dlic_model *m)
{
    if (!m || m->is_static)
        return;
    free(m->alloc);
    free(m->blob);
    memset(m, 0, sizeof(*m));
}
