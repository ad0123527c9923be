/* AVX-512 VNNI convolution (SPEC §5.2), bit-exact with dlic_conv_c.
 *
 * Layouts are in codec/nn/pack.h: 16 output channels per zmm, one dword of
 * input broadcast per step. Inputs in [0, 255] (ReLU layers, pixels) go
 * through vpdpbusd, 4 u8 x s8 products per lane; wider inputs (the latents,
 * SPEC §5.3) through vpdpwssd, 2 s16 x s16 products per lane. Both are
 * exact: SPEC §8.6 bounds |B| + every partial sum below 2^31, and neither
 * instruction saturates. The requantisation takes the same 64-bit product
 * and arithmetic shift as the C code, on 8 lanes at a time. */
#include <immintrin.h>
#include <string.h>

#include "codec/nn/dsp.h"
#include "codec/nn/pack.h"

#define VL 16
#define MAXACC 24

/* Register blocks, best first: 4 or 2 or 1 vectors of output channels
 * times 6, 12 or 16 pixels: at most 24 accumulators of the 32 zmm. */
static const unsigned blocks[][2] = { { 4, 6 }, { 2, 12 }, { 1, 16 } };

typedef struct kctx {
    const dlic_pack_q *q;
    const int32_t *w;
    unsigned k, s, cg, cout, c4, shuffle, wo;
    __m512i lo, hi;
} kctx;

static inline __m256i requant(__m512i acc, const dlic_pack_q *q, __m512i lo, __m512i hi)
{
    const __m512i mul = _mm512_load_si512(q->mul);
    __m512i e = _mm512_mul_epi32(acc, mul);
    __m512i o = _mm512_mul_epi32(_mm512_srli_epi64(acc, 32), _mm512_srli_epi64(mul, 32));
    e = _mm512_srav_epi64(_mm512_add_epi64(e, _mm512_load_si512(q->rnd_e)),
                          _mm512_load_si512(q->sh_e));
    o = _mm512_srav_epi64(_mm512_add_epi64(o, _mm512_load_si512(q->rnd_o)),
                          _mm512_load_si512(q->sh_o));
    e = _mm512_min_epi64(_mm512_max_epi64(e, lo), hi);
    o = _mm512_min_epi64(_mm512_max_epi64(o, lo), hi);
    /* Clamped to [lo, hi] within int16: the low dwords hold the values. */
    const __m512i r = _mm512_mask_blend_epi32(0xAAAA, e, _mm512_slli_epi64(o, 32));
    return _mm512_cvtepi32_epi16(r);
}

/* Lanes of block b to output pixel x (see pack.h for the shuffle order). */
static inline void store(const kctx *c, __m256i v, unsigned b, unsigned x,
                         int16_t *o0, int16_t *o1)
{
    if (c->shuffle == 1) {
        if (b * VL >= c->cout)
            return;
        const unsigned n = c->cout - b * VL;
        const __mmask16 m = n >= VL ? 0xFFFF : (__mmask16)((1u << n) - 1);
        _mm256_mask_storeu_epi16(o0 + (size_t)x * c->cout + b * VL, m, v);
    } else {
        const unsigned c0 = b * (VL / 4);
        if (c0 >= c->c4)
            return;
        const unsigned n = c->c4 - c0;
        const __mmask8 m = n >= 4 ? 0xF : (__mmask8)((1u << n) - 1);
        const __m128i top = _mm256_castsi256_si128(v), bot = _mm256_extracti128_si256(v, 1);
        const size_t x0 = 2 * (size_t)x * c->c4 + c0, x1 = x0 + c->c4;
        _mm_mask_storeu_epi16(o0 + x0, m, top);
        _mm_mask_storeu_epi16(o0 + x1, m, _mm_srli_si128(top, 8));
        _mm_mask_storeu_epi16(o1 + x0, m, bot);
        _mm_mask_storeu_epi16(o1 + x1, m, _mm_srli_si128(bot, 8));
    }
}

/* cob x px outputs: pixels x0 .. x0 + px - 1 of one row, output blocks
 * grp * cob .. grp * cob + cob - 1. rp[ky]: packed input rows. */
static inline __attribute__((always_inline)) void
block(const kctx *c, const uint8_t *const *rp, unsigned grp, unsigned x0,
      int16_t *o0, int16_t *o1, const unsigned cob, const unsigned px, const int u8)
{
    __m512i acc[MAXACC];
    const dlic_pack_q *q = c->q + (size_t)grp * cob;
#pragma GCC unroll 4
    for (unsigned j = 0; j < cob; j++) {
        const __m512i b = _mm512_load_si512(q[j].bias);
#pragma GCC unroll 24
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
                __m512i w[4];
#pragma GCC unroll 4
                for (unsigned j = 0; j < cob; j++)
                    w[j] = _mm512_load_si512(wp + j * VL);
#pragma GCC unroll 24
                for (unsigned p = 0; p < px; p++) {
                    const __m512i b = _mm512_set1_epi32(ip[p * pstep]);
#pragma GCC unroll 4
                    for (unsigned j = 0; j < cob; j++)
                        acc[p * cob + j] = u8 ? _mm512_dpbusd_epi32(acc[p * cob + j], b, w[j])
                                              : _mm512_dpwssd_epi32(acc[p * cob + j], b, w[j]);
                }
            }
        }
    for (unsigned p = 0; p < px && x0 + p < c->wo; p++)
        for (unsigned j = 0; j < cob; j++)
            store(c, requant(acc[p * cob + j], &q[j], c->lo, c->hi),
                  grp * cob + j, x0 + p, o0, o1);
}

typedef void (*block_fn)(const kctx *c, const uint8_t *const *rp, unsigned grp,
                         unsigned x0, int16_t *o0, int16_t *o1);

#define BLOCK(cob, px, u8) \
static void block_##cob##_##u8(const kctx *c, const uint8_t *const *rp, unsigned grp, \
                               unsigned x0, int16_t *o0, int16_t *o1) \
{ \
    block(c, rp, grp, x0, o0, o1, cob, px, u8); \
}
BLOCK(4, 6, 1)
BLOCK(2, 12, 1)
BLOCK(1, 16, 1)
BLOCK(4, 6, 0)
BLOCK(2, 12, 0)
BLOCK(1, 16, 0)

static block_fn pick_block(const dlic_pack_cfg *cfg)
{
    const int u8 = cfg->g == 4;
    return cfg->cob == 4 ? (u8 ? block_4_1 : block_4_0)
         : cfg->cob == 2 ? (u8 ? block_2_1 : block_2_0)
                         : (u8 ? block_1_1 : block_1_0);
}

#define CONV_GLUE_VL VL
#define CONV_GLUE_U8 1
#define CONV_GLUE_BLOCKS blocks
#define CONV_GLUE_SPLAT64 _mm512_set1_epi64
#define CONV_GLUE_INIT dlic_nn_dsp_init_avx512
#include "codec/nn/conv_glue_tmpl.h"
