/* Latent refinement (encoder only, opt-in): before the latent is coded, a
 * few steps of gradient descent move it to lower the rate-distortion cost
 * lambda * MSE + bits / pixel of the picture that g_s will decode, the
 * amortisation gap of g_a closed per image (Campos et al. 2019, Yang et al.
 * 2020). SPEC §6 lets an encoder code any S, so streams stay conformant and
 * decode bit-exactly everywhere; the search itself runs in float and is not
 * bit-reproducible across CPUs or thread counts (the decoder's output is).
 *
 * The gradient goes through a float copy of g_s (weights times MUL / 2^SH,
 * SPEC §5.2, clamps as ReLUs), rounding passed straight through; the rate
 * term is the slope of the coding tables' bits at S (rdoq.h), with MU and
 * the tables held at their values for the unrefined latent. */
#ifndef DLIC_ENC_REFINE_H
#define DLIC_ENC_REFINE_H

#include <stddef.h>
#include <stdint.h>

#include "dlic/dlic.h"
#include "codec/enc/gsgrad.h"
#include "codec/nn/transform.h"
#include "format/model.h"

#define DLIC_REFINE_MAX_ITERS 1000
/* Refinement holds float copies of g_s's tensors whole, about 270 bytes a
 * pixel; beyond this the encoder refuses it (DLIC_ERR_LIMIT), whatever
 * max_memory says: about 16 megapixels. */
#define DLIC_REFINE_MAX_MEMORY ((uint64_t)4 << 30)

/* What refinement needs besides the model: Y (h x w x M, refined in place),
 * the MU and table index of each of its values (same layout), quality q
 * and the picture g_s should reproduce (its top-left corner of the padded
 * Hp x Wp output). */
typedef struct dlic_refine_args {
    const struct dlic_model *m;
    unsigned q, iters;
    dlic_tensor *Y;
    const int16_t *mu;
    const uint8_t *idx;
    const dlic_picture *pic;
} dlic_refine_args;

/* 1 when g_s is made of layers refinement can differentiate (gsgrad.h);
 * else the encoder skips refinement. */
static inline int dlic_refine_supported(const struct dlic_model *m)
{
    return dlic_gsgrad_supported(m);
}

/* Peak bytes dlic_refine() allocates for an h x w latent;
 * DLIC_ERR_LIMIT on overflow. */
int dlic_refine_memory(const struct dlic_model *m, size_t h, size_t w, size_t *bytes);

/* Refine a->Y in place. Calls dlic_nn_progress(x) after each layer run,
 * (2 iters + 1) times g_s's layers in all.
 * DLIC_ERR_NOMEM or DLIC_ERR_LIMIT; Y is unchanged on failure. */
int dlic_refine(dlic_nn_exec *x, const dlic_refine_args *a);

#endif
