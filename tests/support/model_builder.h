/* Synthetic model files for tests (SPEC §8), header-only.
 *
 *   uint8_t *buf; size_t size;
 *   mb_build(8, 4, 8, 1, &buf, &size);          // M, NZ, N, seed
 *   ... dlic_model_load(&m, buf, size) ... free(buf);
 *
 * or, to tweak fields before serialising (still with a valid check):
 *   mb_config cfg; mb_config_default(&cfg, M, NZ, N);
 *   mb_model mm; mb_init(&mm, &cfg);  mm.layer[0][0].bias[0] = ...;
 *   mb_serialize(&mm, &buf, &size);  mb_free(&mm);
 *
 * The layer layout follows train/model.py (layer_specs) with h = N/2:
 * g_a 3->h->N->N->M (5x5, stride 2), h_a M->N->N->NZ, h_s NZ->4N(ps)->4N(ps)
 * ->2M, g_s M->4N(ps)->4N(ps)->4h(ps)->12(ps). Weights are small pseudo-random
 * integers and MUL/SH keep activations spread over their ranges. Only
 * + - * / and sqrt are used on doubles, so the bytes are the same on every
 * IEEE-754 machine. All helpers return 0 on success, -1 on allocation
 * failure. */
#ifndef DLIC_TESTS_MODEL_BUILDER_H
#define DLIC_TESTS_MODEL_BUILDER_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

typedef struct mb_layer {
    unsigned cin, cout, k, stride, shuffle;
    int lo, hi;
    int8_t *w;                  /* [cout][k][k][cin] */
    int32_t *bias;
    uint32_t *mul;
    uint8_t *shift;
} mb_layer;

typedef struct mb_table {
    int lo;
    unsigned nv;
    uint16_t *f;                /* [nv + 1], sums to 65536 */
} mb_table;

typedef struct mb_model {
    unsigned version, flags;
    char name[256];
    unsigned M, NZ, YMAX;
    unsigned nlayers[6];        /* 6 with flags bit 1 (mb_add_context) */
    mb_layer layer[6][16];
    mb_table *zt;               /* [NZ] */
    unsigned NS, KS;
    mb_table *gt;               /* [NS] */
    unsigned NQ;                /* quality rows written (101) */
    uint32_t *gq, *igq;         /* [NQ][M] */
    int32_t *lq;
} mb_model;

typedef struct mb_config {
    unsigned M, NZ, N;
    unsigned YMAX;              /* g_a output range, h_s output range */
    unsigned NS, KS;
    unsigned zt_half;           /* ZT covers -zt_half..zt_half; h_a's range
                                   is twice that, so Z escapes happen */
    unsigned gt_max_half;       /* cap on GT half-widths */
    uint32_t seed;
} mb_config;

static inline void mb_config_default(mb_config *c, unsigned M, unsigned NZ,
                                     unsigned N)
{
    memset(c, 0, sizeof(*c));
    c->M = M;
    c->NZ = NZ;
    c->N = N;
    c->YMAX = 255;
    c->NS = 16;
    c->KS = 4;
    c->zt_half = 8;
    c->gt_max_half = 64;
    c->seed = 1;
}

static inline uint32_t mb_rand(uint32_t *s)      /* xorshift32 */
{
    uint32_t x = *s ? *s : 0x9E3779B9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* Integer in [-a, a]. */
static inline int mb_rand_sym(uint32_t *s, int a)
{
    return (int)(mb_rand(s) % (uint32_t)(2 * a + 1)) - a;
}

static inline int mb_layer_make(mb_layer *L, unsigned cin, unsigned cout,
                                unsigned k, unsigned stride, unsigned shuffle,
                                int lo, int hi, int ilo, int ihi, uint32_t *rng)
{
    size_t per_out = (size_t)k * k * cin;
    L->cin = cin; L->cout = cout; L->k = k; L->stride = stride;
    L->shuffle = shuffle; L->lo = lo; L->hi = hi;
    L->w = malloc(per_out * cout);
    L->bias = malloc(sizeof(int32_t) * cout);
    L->mul = malloc(sizeof(uint32_t) * cout);
    L->shift = malloc(cout);
    if (!L->w || !L->bias || !L->mul || !L->shift)
        return -1;
    double imax = ilo < 0 ? -ilo : ilo;
    if (ihi > imax)
        imax = ihi;
    double target = (hi - lo) / 2.0 + 1;
    for (unsigned o = 0; o < cout; o++) {
        double sq = 0;
        for (size_t i = 0; i < per_out; i++) {
            int w = mb_rand_sym(rng, 3);
            L->w[o * per_out + i] = (int8_t)w;
            sq += w * w;
        }
        L->bias[o] = mb_rand_sym(rng, 16);
        /* Typical |acc| ~ imax/2 * sqrt(sum w^2); map that to ~target. */
        double typ = imax / 2 * sqrt(sq) + 1;
        double mul = target / typ * (1u << 24);
        L->mul[o] = mul < 1 ? 1 : mul > 0x7FFFFFFF ? 0x7FFFFFFFu : (uint32_t)mul;
        L->shift[o] = 24;
    }
    return 0;
}

/* Frequencies of weights wt[0..n-1] (each > 0): >= 1 each, sum 65536. */
static inline void mb_normalize(uint16_t *f, const double *wt, unsigned n)
{
    double sum = 0;
    unsigned best = 0, total = 0;
    for (unsigned j = 0; j < n; j++) {
        sum += wt[j];
        if (wt[j] > wt[best])
            best = j;
    }
    for (unsigned j = 0; j < n; j++) {
        f[j] = (uint16_t)(1 + (unsigned)(wt[j] / sum * (65536 - n)));
        total += f[j];
    }
    f[best] = (uint16_t)(f[best] + (65536 - total));
}

/* Values -half..half with a Cauchy-like shape of scale sigma, escape last. */
static inline int mb_table_make(mb_table *t, unsigned half, double sigma)
{
    t->lo = -(int)half;
    t->nv = 2 * half + 1;
    t->f = malloc(sizeof(uint16_t) * (t->nv + 1));
    double *wt = malloc(sizeof(double) * (t->nv + 1));
    if (!t->f || !wt) {
        free(wt);
        return -1;
    }
    for (unsigned j = 0; j < t->nv; j++) {
        double x = (t->lo + (int)j) / sigma;
        wt[j] = 1 / ((1 + x * x) * (1 + x * x));
    }
    wt[t->nv] = 0.001;
    mb_normalize(t->f, wt, t->nv + 1);
    free(wt);
    return 0;
}

static inline void mb_free(mb_model *m)
{
    for (int t = 0; t < 6; t++)
        for (unsigned i = 0; i < 16; i++) {
            mb_layer *L = &m->layer[t][i];
            free(L->w); free(L->bias); free(L->mul); free(L->shift);
        }
    for (unsigned c = 0; m->zt && c < m->NZ; c++)
        free(m->zt[c].f);
    for (unsigned s = 0; m->gt && s < m->NS; s++)
        free(m->gt[s].f);
    free(m->zt); free(m->gt); free(m->gq); free(m->igq); free(m->lq);
    memset(m, 0, sizeof(*m));
}

static inline int mb_init(mb_model *m, const mb_config *c)
{
    memset(m, 0, sizeof(*m));
    uint32_t rng = c->seed * 2654435761u + 12345;
    unsigned M = c->M, NZ = c->NZ, N = c->N, h = N / 2 ? N / 2 : 1;
    int Y = (int)c->YMAX, zr = 2 * (int)c->zt_half;
    m->version = 1;
    m->flags = 1;
    strcpy(m->name, "test model");
    m->M = M; m->NZ = NZ; m->YMAX = c->YMAX;
    struct { unsigned t, cin, cout, k, stride, shuffle; int lo, hi; } spec[] = {
        { 0, 3, h, 5, 2, 1, 0, 255 }, { 0, h, N, 5, 2, 1, 0, 255 },
        { 0, N, N, 5, 2, 1, 0, 255 }, { 0, N, M, 5, 2, 1, -Y, Y },
        { 1, M, N, 3, 1, 1, 0, 255 }, { 1, N, N, 5, 2, 1, 0, 255 },
        { 1, N, NZ, 5, 2, 1, -zr, zr },
        { 2, NZ, 4 * N, 3, 1, 2, 0, 255 }, { 2, N, 4 * N, 3, 1, 2, 0, 255 },
        { 2, N, 2 * M, 3, 1, 1, -Y, Y },
        { 3, M, 4 * N, 3, 1, 2, 0, 255 }, { 3, N, 4 * N, 3, 1, 2, 0, 255 },
        { 3, N, 4 * h, 3, 1, 2, 0, 255 }, { 3, h, 12, 3, 1, 2, 0, 255 },
    };
    int ilo = 0, ihi = 255;
    for (size_t i = 0; i < sizeof(spec) / sizeof(spec[0]); i++) {
        unsigned t = spec[i].t;
        if (m->nlayers[t] == 0)     /* SPEC §5.3 input ranges */
            ilo = t == 0 ? 0 : t == 2 ? -zr : -Y, ihi = t == 0 ? 255 : t == 2 ? zr : Y;
        if (mb_layer_make(&m->layer[t][m->nlayers[t]++], spec[i].cin,
                          spec[i].cout, spec[i].k, spec[i].stride,
                          spec[i].shuffle, spec[i].lo, spec[i].hi, ilo, ihi,
                          &rng))
            goto fail;
        ilo = spec[i].lo;
        ihi = spec[i].hi;
    }
    m->zt = calloc(NZ, sizeof(mb_table));
    if (!m->zt)
        goto fail;
    for (unsigned i = 0; i < NZ; i++)
        if (mb_table_make(&m->zt[i], c->zt_half, 1.0 + i % 4))
            goto fail;
    m->NS = c->NS;
    m->KS = c->KS;
    m->gt = calloc(c->NS, sizeof(mb_table));
    if (!m->gt)
        goto fail;
    double sigma = 0.25;
    for (unsigned s = 0; s < c->NS; s++, sigma *= 1.4) {
        double hw = 4 * sigma + 1;
        unsigned half = hw > c->gt_max_half ? c->gt_max_half : (unsigned)hw;
        if (mb_table_make(&m->gt[s], half, sigma))
            goto fail;
    }
    m->NQ = 101;
    m->gq = malloc(sizeof(uint32_t) * 101 * M);
    m->igq = malloc(sizeof(uint32_t) * 101 * M);
    m->lq = malloc(sizeof(int32_t) * 101 * M);
    if (!m->gq || !m->igq || !m->lq)
        goto fail;
    for (unsigned q = 0; q <= 100; q++)
        for (unsigned ch = 0; ch < M; ch++) {
            /* gain 2^g with g from -1.5 to 2 over q (linear in between) */
            double g = -1.5 + 3.5 * q / 100 + 0.01 * (ch % 3);
            double fl = g < 0 ? (g < -1 ? -2 : -1) : (g < 1 ? 0 : g < 2 ? 1 : 2);
            double p2 = fl < 0 ? 1.0 / (1 << (int)-fl) : (double)(1 << (int)fl);
            double gain = p2 * (1 + (g - fl));
            size_t i = (size_t)q * M + ch;
            m->gq[i] = (uint32_t)(gain * 65536);
            m->igq[i] = (uint32_t)(65536 / gain);
            m->lq[i] = (int32_t)(g * (1 << c->KS));
        }
    return 0;
fail:
    mb_free(m);
    return -1;
}

/* Replace layer i of transform t by a fresh one (weights for an input in
 * [ilo, ihi]); the caller keeps the chain consistent, or not. */
static inline int mb_layer_remake(mb_model *m, unsigned t, unsigned i, unsigned cin,
                                  unsigned cout, unsigned k, unsigned stride,
                                  unsigned shuffle, int lo, int hi, int ilo, int ihi,
                                  uint32_t seed)
{
    mb_layer *L = &m->layer[t][i];
    free(L->w); free(L->bias); free(L->mul); free(L->shift);
    memset(L, 0, sizeof(*L));
    if (i >= m->nlayers[t])
        m->nlayers[t] = i + 1;
    return mb_layer_make(L, cin, cout, k, stride, shuffle, lo, hi, ilo, ihi, &seed);
}

/* Checkerboard context (SPEC §6.1, flags bit 1), shaped like
 * train/model.py context_specs(): c_ctx M->C (5x5, ReLU), c_ep N+C->N+C
 * (1x1, ReLU) -> 2M (3x3, the range of h_s's last layer). h_s's hidden
 * layer gives N channels in [0, 255]. */
static inline int mb_add_context(mb_model *m, unsigned C, uint32_t seed)
{
    const unsigned N = m->layer[2][m->nlayers[2] - 1].cin, M = m->M;
    const int Y = (int)m->YMAX;
    m->flags |= 2;
    if (mb_layer_remake(m, 4, 0, M, C, 5, 1, 1, 0, 255, -Y, Y, seed) ||
        mb_layer_remake(m, 5, 0, N + C, N + C, 1, 1, 1, 0, 255, 0, 255, seed + 1) ||
        mb_layer_remake(m, 5, 1, N + C, 2 * M, 3, 1, 1, -Y, Y, 0, 255, seed + 2))
        return -1;
    return 0;
}

/* Little-endian writer over a buffer sized by a first, counting pass. */
typedef struct mb_writer {
    uint8_t *p;
    size_t n;
} mb_writer;

static inline void mb_put(mb_writer *w, const void *src, size_t n)
{
    if (w->p)
        memcpy(w->p + w->n, src, n);
    w->n += n;
}

static inline void mb_putn(mb_writer *w, uint64_t v, unsigned bytes)
{
    uint8_t b[8];
    for (unsigned i = 0; i < bytes; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    mb_put(w, b, bytes);
}

static inline void mb_put_table(mb_writer *w, const mb_table *t)
{
    mb_putn(w, (uint16_t)t->lo, 2);
    mb_putn(w, t->nv, 2);
    for (unsigned j = 0; j <= t->nv; j++)
        mb_putn(w, t->f[j], 2);
}

/* Transform t of m (SPEC §8.2). */
static inline void mb_put_transform(mb_writer *w, const mb_model *m, int t)
{
    mb_putn(w, m->nlayers[t], 1);
    for (unsigned i = 0; i < m->nlayers[t]; i++) {
        const mb_layer *L = &m->layer[t][i];
        mb_putn(w, L->cin, 2);
        mb_putn(w, L->cout, 2);
        mb_putn(w, L->k, 1);
        mb_putn(w, L->stride, 1);
        mb_putn(w, L->shuffle, 1);
        mb_putn(w, 0, 1);
        mb_putn(w, (uint16_t)L->lo, 2);
        mb_putn(w, (uint16_t)L->hi, 2);
        mb_put(w, L->w, (size_t)L->cout * L->k * L->k * L->cin);
        for (unsigned o = 0; o < L->cout; o++)
            mb_putn(w, (uint32_t)L->bias[o], 4);
        for (unsigned o = 0; o < L->cout; o++)
            mb_putn(w, L->mul[o], 4);
        mb_put(w, L->shift, L->cout);
    }
}

static inline void mb_write(const mb_model *m, mb_writer *w)
{
    mb_put(w, "DLICMDL", 8);
    mb_putn(w, m->version, 2);
    mb_putn(w, m->flags, 2);
    size_t nl = strlen(m->name);
    mb_putn(w, nl, 1);
    mb_put(w, m->name, nl);
    mb_putn(w, m->M, 2);
    mb_putn(w, m->NZ, 2);
    mb_putn(w, m->YMAX, 2);
    for (int t = 0; t < (m->flags & 2 ? 6 : 4); t++)
        mb_put_transform(w, m, t);
    for (unsigned c = 0; c < m->NZ; c++)
        mb_put_table(w, &m->zt[c]);
    mb_putn(w, m->NS, 2);
    mb_putn(w, m->KS, 1);
    for (unsigned s = 0; s < m->NS; s++)
        mb_put_table(w, &m->gt[s]);
    mb_putn(w, m->NQ, 1);
    for (size_t i = 0; i < (size_t)m->NQ * m->M; i++) {
        mb_putn(w, m->gq[i], 4);
        mb_putn(w, m->igq[i], 4);
        mb_putn(w, (uint32_t)m->lq[i], 4);
    }
}

/* Serialise with a valid check; *out is malloc'd. */
static inline int mb_serialize(const mb_model *m, uint8_t **out, size_t *size)
{
    mb_writer w = { NULL, 0 };
    *out = NULL;                /* also on failure (and for gcc -O2) */
    *size = 0;
    mb_write(m, &w);
    w.p = malloc(w.n + 4);
    if (!w.p)
        return -1;
    w.n = 0;
    mb_write(m, &w);
    mb_putn(&w, XXH32(w.p, w.n, 0), 4);
    *out = w.p;
    *size = w.n;
    return 0;
}

/* m's file followed by the g_s lite extension (SPEC §8.7) holding the g_s
 * of lite (which may be m); *main_size: the bytes up to m's check. */
static inline int mb_serialize_lite(const mb_model *m, const mb_model *lite,
                                    uint8_t **out, size_t *size, size_t *main_size)
{
    uint8_t *main;
    if (mb_serialize(m, &main, main_size))
        return -1;
    mb_writer w = { NULL, 0 };
    mb_put(&w, "LITE", 4);
    mb_put_transform(&w, lite, 3);
    const size_t ext = w.n;
    *out = malloc(*main_size + ext + 4);
    if (!*out) {
        free(main);
        return -1;
    }
    memcpy(*out, main, *main_size);
    free(main);
    w = (mb_writer){ *out + *main_size, 0 };
    mb_put(&w, "LITE", 4);
    mb_put_transform(&w, lite, 3);
    mb_putn(&w, XXH32(*out + *main_size, ext, 0), 4);
    *size = *main_size + ext + 4;
    return 0;
}

/* Recompute the trailing check after editing the bytes of a model file. */
static inline void mb_fix_check(uint8_t *buf, size_t size)
{
    uint32_t c = XXH32(buf, size - 4, 0);
    for (int i = 0; i < 4; i++)
        buf[size - 4 + i] = (uint8_t)(c >> (8 * i));
}

static inline int mb_build(unsigned M, unsigned NZ, unsigned N, uint32_t seed,
                           uint8_t **out, size_t *size)
{
    mb_config c;
    mb_model m;
    *out = NULL;
    *size = 0;
    mb_config_default(&c, M, NZ, N);
    c.seed = seed;
    if (mb_init(&m, &c))
        return -1;
    int r = mb_serialize(&m, out, size);
    mb_free(&m);
    return r;
}

#endif
