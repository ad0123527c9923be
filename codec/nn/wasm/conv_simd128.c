/* WebAssembly SIMD128 convolution (SPEC §5.2), bit-exact with dlic_conv_c:
 * the scheme of the x86 kernels (codec/nn/pack.h, codec/nn/conv_glue_tmpl.h)
 * with 4 output channels per vector. Each step broadcasts one dword of
 * input (2 s16 channels of one pixel, v128.load32_splat) and adds its dot
 * product with the matching dword of each lane's weights
 * (i32x4.dot_i16x8_s, exact: no saturation) to the lane's int32
 * accumulator, so there are no horizontal sums; the packed input rows
 * carry the zero padding, so border pixels take the same path. SPEC §8.6
 * bounds |B| + every partial sum below 2^31, so every order of summation
 * is exact; the Node conformance run (tests/cli/wasm.sh) checks every
 * stream. SIMD128 has no per-lane 64-bit shift: the requantisation, once
 * per output, is the C code's, lane by lane. Built only by `make wasm`
 * with -msimd128. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <wasm_simd128.h>

#include "core/common.h"
#include "codec/nn/dsp.h"
#include "codec/nn/pack.h"

#define VL 4
#define MAXACC 10

/* 2 or 1 vectors of output channels times 5 or 8 pixels: with the weight
 * vectors and the broadcast input, 13 or 10 of the 16 registers V8 gives
 * SIMD128 on x86-64. */
static const unsigned blocks[][2] = { { 2, 5 }, { 1, 8 } };

typedef struct kctx {
    const dlic_pack_q *q;
    const int32_t *w;
    unsigned k, s, cg, cout, c4, shuffle, wo;
    int64_t lo, hi;
} kctx;

/* SPEC §5.2's requantisation of the 4 lanes of acc (pack.h's constants). */
static inline void requant(v128_t acc, const dlic_pack_q *q, int64_t lo, int64_t hi,
                           int16_t t[VL])
{
    int32_t a[VL];
    wasm_v128_store(a, acc);
    for (unsigned i = 0; i < VL; i++) {
        const int64_t sh = i & 1 ? q->sh_o[i / 2] : q->sh_e[i / 2];
        const int64_t v = dlic_rshr64((int64_t)a[i] * q->mul[i], (unsigned)sh);
        t[i] = (int16_t)(v < lo ? lo : v > hi ? hi : v);
    }
}

static inline void store(const kctx *c, const int16_t t[VL], unsigned b, unsigned x,
                         int16_t *o0, int16_t *o1)
{
    if (c->shuffle == 1) {
        if (b * VL >= c->cout)
            return;
        const unsigned n = c->cout - b * VL;
        memcpy(o0 + (size_t)x * c->cout + b * VL, t, (n >= VL ? VL : n) * sizeof(int16_t));
    } else {
        /* Lanes [dy][dx], one channel each (pack.h). */
        if (b >= c->c4)
            return;
        const size_t x0 = 2 * (size_t)x * c->c4 + b, x1 = x0 + c->c4;
        o0[x0] = t[0];
        o0[x1] = t[1];
        o1[x0] = t[2];
        o1[x1] = t[3];
    }
}

/* cob x px outputs: pixels x0 .. x0 + px - 1 of one row, output blocks
 * grp * cob .. grp * cob + cob - 1. rp[ky]: packed input rows. */
static inline __attribute__((always_inline)) void
block(const kctx *c, const uint8_t *const *rp, unsigned grp, unsigned x0,
      int16_t *o0, int16_t *o1, const unsigned cob, const unsigned px)
{
    v128_t acc[MAXACC];
    const dlic_pack_q *q = c->q + (size_t)grp * cob;
    for (unsigned j = 0; j < cob; j++) {
        const v128_t b = wasm_v128_load(q[j].bias);
        for (unsigned p = 0; p < px; p++)
            acc[p * cob + j] = b;
    }
    const size_t pstep = (size_t)c->s * c->cg;
    const int32_t *wp = c->w + (size_t)grp * c->k * c->k * c->cg * cob * VL;
    for (unsigned ky = 0; ky < c->k; ky++)
        for (unsigned kx = 0; kx < c->k; kx++) {
            const int32_t *ip = (const int32_t *)(const void *)rp[ky] +
                                ((size_t)x0 * c->s + kx) * c->cg;
            for (unsigned g = 0; g < c->cg; g++, ip++, wp += cob * VL) {
                v128_t w[2];
                for (unsigned j = 0; j < cob; j++)
                    w[j] = wasm_v128_load(wp + j * VL);
                for (unsigned p = 0; p < px; p++) {
                    const v128_t b = wasm_v128_load32_splat(ip + p * pstep);
                    for (unsigned j = 0; j < cob; j++)
                        acc[p * cob + j] = wasm_i32x4_add(acc[p * cob + j],
                                                          wasm_i32x4_dot_i16x8(b, w[j]));
                }
            }
        }
    for (unsigned p = 0; p < px && x0 + p < c->wo; p++)
        for (unsigned j = 0; j < cob; j++) {
            int16_t t[VL];
            requant(acc[p * cob + j], &q[j], c->lo, c->hi, t);
            store(c, t, grp * cob + j, x0 + p, o0, o1);
        }
}

typedef void (*block_fn)(const kctx *c, const uint8_t *const *rp, unsigned grp,
                         unsigned x0, int16_t *o0, int16_t *o1);

static void block_2(const kctx *c, const uint8_t *const *rp, unsigned grp, unsigned x0,
                    int16_t *o0, int16_t *o1)
{
    block(c, rp, grp, x0, o0, o1, 2, 5);
}

static void block_1(const kctx *c, const uint8_t *const *rp, unsigned grp, unsigned x0,
                    int16_t *o0, int16_t *o1)
{
    block(c, rp, grp, x0, o0, o1, 1, 8);
}

static block_fn pick_block(const dlic_pack_cfg *cfg)
{
    return cfg->cob == 2 ? block_2 : block_1;
}

#define CONV_GLUE_VL VL
#define CONV_GLUE_U8 0
#define CONV_GLUE_BLOCKS blocks
#define CONV_GLUE_SPLAT64(v) ((int64_t)(v))
#define CONV_GLUE_INIT dlic_nn_dsp_init_simd128
#include "codec/nn/conv_glue_tmpl.h"
