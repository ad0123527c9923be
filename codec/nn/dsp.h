/* Convolution kernels of the integer network (SPEC §5.2) and their function
 * table. The portable C versions live in conv_c.c; SIMD versions share the
 * same signature and override table entries (dav1d mc.h style). */
#ifndef DLIC_NN_DSP_H
#define DLIC_NN_DSP_H

#include <stdint.h>

#include "format/model.h"

/* One layer applied to one whole tensor. Tensors are channels-last int16
 * (SPEC §1). V is the pre-shuffle output (ho x wo x cout); dst receives V
 * itself (shuffle 1) or its pixel-shuffled form U (shuffle 2). */
typedef struct dlic_conv_args {
    const dlic_layer *l;
    const int16_t *src;         /* h x w x l->cin */
    unsigned h, w;
    int16_t *dst;               /* ho x wo x cout, or 2ho x 2wo x cout/4 */
    unsigned ho, wo;            /* ceil(h / stride), ceil(w / stride) */
    /* Per-ISA packed copy of the layer's weights, prepared once by whoever
     * installs a kernel that needs it; NULL for the C kernels. */
    const void *packed;
} dlic_conv_args;

/* Compute rows [y0, y1) of V, with 0 <= y0 <= y1 <= ho, and store them in
 * dst. Rows are independent, so any split of [0, ho) across threads gives
 * the same bytes; a kernel may read any input row but writes only the
 * output rows (2y, 2y+1 after a shuffle) of its range. */
typedef void (*dlic_conv_fn)(const dlic_conv_args *a, unsigned y0, unsigned y1);

/* Kernels indexed by [k index: 1, 3, 5 -> 0, 1, 2][stride - 1]. */
typedef struct dlic_nn_dsp {
    dlic_conv_fn conv[3][2];
} dlic_nn_dsp;

static inline unsigned dlic_conv_kidx(unsigned k) { return k >> 1; }

/* Fill every entry with the C kernels, then let the ISA-specific inits
 * (added with the SIMD kernels) override entries for each feature in
 * `cpu_flags` (enum dlic_cpu bits), in ascending order. */
void dlic_nn_dsp_init(dlic_nn_dsp *dsp, unsigned cpu_flags);

/* The C reference kernel, usable directly by tests (checkasm style). */
void dlic_conv_c(const dlic_conv_args *a, unsigned y0, unsigned y1);

#endif
