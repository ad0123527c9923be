/* 256-bit convolution (SPEC §5.2), bit-exact with dlic_conv_c: the body
 * of the AVX2 and the AVX-VNNI kernels, built once by each of
 * conv_avx2.c and conv_avxvnni.c with its own -m flags. The includer
 * defines
 *   CONV_YMM_VNNI  0: vpmaddwd + vpaddd; 1: vpdpbusd / vpdpwssd (AVX-VNNI)
 *   CONV_YMM_INIT  the name of the dlic_nn_dsp init function.
 *
 * Layouts are in codec/nn/pack.h: 8 output channels per ymm, one dword of
 * input broadcast per step. Without VNNI every input is taken as s16 (2
 * channels a dword): vpmaddubsw would saturate its 16-bit pair sums
 * (255 * 127 * 2 > 32767), vpmaddwd's are exact. With VNNI, inputs in
 * [0, 255] (ReLU layers, pixels) go through vpdpbusd, 4 u8 x s8 products
 * per lane, and wider ones (the latents, SPEC §5.3) through vpdpwssd, as
 * in the AVX-512 kernel; neither saturates. SPEC §8.6 bounds |B| + every
 * partial sum below 2^31, so every order of summation is exact. AVX2 has
 * no 64-bit arithmetic shift, min or max, so the requantisation builds
 * them from logical shifts and compares; the result is the same 64-bit
 * rshr and clamp as the C code. */
#ifndef CONV_YMM_INIT
#error "define CONV_YMM_VNNI and CONV_YMM_INIT before including conv_ymm.h"
#endif

#include <immintrin.h>
#include <string.h>

#include "codec/nn/dsp.h"
#include "codec/nn/pack.h"

#define VL 8
#define MAXACC 12

/* 2 or 1 vectors of output channels times 6 or 12 pixels: 12 of 16 ymm. */
static const unsigned blocks[][2] = { { 2, 6 }, { 1, 12 } };

typedef struct kctx {
    const dlic_pack_q *q;
    const int32_t *w;
    unsigned k, s, cg, cout, c4, shuffle, wo;
    __m256i lo, hi;
} kctx;

static inline __m256i sra64(__m256i v, __m256i sh)
{
    /* floor(v / 2^sh) = ~(~v >> sh) for negative v. */
    const __m256i m = _mm256_cmpgt_epi64(_mm256_setzero_si256(), v);
    return _mm256_xor_si256(_mm256_srlv_epi64(_mm256_xor_si256(v, m), sh), m);
}

static inline __m256i clamp64(__m256i v, __m256i lo, __m256i hi)
{
    v = _mm256_blendv_epi8(v, lo, _mm256_cmpgt_epi64(lo, v));
    return _mm256_blendv_epi8(v, hi, _mm256_cmpgt_epi64(v, hi));
}

static inline __m128i requant(__m256i acc, const dlic_pack_q *q, __m256i lo, __m256i hi)
{
    const __m256i mul = _mm256_load_si256((const __m256i *)(const void *)q->mul);
    __m256i e = _mm256_mul_epi32(acc, mul);
    __m256i o = _mm256_mul_epi32(_mm256_srli_epi64(acc, 32), _mm256_srli_epi64(mul, 32));
    e = sra64(_mm256_add_epi64(e, _mm256_load_si256((const __m256i *)(const void *)q->rnd_e)),
              _mm256_load_si256((const __m256i *)(const void *)q->sh_e));
    o = sra64(_mm256_add_epi64(o, _mm256_load_si256((const __m256i *)(const void *)q->rnd_o)),
              _mm256_load_si256((const __m256i *)(const void *)q->sh_o));
    e = clamp64(e, lo, hi);
    o = clamp64(o, lo, hi);
    const __m256i r = _mm256_blend_epi32(e, _mm256_slli_epi64(o, 32), 0xAA);
    /* Values are within int16: the saturating pack is exact. */
    return _mm_packs_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
}

static inline void store(const kctx *c, __m128i v, unsigned b, unsigned x,
                         int16_t *o0, int16_t *o1)
{
    if (c->shuffle == 1) {
        if (b * VL >= c->cout)
            return;
        const unsigned n = c->cout - b * VL;
        int16_t *d = o0 + (size_t)x * c->cout + b * VL;
        if (n >= VL) {
            _mm_storeu_si128((__m128i *)(void *)d, v);
        } else {
            int16_t t[VL];
            _mm_storeu_si128((__m128i *)(void *)t, v);
            memcpy(d, t, n * sizeof(int16_t));
        }
    } else {
        /* Lanes [dy][dx][2 channels] (pack.h). */
        const unsigned c0 = b * (VL / 4);
        if (c0 >= c->c4)
            return;
        const size_t n = (c->c4 - c0 >= 2 ? 2 : 1) * sizeof(int16_t);
        int16_t t[VL];
        _mm_storeu_si128((__m128i *)(void *)t, v);
        const size_t x0 = 2 * (size_t)x * c->c4 + c0, x1 = x0 + c->c4;
        memcpy(o0 + x0, t + 0, n);
        memcpy(o0 + x1, t + 2, n);
        memcpy(o1 + x0, t + 4, n);
        memcpy(o1 + x1, t + 6, n);
    }
}

/* acc + the dot products of the dwords of x and w, lane by lane. */
static inline __m256i mac(__m256i acc, __m256i x, __m256i w, const int u8)
{
#if CONV_YMM_VNNI
    return u8 ? _mm256_dpbusd_avx_epi32(acc, x, w) : _mm256_dpwssd_avx_epi32(acc, x, w);
#else
    (void)u8;
    return _mm256_add_epi32(acc, _mm256_madd_epi16(x, w));
#endif
}

/* cob x px outputs: pixels x0 .. x0 + px - 1 of one row, output blocks
 * grp * cob .. grp * cob + cob - 1. rp[ky]: packed input rows. */
static inline __attribute__((always_inline)) void
block(const kctx *c, const uint8_t *const *rp, unsigned grp, unsigned x0,
      int16_t *o0, int16_t *o1, const unsigned cob, const unsigned px, const int u8)
{
    __m256i acc[MAXACC];
    const dlic_pack_q *q = c->q + (size_t)grp * cob;
#pragma GCC unroll 2
    for (unsigned j = 0; j < cob; j++) {
        const __m256i b = _mm256_load_si256((const __m256i *)(const void *)q[j].bias);
#pragma GCC unroll 12
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
                __m256i w[2];
#pragma GCC unroll 2
                for (unsigned j = 0; j < cob; j++)
                    w[j] = _mm256_load_si256((const __m256i *)(const void *)(wp + j * VL));
#pragma GCC unroll 12
                for (unsigned p = 0; p < px; p++) {
                    const __m256i b = _mm256_set1_epi32(ip[p * pstep]);
#pragma GCC unroll 2
                    for (unsigned j = 0; j < cob; j++)
                        acc[p * cob + j] = mac(acc[p * cob + j], b, w[j], u8);
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
BLOCK(2, 6, 0)
BLOCK(1, 12, 0)
#if CONV_YMM_VNNI
BLOCK(2, 6, 1)
BLOCK(1, 12, 1)
#endif

/* [u8 input][cob == 2]; without VNNI every layer takes s16 input. */
static const block_fn block_fns[1 + CONV_YMM_VNNI][2] = {
    { block_1_0, block_2_0 },
#if CONV_YMM_VNNI
    { block_1_1, block_2_1 },
#endif
};

static block_fn pick_block(const dlic_pack_cfg *cfg)
{
    return block_fns[CONV_YMM_VNNI && cfg->g == 4][cfg->cob == 2];
}

#define CONV_GLUE_VL VL
#define CONV_GLUE_U8 CONV_YMM_VNNI
#define CONV_GLUE_BLOCKS blocks
#define CONV_GLUE_SPLAT64 _mm256_set1_epi64x
#define CONV_GLUE_INIT CONV_YMM_INIT
#include "codec/nn/conv_glue_tmpl.h"
