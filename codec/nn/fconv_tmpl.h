/* Float convolution kernel of the encoder's latent refinement
 * (codec/enc/gsgrad.c), instantiated per vector width: FCONV_VW floats a
 * vector, FCONV_NAME the function, FCONV_FMA(acc, x, w) the fused
 * acc = x * w + acc of a vector (one rounding: fmaf() per lane, or the
 * FMA instruction). Blocks of 4 or 8 pixels x 2 vectors of output channels
 * stay in registers; every output is summed in one fixed order (bias,
 * then ky, kx, input channel), whatever the width, with every product
 * fused into its sum, so every instantiation gives the same bits. */
#ifndef FCONV_NAME
#error "define FCONV_VW and FCONV_NAME before including fconv_tmpl.h"
#endif

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codec/nn/dsp.h"

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

typedef float fvec __attribute__((vector_size(FCONV_VW * 4)));

#define OB (2 * FCONV_VW)       /* output channels a block */
/* (a macro: a function returning a vector would change ABI across ISAs) */
#define LOADV(v, p) memcpy(&(v), (p), sizeof(fvec))
#define STOREV(p, v) memcpy((p), &(v), sizeof(fvec))

/* One output pixel, channels [o0, o1), in the same order; the sums stay
 * in a local array, which the output cannot alias. */
static void pixel(const dlic_fconv_args *a, size_t y, size_t x, unsigned o0, unsigned o1)
{
    const unsigned cin = a->cin, cout = a->cout, k = a->k;
    const size_t wi = a->w + k - 1;
    float acc[OB];
    for (unsigned ob = o0; ob < o1; ob += OB) {
        const unsigned n = o1 - ob < OB ? o1 - ob : OB;
        for (unsigned o = 0; o < n; o++)
            acc[o] = a->bias ? a->bias[ob + o] : 0.0f;
        for (unsigned ky = 0; ky < k; ky++)
            for (unsigned kx = 0; kx < k; kx++) {
                const float *in = a->in + ((y + ky) * wi + x + kx) * cin;
                const float *wk = a->wt + (size_t)(ky * k + kx) * cin * cout + ob;
                for (unsigned c = 0; c < cin; c++)
                    for (unsigned o = 0; o < n; o++) {
                        acc[o] = fmaf(in[c], wk[(size_t)c * cout + o], acc[o]);
                    }
            }
        memcpy(a->out + (y * a->w + x) * cout + ob, acc, n * sizeof(float));
    }
}

/* Pixels x .. x + 3 of row y, channels [o, o + n) with n <= FCONV_VW (the
 * channels the blocks of OB leave over), in the same order; wp holds
 * their weights [k][k][cin][FCONV_VW], zero beyond n. */
static void tail4(const dlic_fconv_args *a, const float *wp, size_t y, size_t x, unsigned o,
                  unsigned n)
{
    const unsigned cin = a->cin, cout = a->cout, k = a->k;
    const size_t wi = a->w + k - 1;
    fvec b = { 0 };
    if (a->bias)
        memcpy(&b, a->bias + o, n * sizeof(float));
    fvec a0 = b, a1 = b, a2 = b, a3 = b;
    for (unsigned ky = 0; ky < k; ky++)
        for (unsigned kx = 0; kx < k; kx++) {
            const float *in = a->in + ((y + ky) * wi + x + kx) * cin;
            const float *wk = wp + (size_t)(ky * k + kx) * cin * FCONV_VW;
            for (unsigned c = 0; c < cin; c++, wk += FCONV_VW) {
                fvec w;
                LOADV(w, wk);
                FCONV_FMA(a0, in[c], w);
                FCONV_FMA(a1, in[cin + c], w);
                FCONV_FMA(a2, in[2 * cin + c], w);
                FCONV_FMA(a3, in[3 * cin + c], w);
            }
        }
    float *out = a->out + (y * a->w + x) * cout + o;
    memcpy(out, &a0, n * sizeof(float));
    memcpy(out + cout, &a1, n * sizeof(float));
    memcpy(out + 2 * cout, &a2, n * sizeof(float));
    memcpy(out + 3 * cout, &a3, n * sizeof(float));
}

/* The weights of output channels [o, o + n) as tail4() reads them. */
static void pack_tail(const dlic_fconv_args *a, float *wp, unsigned o, unsigned n)
{
    const size_t taps = (size_t)a->k * a->k * a->cin;
    memset(wp, 0, taps * FCONV_VW * sizeof(float));
    for (size_t t = 0; t < taps; t++)
        memcpy(wp + t * FCONV_VW, a->wt + t * a->cout + o, n * sizeof(float));
}

/* Pixels x .. x + np - 1 of row y (np <= 8, a constant once inlined),
 * output channels [o, o + OB): the sums stay in registers. */
static inline __attribute__((always_inline)) void block(const dlic_fconv_args *a,
                                                        const float *wt, size_t ws, size_t y,
                                                        size_t x, unsigned o, const unsigned np)
{
    const unsigned cin = a->cin, cout = a->cout, k = a->k;
    const size_t wi = a->w + k - 1;
    fvec b0 = { 0 }, b1 = { 0 }, acc0[8], acc1[8];
    if (a->bias) {
        LOADV(b0, a->bias + o);
        LOADV(b1, a->bias + o + FCONV_VW);
    }
#pragma GCC unroll 8
    for (unsigned p = 0; p < np; p++) {
        acc0[p] = b0;
        acc1[p] = b1;
    }
    for (unsigned ky = 0; ky < k; ky++)
        for (unsigned kx = 0; kx < k; kx++) {
            const float *in = a->in + ((y + ky) * wi + x + kx) * cin;
            const float *wk = wt + (size_t)(ky * k + kx) * cin * ws;
            for (unsigned c = 0; c < cin; c++, wk += ws) {
                fvec w0, w1;
                LOADV(w0, wk);
                LOADV(w1, wk + FCONV_VW);
#pragma GCC unroll 8
                for (unsigned p = 0; p < np; p++) {
                    const float v = in[p * cin + c];
                    FCONV_FMA(acc0[p], v, w0);
                    FCONV_FMA(acc1[p], v, w1);
                }
            }
        }
    float *out = a->out + (y * a->w + x) * cout + o;
#pragma GCC unroll 8
    for (unsigned p = 0; p < np; p++) {
        STOREV(out + p * cout, acc0[p]);
        STOREV(out + p * cout + FCONV_VW, acc1[p]);
    }
}

/* Pixels a block: 8 where there are registers for 16 accumulators. */
#ifndef FCONV_PB
#define FCONV_PB 4
#endif

void FCONV_NAME(const dlic_fconv_args *a, size_t y0, size_t y1)
{
    const unsigned cout = a->cout, ob = cout / OB * OB;
    const size_t xw = a->w / FCONV_PB * FCONV_PB, xb = a->w / 4 * 4;
    const size_t taps = (size_t)a->k * a->k * a->cin;
    /* A block of OB output channels at a time, its weights packed
     * [k][k][cin][OB] so that they stream in order (or read in place, a
     * row of cout apart, when there is no memory for them) */
    float *wp = malloc(taps * OB * sizeof(float));
    for (unsigned o = 0; o < ob; o += OB) {
        const float *wt = a->wt + o;
        size_t ws = cout;
        if (wp) {
            for (size_t t = 0; t < taps; t++)
                memcpy(wp + t * OB, a->wt + t * cout + o, OB * sizeof(float));
            wt = wp;
            ws = OB;
        }
        for (size_t y = y0; y < y1; y++) {
            for (size_t x = 0; x < xw; x += FCONV_PB)
                block(a, wt, ws, y, x, o, FCONV_PB);
            for (size_t x = xw; x < xb; x += 4)
                block(a, wt, ws, y, x, o, 4);
        }
    }
    for (size_t y = y0; y < y1; y++)
        for (size_t x = xb; x < a->w; x++)
            pixel(a, y, x, 0, cout);
    /* the channels left over, a vector at a time with packed weights
     * (or pixel by pixel when there is no memory for them) */
    for (unsigned o = ob; o < cout; o += FCONV_VW) {
        const unsigned n = cout - o < FCONV_VW ? cout - o : FCONV_VW;
        if (wp)
            pack_tail(a, wp, o, n);
        for (size_t y = y0; y < y1; y++)
            for (size_t x = 0; x < xb; x += 4) {
                if (wp)
                    tail4(a, wp, y, x, o, n);
                else
                    for (unsigned i = 0; i < 4; i++)
                        pixel(a, y, x + i, o, o + n);
            }
    }
    free(wp);
}
