/* Latent refinement; see refine.h. Adam on S in its own units (one
 * quantisation step), learning rate DLIC_REFINE_STEP / iters decaying
 * linearly to 0; the best latent met is kept. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codec/common/common.h"
#include "codec/enc/rdoq.h"
#include "codec/enc/gsgrad.h"
#include "codec/enc/refine.h"

/* Total distance an element may travel, in steps of S (the schedule's
 * lr * iters): tuned on the float model (README, "Latent refinement"). */
#define DLIC_REFINE_STEP 0.32f

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

int dlic_refine(dlic_nn_exec *x, const dlic_refine_args *a)
{
    const struct dlic_model *m = a->m;
    dlic_tensor *Y = a->Y;
    const unsigned M = m->M;
    const uint32_t *gq = m->gq + (size_t)a->q * M, *igq = m->igq + (size_t)a->q * M;
    size_t ns, lat;
    DLIC_CHECK(dlic_mul_size(Y->h * Y->w, M, &ns) || dlic_mul_size(ns, 5 * sizeof(float), &lat),
               DLIC_ERR_LIMIT);
    if (!a->iters || !ns)
        return DLIC_OK;
    dlic_gsgrad *g = NULL;
    float *s = malloc(lat);
    int ret = s ? dlic_gsgrad_open(&g, m, Y->h, Y->w) : DLIC_ERR_NOMEM;
    if (ret)
        goto done;
    float *in = dlic_gsgrad_input(g), *grad = s + 4 * ns;
    float *best = s + ns, *m1 = best + ns, *v1 = m1 + ns;
    for (size_t e = 0; e < ns; e++) {
        const unsigned c = (unsigned)(e % M);
        s[e] = (float)((Y->data[e] - a->mu[e]) * (double)gq[c] / 65536.0);
        m1[e] = v1[e] = 0.0f;
    }
    memcpy(best, s, ns * sizeof(float));
    const double npix = (double)a->pic->width * a->pic->height;
    const double lambda = lambda_of(a->q), dscale = lambda / (3 * npix);
    const float lr0 = DLIC_REFINE_STEP / (float)a->iters;
    double best_loss = INFINITY, b1t = 1, b2t = 1;
    for (unsigned it = 0; it <= a->iters; it++) {
        double bits = 0;
        for (size_t e = 0; e < ns; e++) {
            const unsigned c = (unsigned)(e % M);
            const int32_t S = (int32_t)lrintf(s[e]);
            const double yh = a->mu[e] + S * (double)igq[c] / 65536.0;
            in[e] = (float)(yh < -m->YMAX ? -m->YMAX : yh > m->YMAX ? m->YMAX : yh);
            bits += dlic_rdoq_bits(&m->gt[a->idx[e]], S);
        }
        const double sse = dlic_gsgrad_run(g, x, a->pic, dscale, it < a->iters ? grad : NULL);
        const double loss = dscale * sse + bits / 65536.0 / npix;
        if (loss < best_loss) {
            best_loss = loss;
            memcpy(best, s, ns * sizeof(float));
        }
        if (it == a->iters)
            break;
        const float lr = lr0 * (1.0f - (float)it / (float)a->iters);
        b1t *= 0.9;
        b2t *= 0.999;
        for (size_t e = 0; e < ns; e++) {
            const unsigned c = (unsigned)(e % M);
            const int32_t S = (int32_t)lrintf(s[e]);
            const dlic_table *tb = &m->gt[a->idx[e]];
            const double rate = ((double)dlic_rdoq_bits(tb, S + 1) -
                                 (double)dlic_rdoq_bits(tb, S - 1)) / (2 * 65536.0 * npix);
            const float gr = (float)(grad[e] * (double)igq[c] / 65536.0 + rate);
            m1[e] = 0.9f * m1[e] + 0.1f * gr;
            v1[e] = 0.999f * v1[e] + 0.001f * gr * gr;
            s[e] -= lr * (float)((m1[e] / (1 - b1t)) / (sqrt(v1[e] / (1 - b2t)) + 1e-8));
        }
    }
    for (size_t e = 0; e < ns; e++) {
        const unsigned c = (unsigned)(e % M);
        const double v = a->mu[e] + best[e] * 65536.0 / gq[c];
        Y->data[e] = (int16_t)dlic_clamp32((int64_t)llrint(v), -m->YMAX, m->YMAX);
    }
done:
    free(s);
    dlic_gsgrad_close(&g);
    return ret;
}

int dlic_refine_memory(const struct dlic_model *m, size_t h, size_t w, size_t *bytes)
{
    size_t lat;
    DLIC_TRY(dlic_gsgrad_memory(m, h, w, bytes));
    /* s, best, Adam's two moments, the gradient */
    DLIC_CHECK(dlic_mul_size(h * w, m->M, &lat) || dlic_mul_size(lat, 5 * sizeof(float), &lat) ||
               dlic_add_size(*bytes, lat, bytes), DLIC_ERR_LIMIT);
    return DLIC_OK;
}
