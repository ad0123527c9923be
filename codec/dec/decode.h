/* Decoder pipeline: container -> ZLAT -> h_s -> YLAT -> g_s -> crop
 * (SPEC §2). */
#ifndef DLIC_DEC_DECODE_H
#define DLIC_DEC_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "codec/nn/exec.h"
#include "dlic/dlic.h"

typedef struct dlic_dec_params {
    const struct dlic_model *model;
    uint64_t max_pixels;        /* 0: no limit */
    uint64_t max_memory;        /* 0: no limit */
    int lite;                   /* synthesise with g_s lite (SPEC §8.7) */
} dlic_dec_params;

/* Decode a stream into *pic (pixels and metadata malloc'd, owned by pic).
 * On failure *pic is all zero and nothing needs freeing. Returns a
 * dlic_error: the container's errors, DLIC_ERR_MODEL_MISMATCH,
 * DLIC_ERR_LIMIT, DLIC_ERR_CORRUPT/TRUNCATED for bad latent streams,
 * DLIC_ERR_NOMEM. */
int dlic_decode_image(dlic_nn_exec *x, const dlic_dec_params *p,
                      const uint8_t *data, size_t size, dlic_picture *pic);

#endif
