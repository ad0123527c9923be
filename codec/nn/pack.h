/* Weight and activation layouts of the SIMD convolution kernels
 * (codec/nn/x86/conv_*.c). Scalar code, shared by every instruction set.
 *
 * The kernels vectorise over output channels: a vector holds `vl` int32
 * accumulators, one per output channel ("lane"), and each step adds the dot
 * product of one dword of input (g channels of one pixel: 4 u8 or 2 s16)
 * broadcast to every lane with the matching dword of weights of each lane
 * (vpdpbusd / vpdpwssd / vpmaddwd). So
 *  - an input row is packed as (padded width) x cg dwords, cg = ceil(cin/g),
 *    with p zero columns on the left and enough on the right that a block of
 *    px pixels never reads past the row (no border cases in the kernels);
 *  - weights are packed as [group][ky][kx][cg][cob][vl] dwords, a group
 *    being cob blocks of vl output channels, zero-filled past cout/cin;
 *  - with a pixel shuffle the lanes of a block are reordered to
 *    [dy][dx][c] so that each (dy, dx) quarter of the vector is vl/4
 *    consecutive channels of one U pixel (SPEC §5.2), stored in one go. */
#ifndef DLIC_NN_PACK_H
#define DLIC_NN_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "codec/nn/dsp.h"

typedef struct dlic_pack_cfg {
    unsigned vl;        /* lanes (output channels) per vector */
    unsigned g;         /* input channels per dword: 4 (u8) or 2 (s16) */
    unsigned cob, px;   /* register block: cob vectors x px pixels */
    unsigned nb;        /* vl-lane blocks, a multiple of cob */
    unsigned cg;        /* dwords per input pixel */
} dlic_pack_cfg;

/* Requantisation constants of one vl-lane block (SPEC §5.2), in lane
 * order: bias, MUL, and for the 64-bit products of the even and the odd
 * lanes the rounding term 2^(SH-1) (0 for SH = 0) and SH. */
typedef struct dlic_pack_q {
    int32_t bias[16], mul[16];
    int64_t rnd_e[8], rnd_o[8], sh_e[8], sh_o[8];
} dlic_pack_q;

/* Header at the start of a packed layer, followed (64-byte aligned) by nb
 * dlic_pack_q and then the weights. */
typedef struct dlic_pack_hdr {
    dlic_pack_cfg c;
    size_t q_off, w_off;        /* byte offsets from the header */
    int64_t lo, hi;             /* output clamp */
} dlic_pack_hdr;

/* Layout of layer l for vectors of vl lanes; u8_ok: the kernel can take
 * u8 input (vpdpbusd) when the input range allows it; cobs: the register
 * blocks the kernel implements, best first, as (cob, px) pairs ending in
 * (1, px). */
void dlic_pack_config(const dlic_layer *l, unsigned vl, int u8_ok,
                      const unsigned (*cobs)[2], dlic_pack_cfg *c);

/* Bytes of the packed layer, 0 on overflow. */
size_t dlic_pack_size(const dlic_pack_cfg *c, const dlic_layer *l);
void dlic_pack_weights(const dlic_pack_cfg *c, const dlic_layer *l, void *dst);

/* Original output channel of lane L of block b (>= cout: padding). */
unsigned dlic_pack_lane_channel(const dlic_pack_cfg *c, const dlic_layer *l,
                                unsigned b, unsigned lane);

/* Padded width (in pixels) and bytes of one packed input row. */
size_t dlic_pack_row_width(const dlic_pack_cfg *c, const dlic_layer *l, unsigned w);
size_t dlic_pack_row_bytes(const dlic_pack_cfg *c, const dlic_layer *l, unsigned w);

/* Per-thread scratch: k row slots plus a zero row; SIZE_MAX on overflow. */
size_t dlic_pack_scratch(const dlic_pack_cfg *c, const dlic_layer *l, unsigned w);

/* Pack one w-wide int16 input row (NULL: a row of zeros). */
void dlic_pack_row(const dlic_pack_cfg *c, const dlic_layer *l, const int16_t *src,
                   unsigned w, void *dst);

/* The k packed input rows an output row reads (SPEC §5.2), kept in the k
 * slots of the per-thread scratch: the rows of output row y are k
 * consecutive input rows, so row iy stays in slot iy % k while y grows and
 * each input row is packed once per row range. Rows outside the tensor are
 * the zero row. Shared by every SIMD kernel. */
typedef struct dlic_pack_window {
    uint8_t *slot, *zero;
    size_t rb;
    long tag[5];
} dlic_pack_window;

void dlic_pack_window_init(dlic_pack_window *win, const dlic_pack_cfg *c,
                           const dlic_conv_args *a, void *scratch);
void dlic_pack_window_rows(dlic_pack_window *win, const dlic_pack_cfg *c,
                           const dlic_conv_args *a, unsigned y,
                           const uint8_t *rp[5]);

#endif
