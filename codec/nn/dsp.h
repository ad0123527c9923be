/* Convolution kernels of the integer network (SPEC §5.2) and their function
 * table. The portable C version lives in conv_c.c; SIMD versions share the
 * same signature and override table entries (dav1d mc.h style). */
#ifndef DLIC_NN_DSP_H
#define DLIC_NN_DSP_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

/* One layer applied to (part of) one tensor. Tensors are channels-last int16
 * (SPEC §1). V is the pre-shuffle output (ho x wo x cout); dst receives V
 * itself (shuffle 1) or its pixel-shuffled form U (shuffle 2).
 *
 * Rows may live in ring buffers, so that a transform can run in stripes
 * with memory that grows with the width only: input row r (0 <= r < h) is
 * at src + ((r - src_row0) % src_rows) * w * cin, and output row r (of U,
 * or of V without shuffle) at dst + ((r - dst_row0) % dst_rows) * rowlen.
 * src_rows = 0 (dst_rows = 0) means a whole tensor: row r at r * rowlen.
 * The caller guarantees that every input value lies in [l->ilo, l->ihi]. */
typedef struct dlic_conv_args {
    const dlic_layer *l;
    const int16_t *src;         /* h x w x l->cin */
    unsigned h, w;
    int16_t *dst;               /* ho x wo x cout, or 2ho x 2wo x cout/4 */
    unsigned ho, wo;            /* ceil(h / stride), ceil(w / stride) */
    /* The table's pack() output for this layer (NULL when pack is NULL). */
    const void *packed;
    unsigned src_row0, src_rows, dst_row0, dst_rows;
    /* Output channels: slice `part` of `parts` (parts 0 or 1: all of them).
     * Each kernel slices V's cout channels its own way, but for any parts
     * the slices 0 .. parts - 1 are disjoint and cover every channel, so
     * threads can split one row between them (codec/nn/stream.c). */
    unsigned part, parts;
} dlic_conv_args;

/* Compute rows [y0, y1) of V, with 0 <= y0 <= y1 <= ho, and store them in
 * dst. Rows are independent, so any split of [0, ho) across threads gives
 * the same bytes; a kernel may read any input row but writes only the
 * output rows (2y, 2y+1 after a shuffle) of its range. scratch holds
 * scratch_size(l, w) bytes, 64-byte aligned, private to the calling thread. */
typedef void (*dlic_conv_fn)(const dlic_conv_args *a, unsigned y0, unsigned y1,
                             void *scratch);

/* Slice a->part of a->parts of n units (channels, channel groups):
 * [*b, *e). */
static inline void dlic_conv_slice(const dlic_conv_args *a, unsigned n,
                                   unsigned *b, unsigned *e)
{
    const unsigned parts = a->parts > 1 ? a->parts : 1;
    *b = (unsigned)((uint64_t)n * a->part / parts);
    *e = (unsigned)((uint64_t)n * (a->part + 1) / parts);
}

/* Float convolution of the encoder's latent refinement (codec/enc/gsgrad.h),
 * stride 1, odd k, input already zero padded by (k - 1) / 2 on each side;
 * rows [y0, y1) of out. Not part of the bit-exact decoder: but every
 * version gives the same bits as dlic_fconv_c() (fconv_tmpl.h). */
typedef struct dlic_fconv_args {
    const float *in;            /* (h + k - 1) x (w + k - 1) x cin */
    float *out;                 /* h x w x cout */
    size_t h, w;
    unsigned cin, cout, k;
    const float *wt;            /* [k][k][cin][cout] */
    const float *bias;          /* [cout]; NULL: 0 */
} dlic_fconv_args;
typedef void (*dlic_fconv_fn)(const dlic_fconv_args *a, size_t y0, size_t y1);
void dlic_fconv_c(const dlic_fconv_args *a, size_t y0, size_t y1);
/* The fastest float convolution for cpu_flags (fconv_c.c): the encoder
 * picks it itself, so that a decoder-only build links none of them. */
dlic_fconv_fn dlic_fconv_select(unsigned cpu_flags);
void dlic_fconv_avx2(const dlic_fconv_args *a, size_t y0, size_t y1);
void dlic_fconv_avx512(const dlic_fconv_args *a, size_t y0, size_t y1);

typedef struct dlic_nn_dsp {
    /* Kernels indexed by [k index: 1, 3, 5 -> 0, 1, 2][stride - 1]. */
    dlic_conv_fn conv[3][2];
    /* Load-time weight layout for conv (NULL: the kernels read l->w).
     * packed_size() returns 0 when the size overflows. */
    size_t (*packed_size)(const dlic_layer *l);
    void (*pack)(const dlic_layer *l, void *packed);
    /* Per-thread scratch bytes on a w-wide input; NULL: none. SIZE_MAX when
     * the size overflows. */
    size_t (*scratch_size)(const dlic_layer *l, unsigned w);
    unsigned cpu_flags;         /* what dlic_nn_dsp_init() was given */
} dlic_nn_dsp;

static inline unsigned dlic_conv_kidx(unsigned k) { return k >> 1; }

/* One kernel for every (k, stride) entry, with its packing hooks (NULL:
 * the kernel reads l->w and needs no scratch). */
static inline void dlic_nn_dsp_set(dlic_nn_dsp *dsp, dlic_conv_fn conv,
                                   size_t (*packed_size)(const dlic_layer *l),
                                   void (*pack)(const dlic_layer *l, void *packed),
                                   size_t (*scratch_size)(const dlic_layer *l, unsigned w))
{
    for (unsigned ki = 0; ki < 3; ki++)
        for (unsigned si = 0; si < 2; si++)
            dsp->conv[ki][si] = conv;
    dsp->packed_size = packed_size;
    dsp->pack = pack;
    dsp->scratch_size = scratch_size;
}

/* Fill every entry with the C kernels, then let the ISA-specific inits
 * override entries for each feature in `cpu_flags` (enum dlic_cpu bits),
 * in ascending order. */
void dlic_nn_dsp_init(dlic_nn_dsp *dsp, unsigned cpu_flags);
void dlic_nn_dsp_init_avx2(dlic_nn_dsp *dsp);
void dlic_nn_dsp_init_avxvnni(dlic_nn_dsp *dsp);
void dlic_nn_dsp_init_avx512(dlic_nn_dsp *dsp);
/* WebAssembly builds with SIMD128 (codec/nn/wasm/conv_simd128.c). */
void dlic_nn_dsp_init_simd128(dlic_nn_dsp *dsp);

/* The C reference kernel, usable directly by tests (checkasm style). */
void dlic_conv_c(const dlic_conv_args *a, unsigned y0, unsigned y1, void *scratch);

/* Row addressing of dlic_conv_args. */
static inline const int16_t *dlic_conv_src_row(const dlic_conv_args *a, unsigned r)
{
    const size_t slot = a->src_rows ? (r - a->src_row0) % a->src_rows : r;
    return a->src + slot * a->w * a->l->cin;
}

static inline int16_t *dlic_conv_dst_row(const dlic_conv_args *a, unsigned r)
{
    const size_t slot = a->dst_rows ? (r - a->dst_row0) % a->dst_rows : r;
    return a->dst + slot * a->wo * a->l->cout / a->l->shuffle;
}

#endif
