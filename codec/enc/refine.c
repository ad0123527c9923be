/* Latent refinement; see refine.h. Annealed soft rounding after Yang,
 * Bamler and Mandt 2020 ("Improving Inference for Neural Image
 * Compression"): the search variables are the latent in units of one
 * quantisation step, u = Y GQ / 2^16 (so S = u - MU GQ / 2^16, SPEC §6),
 * and the hyper-latent Z, each rounded softly to its two integer
 * neighbours with the weights of their stochastic Gumbel annealing (SGA)
 * but without its Gumbel noise, the temperature annealing towards hard
 * rounding; Adam on both. The noise cost far more than it gave at the
 * iteration counts of the efforts: BD-rate -2.7% with it, -6.2% without,
 * after 10 iterations on eight training images; level after 32 (README,
 * "Encoder effort"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "codec/enc/egrad.h"
#include "codec/enc/gsgrad.h"
#include "codec/enc/rdoq.h"
#include "codec/enc/refine.h"

/* Temperature: DLIC_REFINE_TAU0 at the first iteration, decaying
 * exponentially to tau1() at the last; Adam's step in quantisation steps;
 * iterations between scores. Tuned on training images (README, "Encoder
 * effort"): the final temperature 0.3 up to 24 iterations (at 24: mean
 * cost -11.0% against -10.6% with 0.15), 0.15 beyond (at 64, searching Y
 * alone: -12.0% against -11.6% with 0.3). */
#define DLIC_REFINE_TAU0 0.5
#define DLIC_REFINE_LR 0.08
#define DLIC_REFINE_EVAL 4

static double tau1(unsigned iters)
{
    return iters <= 24 ? 0.3 : 0.15;
}

/* The trade-off the model was trained for at quality q: train/model.py's
 * LAMBDAS at level q / 100 * 7, interpolated in the log domain (the gains
 * of export.py's quality tables are interpolated the same way); in units
 * of squared 8-bit pixel error per bit per pixel. */
static double lambda_of(unsigned q)
{
    static const double L[8] = { 0.0018, 0.0035, 0.0067, 0.0130,
                                 0.0250, 0.0483, 0.0932, 0.1800 };
    const double level = q * 7.0 / 100.0;
    unsigned lo = (unsigned)level;
    if (lo > 6)
        lo = 6;
    const double a = level - lo;
    return exp((1 - a) * log(L[lo]) + a * log(L[lo + 1]));
}

/* The search's own state per latent value: u, Adam's two moments, the
 * gradient of YH, MU and LS (floats, from egrad.h; then their gradients
 * in their place), YH, and the soft rounding's floor, weight and slope
 * (floats); the candidate Y, its MU and the best candidate (int16); its
 * table. Per hyper-latent value: z, Adam's moments and the soft
 * rounding's floor, weight and slope (floats), the candidate and the best
 * (int16). */
#define ELEMENT_FLOATS 10
#define ELEMENT_BYTES (ELEMENT_FLOATS * sizeof(float) + 3 * sizeof(int16_t) + 1)
#define ZELEMENT_FLOATS 6
#define ZELEMENT_BYTES (ZELEMENT_FLOATS * sizeof(float) + 2 * sizeof(int16_t))

typedef struct search {
    const dlic_refine_args *a;
    dlic_gsgrad *g;
    dlic_egrad *eg;
    size_t ns, nz, h, w;
    double dscale, npix, rscale; /* rscale: table bits * 2^16 to cost */
    int context;
    float *u, *m1, *v1, *gy, *mu, *ls, *yh, *fl, *wt, *dw;
    float *z, *zm1, *zv1, *zfl, *zwt, *zdw;
    int16_t *yc, *mui, *zc;     /* candidates Y, Z; the candidate's MU */
    int16_t *ybest, *zbest;
    uint8_t *idx;               /* its tables */
} search;

static int16_t y_of(const search *s, double u, unsigned c)
{
    const double v = u * 65536.0 / s->a->m->gq[(size_t)s->a->q * s->a->m->M + c];
    const int32_t ymax = s->a->m->YMAX;
    return (int16_t)dlic_clamp32((int64_t)llrint(v), -ymax, ymax);
}

static int16_t z_of(const search *s, double z)
{
    const dlic_layer *L = &s->a->m->t[DLIC_H_A].layer[s->a->m->t[DLIC_H_A].nlayers - 1];
    return (int16_t)dlic_clamp32((int64_t)llrint(z), L->lo, L->hi);
}

/* The cost lambda MSE + bits / pixel of coding the candidates Y and Z as
 * the encoder would, and its bits per pixel and squared error. */
static int score(search *s, dlic_nn_exec *x, double *cost, double *bpp, double *sse)
{
    const dlic_refine_args *a = s->a;
    const struct dlic_model *m = a->m;
    const unsigned M = m->M;
    const uint32_t *gq = m->gq + (size_t)a->q * M, *igq = m->igq + (size_t)a->q * M;
    const dlic_tensor Y = { s->yc, a->Y->h, a->Y->w, M }, Z = { s->zc, a->Z->h, a->Z->w, m->NZ };
    DLIC_TRY(a->params(a->opaque, x, &Y, &Z, s->mui, s->idx));
    float *in = dlic_gsgrad_input(s->g);
    double bits = 0;
    for (size_t e = 0; e < s->ns; e++) {
        const unsigned c = (unsigned)(e % M);
        const dlic_table *t = &m->gt[s->idx[e]];
        const int32_t S = dlic_rdoq_quantize(t, a->kappa, s->yc[e], s->mui[e], gq[c]);
        const double yh = s->mui[e] + (double)S * igq[c] / 65536.0;
        in[e] = (float)(yh < -m->YMAX ? -m->YMAX : yh > m->YMAX ? m->YMAX : yh);
        bits += dlic_rdoq_bits(t, S);
    }
    for (size_t i = 0; i < s->nz; i++)
        bits += dlic_rdoq_bits(&m->zt[i % m->NZ], s->zc[i]);
    *sse = dlic_gsgrad_run(s->g, x, a->pic, s->dscale, NULL);
    *bpp = bits / 65536.0 / s->npix;
    *cost = s->dscale * *sse + *bpp;
    return DLIC_OK;
}

/* Soft rounding of v at temperature tau: S~ = floor(v) + w, w SGA's
 * expected weight of the upper neighbour (which tends to rounding to the
 * nearest as tau falls); the floor in *fl, dw / dv in *dw. */
static double soft(double v, double tau, double *fl, double *dw)
{
    const double eps = 1e-5, f = floor(v);
    double r = v - f;
    r = r < eps ? eps : r > 1 - eps ? 1 - eps : r;
    const double z = (atanh(r) - atanh(1 - r)) / (tau * tau);
    const double w = 1.0 / (1.0 + exp(-z));
    *fl = f;
    *dw = w * (1 - w) / (tau * tau) * (1 / (1 - r * r) + 1 / (1 - (1 - r) * (1 - r)));
    return w;
}

static int is_anchor(const search *s, size_t e)
{
    const size_t p = e / s->a->m->M;
    return !s->context || dlic_egrad_anchor(p / s->w, p % s->w);
}

/* YH of value e from u and the float MU (soft rounding at tau). */
static void soft_value(search *s, size_t e, double tau)
{
    const struct dlic_model *m = s->a->m;
    const unsigned c = (unsigned)(e % m->M);
    const uint32_t gq = m->gq[(size_t)s->a->q * m->M + c], igq = m->igq[(size_t)s->a->q * m->M + c];
    double f, dw;
    const double w = soft(s->u[e] - s->mu[e] * (double)gq / 65536.0, tau, &f, &dw);
    const double yh = s->mu[e] + (f + w) * igq / 65536.0;
    s->fl[e] = (float)f;
    s->wt[e] = (float)w;
    s->dw[e] = (float)dw;
    s->yh[e] = (float)(yh < -m->YMAX ? -m->YMAX : yh > m->YMAX ? m->YMAX : yh);
}

/* Table bits * 2^16 of symbol v at the (fractional) table position t,
 * interpolated between the neighbouring tables i0 and i0 + 1 with weight
 * a; and in *dt their difference (the slope in t). */
static double tbits(const struct dlic_model *m, int32_t v, unsigned i0, double a, double *dt)
{
    const double b0 = dlic_rdoq_bits(&m->gt[i0], v);
    if (i0 + 1 >= m->NS) {
        *dt = 0;
        return b0;
    }
    const double b1 = dlic_rdoq_bits(&m->gt[i0 + 1], v);
    *dt = b1 - b0;
    return b0 + a * (b1 - b0);
}

/* Gradients of value e from that of its YH (gy, with the context's share
 * for anchors): Adam's gradient of u in gy's place, and those of its MU and
 * LS in theirs; the rate the expected table bits at the soft rounding. */
static void value_grad(search *s, size_t e)
{
    const struct dlic_model *m = s->a->m;
    const unsigned c = (unsigned)(e % m->M);
    const size_t qc = (size_t)s->a->q * m->M + c;
    const double gq = m->gq[qc] / 65536.0, igq = m->igq[qc] / 65536.0;
    const double g = fabsf(s->yh[e]) < m->YMAX ? s->gy[e] : 0.0;
    /* table position: SPEC §6's rshr(LS + LQ, KS) without the rounding */
    const double scale = ldexp(1.0, -(int)m->KS);
    double t = (s->ls[e] + m->lq[qc]) * scale, a = 0, dts = scale;
    unsigned i0 = 0;
    if (t <= 0) {
        dts = 0;
    } else if (t >= m->NS - 1) {
        i0 = m->NS - 1u;
        dts = 0;
    } else {
        i0 = (unsigned)t;
        a = t - i0;
    }
    const int32_t f = (int32_t)s->fl[e];
    const double w = s->wt[e];
    double d0, d1;
    const double b0 = tbits(m, f, i0, a, &d0), b1 = tbits(m, f + 1, i0, a, &d1);
    const double dS = g * igq + (b1 - b0) * s->rscale;
    const double du = dS * s->dw[e];
    s->mu[e] = (float)(g - du * gq);          /* now MU's gradient */
    s->ls[e] = (float)(((1 - w) * d0 + w * d1) * dts * s->rscale);
    s->gy[e] = (float)du;
}

static void adam(float *p, float *m1, float *v1, const float *g, size_t n, double b1t,
                 double b2t)
{
    for (size_t e = 0; e < n; e++) {
        m1[e] = 0.9f * m1[e] + 0.1f * g[e];
        v1[e] = 0.999f * v1[e] + 0.001f * g[e] * g[e];
        p[e] -= (float)(DLIC_REFINE_LR * (m1[e] / (1 - b1t)) / (sqrt(v1[e] / (1 - b2t)) + 1e-12));
    }
}

/* One iteration: soft rounding, the entropy model, g_s forward and back,
 * the gradients back through the entropy model, an Adam step. */
static void step(search *s, dlic_nn_exec *x, unsigned it, double *b1t, double *b2t)
{
    const dlic_refine_args *a = s->a;
    const struct dlic_model *m = a->m;
    const double tau = DLIC_REFINE_TAU0 *
                       pow(tau1(a->iters) / DLIC_REFINE_TAU0, (double)it / a->iters);
    float *zin = dlic_egrad_z(s->eg);
    for (size_t i = 0; i < s->nz; i++) {
        double f, dw;
        const double w = soft(s->z[i], tau, &f, &dw);
        s->zfl[i] = (float)f;
        s->zwt[i] = (float)w;
        s->zdw[i] = (float)dw;
        zin[i] = (float)(f + w);
    }
    dlic_egrad_hyper(s->eg, x, s->mu, s->ls);
    for (size_t e = 0; e < s->ns; e++)
        if (is_anchor(s, e))
            soft_value(s, e, tau);
    if (s->context) {
        dlic_egrad_context(s->eg, x, s->yh, s->mu, s->ls);
        for (size_t e = 0; e < s->ns; e++)
            if (!is_anchor(s, e))
                soft_value(s, e, tau);
    }
    memcpy(dlic_gsgrad_input(s->g), s->yh, s->ns * sizeof(float));
    dlic_gsgrad_run(s->g, x, a->pic, s->dscale, s->gy);
    if (s->context) {
        for (size_t e = 0; e < s->ns; e++)
            if (!is_anchor(s, e))
                value_grad(s, e);
        dlic_egrad_context_back(s->eg, x, s->mu, s->ls, s->gy);
    }
    for (size_t e = 0; e < s->ns; e++)
        if (is_anchor(s, e))
            value_grad(s, e);
    dlic_egrad_hyper_back(s->eg, x, s->mu, s->ls);
    /* Z: the entropy model's gradient plus its own expected bits */
    float *gz = dlic_egrad_z(s->eg);
    for (size_t i = 0; i < s->nz; i++) {
        const dlic_table *t = &m->zt[i % m->NZ];
        const int32_t f = (int32_t)s->zfl[i];
        const double rate = ((double)dlic_rdoq_bits(t, f + 1) - dlic_rdoq_bits(t, f)) * s->rscale;
        gz[i] = (float)((gz[i] + rate) * s->zdw[i]);
    }
    *b1t *= 0.9;
    *b2t *= 0.999;
    adam(s->u, s->m1, s->v1, s->gy, s->ns, *b1t, *b2t);
    adam(s->z, s->zm1, s->zv1, gz, s->nz, *b1t, *b2t);
    /* Z stays within h_a's output range, where its tables are */
    const dlic_layer *L = &m->t[DLIC_H_A].layer[m->t[DLIC_H_A].nlayers - 1];
    for (size_t i = 0; i < s->nz; i++)
        s->z[i] = s->z[i] < L->lo ? L->lo : s->z[i] > L->hi ? L->hi : s->z[i];
}

/* The caller's report of the best candidate after iteration it. */
static void report(const search *s, unsigned it, double bpp, double sse)
{
    const dlic_refine_args *a = s->a;
    if (!a->report)
        return;
    const double mse = sse / (3 * s->npix);
    a->report(a->report_opaque, (int)it, (int)a->iters, bpp,
              mse > 0 ? 10 * log10(255.0 * 255.0 / mse) : 99.0);
}

static int sizes(const struct dlic_model *m, size_t h, size_t w, size_t zh, size_t zw,
                 size_t *ns, size_t *nz, size_t *lat)
{
    size_t zb;
    DLIC_CHECK(dlic_mul_size(h * w, m->M, ns) || dlic_mul_size(*ns, ELEMENT_BYTES, lat) ||
               dlic_mul_size(zh * zw, m->NZ, nz) || dlic_mul_size(*nz, ZELEMENT_BYTES, &zb) ||
               dlic_add_size(*lat, zb, lat), DLIC_ERR_LIMIT);
    return DLIC_OK;
}

int dlic_refine(dlic_nn_exec *x, const dlic_refine_args *a)
{
    const struct dlic_model *m = a->m;
    dlic_tensor *Y = a->Y, *Z = a->Z;
    const unsigned M = m->M;
    search s = { .a = a, .h = Y->h, .w = Y->w, .context = dlic_model_has_context(m) };
    size_t lat;
    DLIC_TRY(sizes(m, Y->h, Y->w, Z->h, Z->w, &s.ns, &s.nz, &lat));
    if (!a->iters || !s.ns)
        return DLIC_OK;
    s.u = malloc(lat);
    int ret = s.u ? dlic_gsgrad_open(&s.g, m, Y->h, Y->w) : DLIC_ERR_NOMEM;
    if (ret || (ret = dlic_egrad_open(&s.eg, m, Z->h, Z->w, Y->h, Y->w)))
        goto done;
    float **fa[ELEMENT_FLOATS - 1] = { &s.m1, &s.v1, &s.gy, &s.mu, &s.ls, &s.yh, &s.fl,
                                       &s.wt, &s.dw };
    float *p = s.u + s.ns;
    for (unsigned i = 0; i < ELEMENT_FLOATS - 1; i++, p += s.ns)
        *fa[i] = p;
    float **fz[ZELEMENT_FLOATS] = { &s.z, &s.zm1, &s.zv1, &s.zfl, &s.zwt, &s.zdw };
    for (unsigned i = 0; i < ZELEMENT_FLOATS; i++, p += s.nz)
        *fz[i] = p;
    s.yc = (int16_t *)p;
    s.mui = s.yc + s.ns;
    s.ybest = s.mui + s.ns;
    s.zc = s.ybest + s.ns;
    s.zbest = s.zc + s.nz;
    s.idx = (uint8_t *)(s.zbest + s.nz);
    const uint32_t *gq = m->gq + (size_t)a->q * M;
    for (size_t e = 0; e < s.ns; e++) {
        s.u[e] = (float)(Y->data[e] * (double)gq[e % M] / 65536.0);
        s.m1[e] = s.v1[e] = 0.0f;
    }
    for (size_t i = 0; i < s.nz; i++) {
        s.z[i] = Z->data[i];
        s.zm1[i] = s.zv1[i] = 0.0f;
    }
    s.npix = (double)a->pic->width * a->pic->height;
    s.dscale = lambda_of(a->q) / (3 * s.npix);
    s.rscale = 1.0 / (65536.0 * s.npix);
    memcpy(s.yc, Y->data, s.ns * sizeof(int16_t));
    memcpy(s.zc, Z->data, s.nz * sizeof(int16_t));
    double best, b1t = 1, b2t = 1, cost, bpp, sse;
    if ((ret = score(&s, x, &best, &bpp, &sse)))
        goto done;
    report(&s, 0, bpp, sse);
    int improved = 0;
    for (unsigned it = 0; it < a->iters; it++) {
        step(&s, x, it, &b1t, &b2t);
        if ((it + 1) % DLIC_REFINE_EVAL && it + 1 < a->iters)
            continue;
        for (size_t e = 0; e < s.ns; e++)
            s.yc[e] = y_of(&s, s.u[e], (unsigned)(e % M));
        for (size_t i = 0; i < s.nz; i++)
            s.zc[i] = z_of(&s, s.z[i]);
        double b, e;
        if ((ret = score(&s, x, &cost, &b, &e)))
            goto done;
        if (cost < best) {
            best = cost;
            bpp = b;
            sse = e;
            memcpy(s.ybest, s.yc, s.ns * sizeof(int16_t));
            memcpy(s.zbest, s.zc, s.nz * sizeof(int16_t));
            improved = 1;
        }
        report(&s, it + 1, bpp, sse);
    }
    /* Y and Z unchanged when the search found nothing better */
    if (improved) {
        memcpy(Y->data, s.ybest, s.ns * sizeof(int16_t));
        memcpy(Z->data, s.zbest, s.nz * sizeof(int16_t));
    }
done:
    free(s.u);
    dlic_gsgrad_close(&s.g);
    dlic_egrad_close(&s.eg);
    return ret;
}

unsigned dlic_refine_runs(unsigned iters)
{
    /* forward and back per iteration, forward per score */
    return 2 * iters + dlic_refine_scores(iters);
}

unsigned dlic_refine_scores(unsigned iters)
{
    return iters ? 1 + (iters + DLIC_REFINE_EVAL - 1) / DLIC_REFINE_EVAL : 0;
}

int dlic_refine_memory(const struct dlic_model *m, size_t h, size_t w, size_t zh, size_t zw,
                       size_t *bytes)
{
    size_t lat, ns, nz, eg;
    DLIC_TRY(dlic_gsgrad_memory(m, h, w, bytes));
    DLIC_TRY(dlic_egrad_memory(m, zh, zw, &eg));
    DLIC_TRY(sizes(m, h, w, zh, zw, &ns, &nz, &lat));
    DLIC_CHECK(dlic_add_size(*bytes, lat, bytes) || dlic_add_size(*bytes, eg, bytes),
               DLIC_ERR_LIMIT);
    return DLIC_OK;
}
