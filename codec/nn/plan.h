/* How a transform is cut into stripes (SPEC §5): per layer, the rows it
 * computes per step and the input rows it keeps. */
#ifndef DLIC_NN_PLAN_H
#define DLIC_NN_PLAN_H

#include <stddef.h>

#include "core/model.h"

typedef struct dlic_lplan {
    size_t h, w, c;             /* input */
    size_t ho, wo;              /* V */
    size_t oh, ow, oc;          /* output (after the shuffle) */
    size_t chunk;               /* V rows per step */
    size_t ring;                /* input rows kept */
} dlic_lplan;

typedef struct dlic_plan {
    unsigned n;
    dlic_lplan L[DLIC_MODEL_MAX_LAYERS];
    size_t coarse_h;            /* rows of the coarsest tensor */
    size_t bytes;               /* rings + output buffer */
} dlic_plan;

/* The plan of t on an h x w input with `stripe` rows of the coarsest
 * tensor per step; stripe 0: automatic (the DLIC_STRIPE environment
 * variable, else the largest power of two whose row windows fit a fixed
 * budget). DLIC_ERR_LIMIT when a size overflows. */
int dlic_plan_make(const dlic_transform *t, size_t h, size_t w, size_t stripe,
                   dlic_plan *P);

/* Output shape of t on an h x w input, and in *work the bytes of the row
 * windows that dlic_transform_stream() holds with automatic stripes (the
 * kernels' per-thread scratch and packed weights come on top: see
 * dlic_transform_memory()). DLIC_ERR_LIMIT when a size overflows. */
int dlic_transform_shape(const dlic_transform *t, size_t h, size_t w,
                         size_t *oh, size_t *ow, size_t *oc, size_t *work);

#endif
