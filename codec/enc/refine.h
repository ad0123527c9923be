/* Latent refinement (encoder only, opt-in): before the latent is coded, a
 * few steps of gradient descent move it to lower the rate-distortion cost
 * lambda * MSE + bits / pixel of the picture that g_s will decode, the
 * amortisation gap of g_a closed per image (Campos et al. 2019, Yang et al.
 * 2020). SPEC §6 lets an encoder code any S, so streams stay conformant and
 * decode bit-exactly everywhere; the search itself runs in float and is not
 * bit-reproducible across CPUs or thread counts (the decoder's output is).
 *
 * The search is annealed soft rounding (after the stochastic Gumbel
 * annealing of Yang, Bamler and Mandt 2020, without its noise) of the
 * latent Y, in units of one quantisation step, and of the hyper-latent Z
 * together: soft rounding to the two integer neighbours, annealed towards
 * hard rounding; float copies of g_s (gsgrad.h) and of the entropy model
 * (egrad.h: h_s, c_ctx, c_ep; weights times MUL / 2^SH, SPEC §5.2, clamps
 * as ReLUs) give the distortion, MU and the log-scales, and the gradients
 * through all of them, so that a value's move is paid for its effect on
 * the others' means and scales (the checkerboard's non-anchors depend on
 * the anchors, SPEC §6.1, and every value on Z); the rate is the expected
 * bits of the coding tables (rdoq.h), interpolated between neighbouring
 * tables in the log-scale. Every few iterations the candidate is scored as
 * the encoder would code it: MU and the tables recomputed from it by the
 * integer network, Y rounded by rdoq.h, the exact bits of Y and Z and the
 * float g_s's squared error; the best candidate met is kept. */
#ifndef DLIC_ENC_REFINE_H
#define DLIC_ENC_REFINE_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "codec/enc/egrad.h"
#include "codec/enc/gsgrad.h"
#include "codec/nn/exec.h"
#include "codec/nn/tensor.h"
#include "dlic/dlic.h"

#define DLIC_REFINE_MAX_ITERS 1000

/* Refinement iterations of each encoder effort (dlic_settings.effort);
 * efforts up to 5 refine nothing. Tuned on training images, measured on
 * Kodak (README, "Encoder effort"). */
static inline unsigned dlic_effort_iters(unsigned effort)
{
    static const unsigned iters[10] = { 0, 0, 0, 0, 0, 0, 4, 10, 24, 64 };
    return effort < 10 ? iters[effort] : 0;
}
/* Refinement holds float copies of g_s's and the entropy model's tensors
 * whole, about 340 bytes a pixel; beyond this the encoder refuses it
 * (DLIC_ERR_LIMIT), whatever max_memory says: about 2.3 megapixels, so
 * that an encode at any effort stays within 1 GiB (2.26 megapixels: 811
 * MiB peak RSS; dlic-enc then encodes at effort 5). */
#define DLIC_REFINE_MAX_MEMORY ((uint64_t)768 << 20)

/* MU and the table index of every value of Y (Y's layout), as the encoder
 * will code Y with hyper-latent Z; a dlic_error. */
typedef int (*dlic_refine_params_fn)(void *opaque, dlic_nn_exec *x, const dlic_tensor *Y,
                                     const dlic_tensor *Z, int16_t *mu, uint8_t *idx);

/* What refinement needs besides the model: Y (h x w x M) and Z (h_a's
 * output for Y, zh x zw x NZ), both refined in place, how to get the MU
 * and table index of Y's values, quality q, the encoder's rounding kappa
 * (rdoq.h) and the picture g_s should reproduce (its top-left corner of
 * the padded Hp x Wp output). */
typedef struct dlic_refine_args {
    const struct dlic_model *m;
    unsigned q, iters;
    uint32_t kappa;
    dlic_tensor *Y, *Z;
    dlic_refine_params_fn params;
    void *opaque;
    const dlic_picture *pic;
    /* Optional: called after each score with the best candidate's
     * estimated bpp and PSNR. */
    void (*report)(void *opaque, int iteration, int iterations, double bpp, double psnr);
    void *report_opaque;
} dlic_refine_args;

/* 1 when g_s and the entropy model are made of layers refinement can
 * differentiate (gsgrad.h, egrad.h); else the encoder skips refinement. */
static inline int dlic_refine_supported(const struct dlic_model *m)
{
    return dlic_gsgrad_supported(m) && dlic_egrad_supported(m);
}

/* Peak bytes dlic_refine() allocates for an h x w latent whose
 * hyper-latent is zh x zw; DLIC_ERR_LIMIT on overflow. */
int dlic_refine_memory(const struct dlic_model *m, size_t h, size_t w, size_t zh, size_t zw,
                       size_t *bytes);

/* How many times dlic_refine() runs g_s's layers (forward or back) for
 * iters iterations, and how many times it calls params: dlic_nn_progress()
 * counts each layer run. */
unsigned dlic_refine_runs(unsigned iters);
unsigned dlic_refine_scores(unsigned iters);

/* Refine a->Y and a->Z in place. Calls dlic_nn_progress(x) after each
 * layer run of g_s, dlic_refine_runs() times g_s's layers in all.
 * DLIC_ERR_NOMEM or DLIC_ERR_LIMIT; Y and Z are unchanged on failure. */
int dlic_refine(dlic_nn_exec *x, const dlic_refine_args *a);

#endif
