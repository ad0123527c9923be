/* SPEC §6 for one latent value, shared by the encoder and the decoder and
 * by both coding orders of SPEC §7.4. */
#ifndef DLIC_COMMON_LATENT_H
#define DLIC_COMMON_LATENT_H

#include <stdint.h>

#include "core/common.h"
#include "core/model.h"

/* idx: the Gaussian table of a value with log-scale ls, LQ[q][c] = lq. */
static inline unsigned dlic_latent_table(const struct dlic_model *m, int16_t ls, int32_t lq)
{
    const int64_t idx = dlic_rshr64((int64_t)ls + lq, m->KS);
    return idx < 0 ? 0 : idx > m->NS - 1 ? m->NS - 1u : (unsigned)idx;
}

/* Encoder: S. |Y - MU| < 2^16 and GQ <= 2^28, so |S| < 2^28. */
static inline int32_t dlic_latent_quantize(int16_t y, int16_t mu, uint32_t gq)
{
    return (int32_t)dlic_rshr64((int64_t)(y - mu) * gq, 16);
}

/* Decoder: YH. |S| < 2^31 and IGQ <= 2^28: the product fits an i64. */
static inline int16_t dlic_latent_dequantize(int16_t mu, int32_t s, uint32_t igq, int ymax)
{
    return (int16_t)dlic_clamp32(mu + dlic_rshr64((int64_t)s * igq, 16), -ymax, ymax);
}

#endif
