/* The portable convolution (SPEC §5.2) as a template: a kernel that
 * differs only in its dot product (the C reference, conv_c.c) includes it
 * after defining CONV_NAME (the kernel's name) and CONV_DOT(w, x, n) (the
 * int32 sum of n int8 x int16 products; any order: SPEC §8.6 bounds every
 * partial sum). The SIMD kernels (x86/, wasm/) use pack.h's layouts and
 * conv_glue_tmpl.h instead. */
#include <stddef.h>

#include "core/common.h"
#include "codec/nn/dsp.h"

#define CONV_CAT_(a, b) a##b
#define CONV_CAT(a, b) CONV_CAT_(a, b)
#define CONV_PIXEL CONV_CAT(CONV_NAME, _pixel)
#define CONV_REQUANT CONV_CAT(CONV_NAME, _requant)
#define CONV_STORE CONV_CAT(CONV_NAME, _store)

static inline int16_t CONV_REQUANT(int32_t acc, uint32_t mul, unsigned sh, int lo, int hi)
{
    /* SPEC §8.6: acc * MUL fits an i64; SH <= 62 keeps the rounding term in. */
    int64_t v = dlic_rshr64((int64_t)acc * mul, sh);
    return (int16_t)(v < lo ? lo : v > hi ? hi : v);
}

/* Output o of V pixel x from its int32 sum (bias included): requantised
 * and stored, through the pixel shuffle (SPEC §5.2: V[y][x][4c + 2dy + dx]
 * -> U[2y+dy][2x+dx][c]) when the layer has one; out0/out1 as below. */
static inline void CONV_STORE(const dlic_layer *l, int16_t *out0, int16_t *out1, unsigned x,
                              unsigned o, int32_t acc)
{
    const int16_t v = CONV_REQUANT(acc, l->mul[o], l->shift[o], l->lo, l->hi);
    if (l->shuffle == 1) {
        out0[(size_t)x * l->cout + o] = v;
    } else {
        const size_t c4 = l->cout / 4;
        int16_t *out = (o >> 1) & 1 ? out1 : out0;
        out[(2 * (size_t)x + (o & 1)) * c4 + (o >> 2)] = v;
    }
}

/* All cout outputs of one V pixel, with the taps limited to the in-bounds
 * window [ky0, ky1) x [kx0, kx1): zero padding contributes nothing, and
 * because the weights are [cout][k][k][cin] and the input is channels-last,
 * each kernel row of the window is one contiguous dot product. rows[ky] is
 * input row y*s + ky - p (valid for ky in [ky0, ky1)); out0/out1 are the
 * output rows (out1: the second U row of a shuffle). */
static inline void CONV_PIXEL(const dlic_conv_args *a, const int16_t *const *rows,
                              int16_t *out0, int16_t *out1, unsigned x,
                              unsigned ky0, unsigned ky1,
                              unsigned kx0, unsigned kx1)
{
    const dlic_layer *l = a->l;
    const unsigned k = l->k, s = l->stride, cin = l->cin, cout = l->cout;
    const ptrdiff_t p = (ptrdiff_t)(k - 1) / 2;
    const ptrdiff_t ix = (ptrdiff_t)x * s + kx0 - p;
    const size_t n = (size_t)(kx1 - kx0) * cin;
    const size_t wrow = (size_t)k * cin, wout = wrow * k;
    const int8_t *wt = l->w + (size_t)ky0 * wrow + (size_t)kx0 * cin;
    unsigned o0, o1;
    dlic_conv_slice(a, cout, &o0, &o1);

    for (unsigned o = o0; o < o1; o++) {
        const int8_t *wp = wt + o * wout;
        int32_t acc = l->bias[o];
        for (unsigned r = ky0; r < ky1; r++, wp += wrow)
            acc += CONV_DOT(wp, rows[r] + ix * cin, n);
        CONV_STORE(l, out0, out1, x, o, acc);
    }
}

void CONV_NAME(const dlic_conv_args *a, unsigned y0, unsigned y1, void *scratch)
{
    const dlic_layer *l = a->l;
    const unsigned k = l->k, s = l->stride;
    const unsigned p = (k - 1) / 2;
    (void)scratch;
    for (unsigned y = y0; y < y1; y++) {
        const long iy = (long)y * s - (long)p;   /* input row of tap ky = 0 */
        const unsigned ky0 = iy < 0 ? (unsigned)-iy : 0;
        const long rem = (long)a->h - iy;
        const unsigned ky1 = rem < (long)k ? (unsigned)rem : k;
        const int16_t *rows[5] = { NULL };
        for (unsigned ky = ky0; ky < ky1; ky++)
            rows[ky] = dlic_conv_src_row(a, (unsigned)(iy + (long)ky));
        int16_t *out0 = dlic_conv_dst_row(a, y * l->shuffle);
        int16_t *out1 = l->shuffle == 2 ? dlic_conv_dst_row(a, 2 * y + 1) : NULL;
        for (unsigned x = 0; x < a->wo; x++) {
            const long ix = (long)x * s - (long)p;
            const long xr = (long)a->w - ix;
            CONV_PIXEL(a, rows, out0, out1, x, ky0, ky1, ix < 0 ? (unsigned)-ix : 0,
                       xr < (long)k ? (unsigned)xr : k);
        }
    }
}
