/* Float convolution kernel of the encoder's latent refinement
 * (codec/enc/gsgrad.c), instantiated per vector width: FCONV_VW floats a
 * vector, FCONV_NAME the function. Blocks of 4 pixels x 2 vectors of output
 * channels stay in registers; every output is summed in one fixed order
 * (bias, then ky, kx, input channel), whatever the width, and products are
 * never fused into FMAs, so every instantiation gives the same bits. */
#ifndef FCONV_NAME
#error "define FCONV_VW and FCONV_NAME before including fconv_tmpl.h"
#endif

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

/* One output pixel, channels [o0, o1), in the same order. */
static void pixel(const dlic_fconv_args *a, size_t y, size_t x, unsigned o0, unsigned o1)
{
    const unsigned cin = a->cin, cout = a->cout, k = a->k;
    const size_t wi = a->w + k - 1;
    float *acc = a->out + (y * a->w + x) * cout;
    for (unsigned o = o0; o < o1; o++)
        acc[o] = a->bias ? a->bias[o] : 0.0f;
    for (unsigned ky = 0; ky < k; ky++)
        for (unsigned kx = 0; kx < k; kx++) {
            const float *in = a->in + ((y + ky) * wi + x + kx) * cin;
            const float *wk = a->wt + (size_t)(ky * k + kx) * cin * cout;
            for (unsigned c = 0; c < cin; c++)
                for (unsigned o = o0; o < o1; o++) {
                    const float p = in[c] * wk[(size_t)c * cout + o];
                    acc[o] += p;
                }
        }
}

void FCONV_NAME(const dlic_fconv_args *a, size_t y0, size_t y1)
{
    const unsigned cin = a->cin, cout = a->cout, k = a->k, ob = cout / OB * OB;
    const size_t wi = a->w + k - 1, xb = a->w / 4 * 4;
    for (size_t y = y0; y < y1; y++) {
        for (size_t x = 0; x < xb; x += 4)
            for (unsigned o = 0; o < ob; o += OB) {
                fvec b0 = { 0 }, b1 = { 0 };
                if (a->bias) {
                    LOADV(b0, a->bias + o);
                    LOADV(b1, a->bias + o + FCONV_VW);
                }
                fvec a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1,
                     a30 = b0, a31 = b1;
                for (unsigned ky = 0; ky < k; ky++)
                    for (unsigned kx = 0; kx < k; kx++) {
                        const float *in = a->in + ((y + ky) * wi + x + kx) * cin;
                        const float *wk = a->wt + (size_t)(ky * k + kx) * cin * cout + o;
                        for (unsigned c = 0; c < cin; c++, wk += cout) {
                            fvec w0, w1, p;
                            LOADV(w0, wk);
                            LOADV(w1, wk + FCONV_VW);
                            const float x0 = in[c], x1 = in[cin + c], x2 = in[2 * cin + c],
                                        x3 = in[3 * cin + c];
                            p = x0 * w0; a00 += p;
                            p = x0 * w1; a01 += p;
                            p = x1 * w0; a10 += p;
                            p = x1 * w1; a11 += p;
                            p = x2 * w0; a20 += p;
                            p = x2 * w1; a21 += p;
                            p = x3 * w0; a30 += p;
                            p = x3 * w1; a31 += p;
                        }
                    }
                float *out = a->out + (y * a->w + x) * cout + o;
                STOREV(out, a00);
                STOREV(out + FCONV_VW, a01);
                STOREV(out + cout, a10);
                STOREV(out + cout + FCONV_VW, a11);
                STOREV(out + 2 * cout, a20);
                STOREV(out + 2 * cout + FCONV_VW, a21);
                STOREV(out + 3 * cout, a30);
                STOREV(out + 3 * cout + FCONV_VW, a31);
            }
        for (size_t x = 0; x < a->w; x++)
            if (x >= xb || ob < cout)
                pixel(a, y, x, x >= xb ? 0 : ob, cout);
    }
}
