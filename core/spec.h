/* Facts of the specification (SPEC.md) that more than one part of the
 * library uses, each defined here once; the public ones (the signature,
 * the largest picture) are in dlic/dlic.h. */
#ifndef DLIC_CORE_SPEC_H
#define DLIC_CORE_SPEC_H

#include <stddef.h>

#include "dlic/dlic.h"

/* SPEC §3.2: g_a's stride, and g_a's then h_a's, the multiple that the
 * picture is padded to. */
#define DLIC_LATENT_STRIDE 16
#define DLIC_TOTAL_STRIDE 64

/* SPEC §3.2: a picture side n (1..DLIC_MAX_DIMENSION) padded. */
static inline size_t dlic_padded_side(size_t n)
{
    return (n + DLIC_TOTAL_STRIDE - 1) / DLIC_TOTAL_STRIDE * DLIC_TOTAL_STRIDE;
}

#endif
