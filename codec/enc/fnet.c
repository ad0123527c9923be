/* Float copy of a transform and its gradient; see fnet.h. */
/* The clamp, mask and shuffle loops below have run-time trip counts,
 * which GCC's default -O2 cost model ("very cheap") will not vectorise
 * (as in conv_c.c); vectorised, they give the same values. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic")
#endif

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "codec/enc/fnet.h"
#include "codec/nn/dsp.h"
#include "codec/nn/engine.h"
#include "codec/nn/pool.h"

typedef struct flayer {
    unsigned cin, cout, k, shuffle;
    size_t h, w;                /* input (and conv output) size */
    float lo, hi;
    float *wf;                  /* [k][k][cin][cout]: forward */
    float *wb;                  /* [k][k][cout][cin]: flipped, transposed */
    float *bias;                /* [cout] */
    uint8_t *mask;              /* h x w x cout: 1 where lo < V < hi */
} flayer;

struct dlic_fnet {
    dlic_pool *pool;
    dlic_fconv_fn fconv;
    unsigned threads, nl;
    flayer L[DLIC_MODEL_MAX_LAYERS];
    float *A, *B;               /* the two tensors */
    float *pad;                 /* a convolution's padded input */
    float *wts;                 /* every layer's weights and biases */
    uint8_t *masks;             /* every layer's mask */
};

typedef struct conv_job {
    dlic_fconv_args a;
    dlic_fconv_fn fn;
    unsigned n;
} conv_job;

static void conv_rows(void *opaque, unsigned i)
{
    const conv_job *j = opaque;
    j->fn(&j->a, j->a.h * i / j->n, j->a.h * (i + 1) / j->n);
}

/* out (h x w x cout) = conv of in (h x w x cin), zero padded by (k-1)/2,
 * through pad (room for the padded input). */
static void conv(dlic_pool *pool, unsigned threads, dlic_fconv_fn fn, const float *in,
                 float *pad, float *out, size_t h, size_t w, unsigned cin, unsigned cout,
                 unsigned k, const float *wt, const float *bias)
{
    const unsigned p = (k - 1) / 2;
    const size_t wi = w + k - 1;
    memset(pad, 0, (h + k - 1) * wi * cin * sizeof(float));
    for (size_t y = 0; y < h; y++)
        memcpy(pad + ((y + p) * wi + p) * cin, in + y * w * cin, w * cin * sizeof(float));
    conv_job j = { { pad, out, h, w, cin, cout, k, wt, bias }, fn, threads };
    if (j.n > h)
        j.n = (unsigned)h;
    dlic_pool_run(pool, j.n, conv_rows, &j);
}

/* PixelShuffle(2), SPEC §5.2: U (2h x 2w x c/4) from V (h x w x c), U's
 * value (2y + d / 2, 2x + d % 2, o) being V's (y, x, 4o + d); with inverse
 * V from U, for gradients. src is the one read, dst the one written.
 * Walked in U's order, so that U moves by one. */
static void shuffle(const float *src, float *dst, size_t h, size_t w, unsigned c, int inverse)
{
    const unsigned cu = c / 4;
    for (size_t y = 0; y < h; y++)
        for (unsigned dy = 0; dy < 2; dy++)
            for (size_t x = 0; x < w; x++)
                for (unsigned dx = 0; dx < 2; dx++) {
                    const size_t v = (y * w + x) * c + 2 * dy + dx;
                    const size_t u = ((2 * y + dy) * 2 * w + 2 * x + dx) * cu;
                    if (inverse)
                        for (unsigned o = 0; o < cu; o++)
                            dst[v + 4 * o] = src[u + o];
                    else
                        for (unsigned o = 0; o < cu; o++)
                            dst[u + o] = src[v + 4 * o];
                }
}

int dlic_fnet_supported(const dlic_transform *t)
{
    for (unsigned l = 0; l < t->nlayers; l++)
        if (t->layer[l].stride != 1 || t->layer[l].k % 2 == 0)
            return 0;
    return 1;
}

void dlic_fnet_shape(const dlic_transform *t, size_t h, size_t w, size_t *oh, size_t *ow)
{
    for (unsigned l = 0; l < t->nlayers; l++) {
        h *= t->layer[l].shuffle;
        w *= t->layer[l].shuffle;
    }
    *oh = h;
    *ow = w;
}

/* Sizes of the float copy of t on an h x w x cin input: in *el the
 * elements of the largest tensor (input, padded input, conv output,
 * output), in *masks the bytes of all masks, in *weights the floats of all
 * weights and biases. */
static int sizes(const dlic_transform *t, unsigned cin, size_t h, size_t w, size_t *el,
                 size_t *masks, size_t *weights)
{
    size_t n, m2;
    DLIC_CHECK(dlic_mul_size(h, w, el) || dlic_mul_size(*el, cin, el), DLIC_ERR_LIMIT);
    *masks = *weights = 0;
    for (unsigned l = 0; l < t->nlayers; l++) {
        const dlic_layer *L = &t->layer[l];
        /* the padded input is the largest of a layer's tensors */
        DLIC_CHECK(dlic_add_size(h, L->k, &n) || dlic_add_size(w, L->k, &m2) ||
                   dlic_mul_size(n, m2, &n) || dlic_mul_size(n, L->cin > L->cout ? L->cin : L->cout, &n),
                   DLIC_ERR_LIMIT);
        if (n > *el)
            *el = n;
        DLIC_CHECK(dlic_mul_size(h, w, &n) || dlic_mul_size(n, L->cout, &n) ||
                   dlic_add_size(*masks, n, masks), DLIC_ERR_LIMIT);
        n = (size_t)L->k * L->k * L->cin * L->cout * 2 + L->cout;
        DLIC_CHECK(dlic_add_size(*weights, n, weights), DLIC_ERR_LIMIT);
        h *= L->shuffle;
        w *= L->shuffle;
    }
    return DLIC_OK;
}

int dlic_fnet_memory(const dlic_transform *t, size_t h, size_t w, size_t *bytes)
{
    size_t el, masks, weights, total;
    DLIC_TRY(sizes(t, t->nlayers ? t->layer[0].cin : 1, h, w, &el, &masks, &weights));
    /* three tensors and the weights, floats; the masks, bytes */
    DLIC_CHECK(dlic_mul_size(el, 3, &total) || dlic_add_size(total, weights, &total) ||
               dlic_mul_size(total, sizeof(float), &total) ||
               dlic_add_size(total, masks, &total) ||
               dlic_add_size(total, sizeof(dlic_fnet), &total), DLIC_ERR_LIMIT);
    *bytes = total;
    return DLIC_OK;
}

static int setup(dlic_fnet *r, const dlic_transform *t, size_t h, size_t w, size_t el,
                 size_t masks, size_t weights)
{
    r->A = malloc(el * sizeof(float));
    r->B = malloc(el * sizeof(float));
    r->pad = malloc(el * sizeof(float));
    r->wts = malloc((weights ? weights : 1) * sizeof(float));
    r->masks = malloc(masks ? masks : 1);
    if (!r->A || !r->B || !r->pad || !r->wts || !r->masks)
        return DLIC_ERR_NOMEM;
    float *wp = r->wts;
    uint8_t *mp = r->masks;
    r->nl = t->nlayers;
    for (unsigned l = 0; l < t->nlayers; l++) {
        const dlic_layer *S = &t->layer[l];
        flayer *F = &r->L[l];
        const unsigned k = S->k, ci = S->cin, co = S->cout;
        *F = (flayer){ ci, co, k, S->shuffle, h, w, S->lo, S->hi, wp,
                       wp + (size_t)k * k * ci * co, wp + (size_t)2 * k * k * ci * co, mp };
        wp += (size_t)2 * k * k * ci * co + co;
        mp += h * w * co;
        for (unsigned o = 0; o < co; o++) {
            const float sc = (float)ldexp(S->mul[o], -(int)S->shift[o]);
            F->bias[o] = (float)S->bias[o] * sc;
            for (unsigned ky = 0; ky < k; ky++)
                for (unsigned kx = 0; kx < k; kx++)
                    for (unsigned i = 0; i < ci; i++) {
                        const float v = S->w[(((size_t)o * k + ky) * k + kx) * ci + i] * sc;
                        F->wf[(((size_t)ky * k + kx) * ci + i) * co + o] = v;
                        F->wb[(((size_t)(k - 1 - ky) * k + (k - 1 - kx)) * co + o) * ci + i] = v;
                    }
        }
        h *= S->shuffle;
        w *= S->shuffle;
    }
    return DLIC_OK;
}

int dlic_fnet_open(dlic_fnet **f, const dlic_transform *t, unsigned cin, size_t h, size_t w)
{
    size_t el, masks, weights;
    *f = NULL;
    DLIC_CHECK(!dlic_fnet_supported(t) || (t->nlayers && t->layer[0].cin != cin),
               DLIC_ERR_INVALID_ARG);
    DLIC_TRY(sizes(t, cin, h, w, &el, &masks, &weights));
    dlic_fnet *r = calloc(1, sizeof(*r));
    DLIC_CHECK(!r, DLIC_ERR_NOMEM);
    int ret = setup(r, t, h, w, el, masks, weights);
    if (ret) {
        dlic_fnet_close(&r);
        return ret;
    }
    *f = r;
    return DLIC_OK;
}

void dlic_fnet_close(dlic_fnet **f)
{
    if (!f || !*f)
        return;
    free((*f)->A);
    free((*f)->B);
    free((*f)->pad);
    free((*f)->wts);
    free((*f)->masks);
    free(*f);
    *f = NULL;
}

float *dlic_fnet_data(dlic_fnet *f)
{
    return f->A;
}

static void bind(dlic_fnet *r, dlic_nn_exec *x)
{
    r->pool = dlic_nn_engine_pool(x->engine);
    r->fconv = dlic_fconv_select(x->dsp ? x->dsp->cpu_flags : 0);
    r->threads = r->pool ? dlic_pool_threads(r->pool) : 1;
    if (r->threads > x->threads)
        r->threads = x->threads;
}

/* After layer F's convolution (its V in B): U, or V itself, into A. With
 * inverse, before its backward convolution: the gradient of V from that
 * of U (in A) into B. */
static void shuffle_or_swap(dlic_fnet *r, const flayer *F, int inverse)
{
    if (F->shuffle == 2) {
        shuffle(inverse ? r->A : r->B, inverse ? r->B : r->A, F->h, F->w, F->cout, inverse);
    } else {
        float *T = r->A;
        r->A = r->B;
        r->B = T;
    }
}

void dlic_fnet_forward(dlic_fnet *r, dlic_nn_exec *x, int count)
{
    bind(r, x);
    for (unsigned l = 0; l < r->nl; l++) {
        flayer *F = &r->L[l];
        const size_t n = F->h * F->w * F->cout;
        conv(r->pool, r->threads, r->fconv, r->A, r->pad, r->B, F->h, F->w, F->cin, F->cout,
             F->k, F->wf, F->bias);
        const float lo = F->lo, hi = F->hi;
        float *B = r->B;
        uint8_t *mask = F->mask;
        for (size_t i = 0; i < n; i++) {
            const float v = B[i];
            mask[i] = (uint8_t)((v > lo) & (v < hi));
            B[i] = v < lo ? lo : v > hi ? hi : v;
        }
        shuffle_or_swap(r, F, 0);
        if (count)
            dlic_nn_progress(x);
    }
}

void dlic_fnet_backward(dlic_fnet *r, dlic_nn_exec *x, int count)
{
    bind(r, x);
    for (unsigned l = r->nl; l-- > 0;) {
        flayer *F = &r->L[l];
        const size_t n = F->h * F->w * F->cout;
        shuffle_or_swap(r, F, 1);
        float *B = r->B;
        const uint8_t *mask = F->mask;
        for (size_t i = 0; i < n; i++)
            B[i] = mask[i] ? B[i] : 0.0f;
        conv(r->pool, r->threads, r->fconv, r->B, r->pad, r->A, F->h, F->w, F->cout, F->cin,
             F->k, F->wb, NULL);
        if (count)
            dlic_nn_progress(x);
    }
}
