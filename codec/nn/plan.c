/* Stripe plan of a transform (SPEC §5): the rows each layer computes per
 * step and the input rows it keeps in its ring (stream.c runs the plan).
 *
 * Step sizes follow one number, `stripe`: the rows of the coarsest tensor
 * (lowest resolution among the input, the V of every layer and the output)
 * per step; a layer at 2^j times that resolution computes stripe << j rows.
 * Then the rows a layer asks for match what its producer computes per step,
 * and a ring of step * stride + k + 2 rows always holds the window: the
 * rows still needed span at most (n - 1) * s + k, plus one row that a pixel
 * shuffle may produce ahead. */
#include <stdlib.h>

#include "core/common.h"
#include "codec/nn/plan.h"
#include "codec/nn/tensor.h"

/* Automatic stripes: the largest power of two whose row windows fit. */
#define STRIPE_BUDGET ((size_t)16 << 20)

static int log2u(unsigned v) { return v == 2; }   /* strides, shuffles: 1, 2 */

static int make_plan(const dlic_transform *t, size_t h, size_t w, size_t stripe,
                     dlic_plan *P)
{
    int lev = 0, coarse = 0, vlev[DLIC_MODEL_MAX_LAYERS];
    size_t ch = h;
    P->n = t->nlayers;
    for (unsigned i = 0; i < t->nlayers; i++) {
        const dlic_layer *l = &t->layer[i];
        dlic_lplan *L = &P->L[i];
        L->h = h, L->w = w, L->c = l->cin;
        L->ho = h / l->stride + (h % l->stride != 0);
        L->wo = w / l->stride + (w % l->stride != 0);
        DLIC_CHECK(L->ho > SIZE_MAX / 2 || L->wo > SIZE_MAX / 2, DLIC_ERR_LIMIT);
        L->oh = L->ho * l->shuffle, L->ow = L->wo * l->shuffle;
        L->oc = (size_t)l->cout / ((size_t)l->shuffle * l->shuffle);
        vlev[i] = lev -= log2u(l->stride);
        if (lev < coarse)
            coarse = lev, ch = L->ho;
        lev += log2u(l->shuffle);
        h = L->oh, w = L->ow;
    }
    P->coarse_h = ch ? ch : 1;
    if (!stripe || stripe > P->coarse_h)
        stripe = P->coarse_h;
    size_t total = 0, b;
    for (unsigned i = 0; i < t->nlayers; i++) {
        const dlic_layer *l = &t->layer[i];
        dlic_lplan *L = &P->L[i];
        const int sh = vlev[i] - coarse;      /* 0..16 */
        L->chunk = stripe > (L->ho >> sh) ? L->ho : stripe << sh;
        if (!L->chunk)
            L->chunk = 1;
        L->ring = L->chunk * l->stride + l->k + 2;
        if (L->ring > L->h)
            L->ring = L->h ? L->h : 1;
        DLIC_TRY(dlic_tensor_bytes(L->ring, L->w, L->c, &b));
        DLIC_CHECK(dlic_add_size(total, b, &total), DLIC_ERR_LIMIT);
    }
    if (t->nlayers) {
        const dlic_lplan *L = &P->L[t->nlayers - 1];
        DLIC_TRY(dlic_tensor_bytes(L->chunk * t->layer[t->nlayers - 1].shuffle,
                                   L->ow, L->oc, &b));
        DLIC_CHECK(dlic_add_size(total, b, &total), DLIC_ERR_LIMIT);
    }
    P->bytes = total;
    return DLIC_OK;
}

/* Stripe 0 (automatic): the largest power of two within STRIPE_BUDGET,
 * unless the DLIC_STRIPE environment variable sets one (for tests: every
 * stripe height gives the same bytes). */
int dlic_plan_make(const dlic_transform *t, size_t h, size_t w, size_t stripe,
                   dlic_plan *P)
{
    const char *env = stripe ? NULL : getenv("DLIC_STRIPE");
    if (env && atol(env) > 0)
        stripe = (size_t)atol(env);
    DLIC_TRY(make_plan(t, h, w, stripe ? stripe : 1, P));
    if (stripe)
        return DLIC_OK;
    dlic_plan next;
    for (size_t s = 2; s / 2 < P->coarse_h; s *= 2) {
        if (make_plan(t, h, w, s, &next) || next.bytes > STRIPE_BUDGET)
            break;
        *P = next;
    }
    return DLIC_OK;
}

int dlic_transform_shape(const dlic_transform *t, size_t h, size_t w,
                         size_t *oh, size_t *ow, size_t *oc, size_t *work)
{
    dlic_plan P;
    DLIC_TRY(dlic_plan_make(t, h, w, 0, &P));
    if (t->nlayers) {
        const dlic_lplan *L = &P.L[t->nlayers - 1];
        *oh = L->oh, *ow = L->ow, *oc = L->oc;
    } else {
        *oh = h, *ow = w, *oc = 0;
    }
    *work = P.bytes;
    return DLIC_OK;
}
