/* Encoder pipeline: pixels -> padded tensor -> g_a -> h_a -> h_s ->
 * range-coded ZLAT/YLAT -> container (SPEC §2). */
#ifndef DLIC_ENC_ENCODE_H
#define DLIC_ENC_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "codec/nn/exec.h"
#include "dlic/dlic.h"

typedef struct dlic_enc_params {
    const struct dlic_model *model;
    int quality;                /* 0..100 */
    uint32_t rdoq_kappa;        /* rounding of the latent (rdoq.h); 0: nearest */
    unsigned refine_iters;      /* latent refinement (refine.h); 0: none */
    /* dlic_settings.search_progress and its argument, or NULL */
    void (*search_progress)(void *opaque, int iteration, int iterations, double bpp,
                            double psnr);
    void *opaque;
    uint64_t max_pixels;        /* 0: no limit */
    uint64_t max_memory;        /* 0: no limit */
} dlic_enc_params;

/* Encode pic; on success *out (malloc'd) holds the stream. On failure *out
 * is NULL and *out_size 0. Returns a dlic_error: DLIC_ERR_INVALID_ARG for a
 * malformed picture, DLIC_ERR_LIMIT, DLIC_ERR_NOMEM. */
int dlic_encode_image(dlic_nn_exec *x, const dlic_enc_params *p,
                      const dlic_picture *pic, uint8_t **out, size_t *out_size);

#endif
