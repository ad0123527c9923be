/* Latent refinement; see refine.h. Annealed soft rounding after Yang,
 * Bamler and Mandt 2020 ("Improving Inference for Neural Image
 * Compression"): the search variable u is the latent in units of one
 * quantisation step, Y GQ / 2^16 (so S = u - MU GQ / 2^16, SPEC §6),
 * rounded softly to its two integer neighbours with the weights of their
 * stochastic Gumbel annealing (SGA) but without its Gumbel noise, the
 * temperature annealing towards hard rounding; Adam on u. The noise cost
 * far more than it gave at the iteration counts of the efforts: BD-rate
 * -2.7% with it, -6.2% without, after 10 iterations on eight training
 * images; level after 32 (README, "Encoder effort"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codec/common/common.h"
#include "codec/enc/rdoq.h"
#include "codec/enc/gsgrad.h"
#include "codec/enc/refine.h"

/* Temperature: DLIC_REFINE_TAU0 at the first iteration, decaying
 * exponentially to DLIC_REFINE_TAU1 at the last; Adam's step in
 * quantisation steps; iterations between scores. Tuned on training
 * images (README, "Encoder effort"). */
#define DLIC_REFINE_TAU0 0.5
#define DLIC_REFINE_TAU1 0.3
#define DLIC_REFINE_LR 0.08
#define DLIC_REFINE_EVAL 4

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

/* Bytes of the search's own state per latent value: u, best, Adam's two
 * moments, the gradient and MU GQ (floats); the candidate Y and its MU
 * (int16); its table index. */
#define ELEMENT_BYTES (6 * sizeof(float) + 2 * sizeof(int16_t) + 1)

typedef struct search {
    const dlic_refine_args *a;
    dlic_gsgrad *g;
    size_t ns;
    double dscale, npix;
    float *u, *best, *m1, *v1, *grad, *mug;
    int16_t *yc, *mu;           /* candidate Y; its MU */
    uint8_t *idx;               /* its tables */
} search;

/* g_s's float input for YH = MU + S~ IGQ / 2^16, clamped as SPEC §6 does. */
static float yh_in(const struct dlic_model *m, double mu, double s, uint32_t igq)
{
    const double yh = mu + s * (double)igq / 65536.0;
    return (float)(yh < -m->YMAX ? -m->YMAX : yh > m->YMAX ? m->YMAX : yh);
}

static int16_t y_of(const search *s, double u, unsigned c)
{
    const double v = u * 65536.0 / s->a->m->gq[(size_t)s->a->q * s->a->m->M + c];
    const int32_t ymax = s->a->m->YMAX;
    return (int16_t)dlic_clamp32((int64_t)llrint(v), -ymax, ymax);
}

/* The cost lambda MSE + bits / pixel of coding the candidate Y as the
 * encoder would, and its bits per pixel and squared error; refreshes MU
 * (and MU GQ) and the tables from it. */
static int score(search *s, dlic_nn_exec *x, double *cost, double *bpp, double *sse)
{
    const dlic_refine_args *a = s->a;
    const struct dlic_model *m = a->m;
    const unsigned M = m->M;
    const uint32_t *gq = m->gq + (size_t)a->q * M, *igq = m->igq + (size_t)a->q * M;
    const dlic_tensor Y = { s->yc, a->Y->h, a->Y->w, M };
    DLIC_TRY(a->params(a->opaque, x, &Y, s->mu, s->idx));
    float *in = dlic_gsgrad_input(s->g);
    double bits = 0;
    for (size_t e = 0; e < s->ns; e++) {
        const unsigned c = (unsigned)(e % M);
        const dlic_table *t = &m->gt[s->idx[e]];
        const int32_t S = dlic_rdoq_quantize(t, a->kappa, s->yc[e], s->mu[e], gq[c]);
        in[e] = yh_in(m, s->mu[e], S, igq[c]);
        bits += dlic_rdoq_bits(t, S);
        s->mug[e] = (float)(s->mu[e] * (double)gq[c] / 65536.0);
    }
    *sse = dlic_gsgrad_run(s->g, x, a->pic, s->dscale, NULL);
    *bpp = bits / 65536.0 / s->npix;
    *cost = s->dscale * *sse + *bpp;
    return DLIC_OK;
}

/* w of element e at temperature tau (the soft rounding S~ = floor(S) + w:
 * SGA's expected weight of the upper neighbour, which tends to rounding to
 * the nearest as tau falls), and dw / dS in *dw. */
static double soft(const search *s, size_t e, double tau, double *fl, double *dw)
{
    const double eps = 1e-5, v = s->u[e] - s->mug[e], f = floor(v);
    double r = v - f;
    r = r < eps ? eps : r > 1 - eps ? 1 - eps : r;
    const double z = (atanh(r) - atanh(1 - r)) / (tau * tau);
    const double w = 1.0 / (1.0 + exp(-z));
    *fl = f;
    *dw = w * (1 - w) / (tau * tau) * (1 / (1 - r * r) + 1 / (1 - (1 - r) * (1 - r)));
    return w;
}

/* One iteration: soft rounding, g_s forward and back, an Adam step. */
static void step(search *s, dlic_nn_exec *x, unsigned it, double *b1t, double *b2t)
{
    const dlic_refine_args *a = s->a;
    const struct dlic_model *m = a->m;
    const unsigned M = m->M;
    const uint32_t *igq = m->igq + (size_t)a->q * M;
    const double tau = DLIC_REFINE_TAU0 *
                       pow(DLIC_REFINE_TAU1 / DLIC_REFINE_TAU0, (double)it / a->iters);
    float *in = dlic_gsgrad_input(s->g);
    for (size_t e = 0; e < s->ns; e++) {
        double f, dw;
        const double w = soft(s, e, tau, &f, &dw);
        in[e] = yh_in(m, s->mu[e], f + w, igq[e % M]);
    }
    dlic_gsgrad_run(s->g, x, a->pic, s->dscale, s->grad);
    *b1t *= 0.9;
    *b2t *= 0.999;
    for (size_t e = 0; e < s->ns; e++) {
        const unsigned c = (unsigned)(e % M);
        double f, dw;
        soft(s, e, tau, &f, &dw);
        /* the expected bits (1 - w) bits(f) + w bits(f + 1) */
        const dlic_table *t = &m->gt[s->idx[e]];
        const double rate = ((double)dlic_rdoq_bits(t, (int32_t)f + 1) -
                             (double)dlic_rdoq_bits(t, (int32_t)f)) / (65536.0 * s->npix);
        const float gr = (float)((s->grad[e] * (double)igq[c] / 65536.0 + rate) * dw);
        s->m1[e] = 0.9f * s->m1[e] + 0.1f * gr;
        s->v1[e] = 0.999f * s->v1[e] + 0.001f * gr * gr;
        s->u[e] -= (float)(DLIC_REFINE_LR * (s->m1[e] / (1 - *b1t)) /
                           (sqrt(s->v1[e] / (1 - *b2t)) + 1e-12));
    }
}

/* The caller's report of the best candidate after iteration it. */
static void report(const search *s, unsigned it, double bpp, double sse)
{
    const dlic_refine_args *a = s->a;
    if (!a->report)
        return;
    const double mse = sse / (3 * s->npix);
    a->report(a->report_opaque, (int)it, (int)a->iters, bpp + a->zbits / s->npix,
              mse > 0 ? 10 * log10(255.0 * 255.0 / mse) : 99.0);
}

int dlic_refine(dlic_nn_exec *x, const dlic_refine_args *a)
{
    const struct dlic_model *m = a->m;
    dlic_tensor *Y = a->Y;
    const unsigned M = m->M;
    search s = { .a = a };
    size_t lat;
    DLIC_CHECK(dlic_mul_size(Y->h * Y->w, M, &s.ns) ||
               dlic_mul_size(s.ns, ELEMENT_BYTES, &lat),
               DLIC_ERR_LIMIT);
    if (!a->iters || !s.ns)
        return DLIC_OK;
    s.u = malloc(lat);
    int ret = s.u ? dlic_gsgrad_open(&s.g, m, Y->h, Y->w) : DLIC_ERR_NOMEM;
    if (ret)
        goto done;
    s.best = s.u + s.ns;
    s.m1 = s.best + s.ns;
    s.v1 = s.m1 + s.ns;
    s.grad = s.v1 + s.ns;
    s.mug = s.grad + s.ns;
    s.yc = (int16_t *)(s.mug + s.ns);
    s.mu = s.yc + s.ns;
    s.idx = (uint8_t *)(s.mu + s.ns);
    const uint32_t *gq = m->gq + (size_t)a->q * M;
    for (size_t e = 0; e < s.ns; e++) {
        s.u[e] = (float)(Y->data[e] * (double)gq[e % M] / 65536.0);
        s.m1[e] = s.v1[e] = 0.0f;
    }
    s.npix = (double)a->pic->width * a->pic->height;
    s.dscale = lambda_of(a->q) / (3 * s.npix);
    memcpy(s.yc, Y->data, s.ns * sizeof(int16_t));
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
        double b, e;
        if ((ret = score(&s, x, &cost, &b, &e)))
            goto done;
        if (cost < best) {
            best = cost;
            bpp = b;
            sse = e;
            memcpy(s.best, s.u, s.ns * sizeof(float));
            improved = 1;
        }
        report(&s, it + 1, bpp, sse);
    }
    /* Y unchanged when the search found nothing better */
    for (size_t e = 0; improved && e < s.ns; e++)
        Y->data[e] = y_of(&s, s.best[e], (unsigned)(e % M));
done:
    free(s.u);
    dlic_gsgrad_close(&s.g);
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

int dlic_refine_memory(const struct dlic_model *m, size_t h, size_t w, size_t *bytes)
{
    size_t lat;
    DLIC_TRY(dlic_gsgrad_memory(m, h, w, bytes));
    DLIC_CHECK(dlic_mul_size(h * w, m->M, &lat) || dlic_mul_size(lat, ELEMENT_BYTES, &lat) ||
               dlic_add_size(*bytes, lat, bytes), DLIC_ERR_LIMIT);
    return DLIC_OK;
}
