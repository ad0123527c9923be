/* Rate-distortion optimised rounding of the latent (encoder only).
 * SPEC §6 fixes how a decoder turns S into YH, not how an encoder picks S,
 * so instead of rounding (Y - MU) * GQ / 2^16 to the nearest integer the
 * encoder may take the other neighbour when that saves more bits than it
 * costs in squared error: of v's two integer neighbours it keeps the one
 * with the smaller (v - S)^2 + kappa * bits(S), bits from the value's own
 * table (SPEC §7.2: symbol, or escape symbol plus Exp-Golomb bits).
 * Integer arithmetic throughout, so every CPU writes the same stream. */
#ifndef DLIC_ENC_RDOQ_H
#define DLIC_ENC_RDOQ_H

#include <stdint.h>

#include "core/model.h"

/* kappa in units of 2^-16 (0: plain rounding, dlic_latent_quantize());
 * DLIC_RDOQ_KAPPA is the encoder's default: first picked on Kodak (session
 * 12), checked on 8 training images in session 33 (weights/README.md): 0.005,
 * 0.01, 0.0225 and 0.03 give +0.27%, +0.10%, -0.01% and +0.10% BD-rate. */
#define DLIC_RDOQ_KAPPA 983u    /* 0.015 */

/* floor(log2(f) * 2^16) for 1 <= f <= 2^16 (bit-serial squaring). */
uint32_t dlic_rdoq_log2(uint32_t f);

/* Bits * 2^16 of coding v with table t (SPEC §7.2); < 2^23. */
uint32_t dlic_rdoq_bits(const dlic_table *t, int32_t v);

/* S of one latent value (y, mu, gq as in dlic_latent_quantize()), coded
 * with table t. */
int32_t dlic_rdoq_quantize(const dlic_table *t, uint32_t kappa, int16_t y, int16_t mu,
                           uint32_t gq);

#endif
