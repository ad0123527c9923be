/* Portable C convolution kernel (SPEC §5.2), the reference that every SIMD
 * kernel must match bit for bit. */
/* The dot product below has a run-time trip count, which GCC's default -O2
 * cost model ("very cheap") refuses to vectorise; this file is the hot
 * path whenever no SIMD kernel applies, and the vectorised loop is about
 * twice as fast. Must precede the includes so inline helpers match. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic")
#endif

#include <stddef.h>

#include "codec/common/common.h"
#include "codec/nn/dsp.h"

/* |partial sums| <= |acc| bound of SPEC §8.6, so int32 never overflows
 * whatever order the compiler sums in. */
static inline int32_t dot(const int8_t *w, const int16_t *x, size_t n)
{
    int32_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += w[i] * x[i];
    return s;
}

static inline int16_t requant(int32_t acc, uint32_t mul, unsigned sh, int lo, int hi)
{
    /* SPEC §8.6: acc * MUL fits an i64; SH <= 62 keeps the rounding term in. */
    int64_t v = dlic_rshr64((int64_t)acc * mul, sh);
    return (int16_t)(v < lo ? lo : v > hi ? hi : v);
}

/* All cout outputs of one V pixel, with the taps limited to the in-bounds
 * window [ky0, ky1) x [kx0, kx1): zero padding contributes nothing, and
 * because the weights are [cout][k][k][cin] and the input is channels-last,
 * each kernel row of the window is one contiguous dot product. */
static inline void conv_pixel(const dlic_conv_args *a, unsigned y, unsigned x,
                              unsigned ky0, unsigned ky1,
                              unsigned kx0, unsigned kx1)
{
    const dlic_layer *l = a->l;
    const unsigned k = l->k, s = l->stride, cin = l->cin, cout = l->cout;
    const ptrdiff_t p = (ptrdiff_t)(k - 1) / 2;
    const ptrdiff_t iy = (ptrdiff_t)y * s + ky0 - p;
    const ptrdiff_t ix = (ptrdiff_t)x * s + kx0 - p;
    const size_t istep = (size_t)a->w * cin;
    const int16_t *in = a->src + (size_t)iy * istep + (size_t)ix * cin;
    const size_t n = (size_t)(kx1 - kx0) * cin;
    const size_t wrow = (size_t)k * cin, wout = wrow * k;
    const int8_t *wt = l->w + (size_t)ky0 * wrow + (size_t)kx0 * cin;
    const unsigned nky = ky1 - ky0;

    if (l->shuffle == 1) {
        int16_t *out = a->dst + ((size_t)y * a->wo + x) * cout;
        for (unsigned o = 0; o < cout; o++) {
            const int8_t *wp = wt + o * wout;
            const int16_t *ip = in;
            int32_t acc = l->bias[o];
            for (unsigned r = 0; r < nky; r++, wp += wrow, ip += istep)
                acc += dot(wp, ip, n);
            out[o] = requant(acc, l->mul[o], l->shift[o], l->lo, l->hi);
        }
    } else {
        /* SPEC §5.2 pixel shuffle: V[y][x][4c + 2dy + dx] -> U[2y+dy][2x+dx][c]. */
        const size_t c4 = cout / 4, urow = (size_t)2 * a->wo * c4;
        int16_t *out = a->dst + (size_t)2 * y * urow + (size_t)2 * x * c4;
        for (unsigned o = 0; o < cout; o++) {
            const int8_t *wp = wt + o * wout;
            const int16_t *ip = in;
            int32_t acc = l->bias[o];
            for (unsigned r = 0; r < nky; r++, wp += wrow, ip += istep)
                acc += dot(wp, ip, n);
            out[((o >> 1) & 1) * urow + (o & 1) * c4 + (o >> 2)] =
                requant(acc, l->mul[o], l->shift[o], l->lo, l->hi);
        }
    }
}

void dlic_conv_c(const dlic_conv_args *a, unsigned y0, unsigned y1)
{
    const dlic_layer *l = a->l;
    const unsigned k = l->k, s = l->stride;
    const unsigned p = (k - 1) / 2;
    /* Columns [xa, xb) have every tap inside the input: x*s >= p and
     * x*s - p + k <= w. */
    unsigned xa = (p + s - 1) / s, xb;
    if (a->w + p < k)
        xb = 0;
    else
        xb = (a->w + p - k) / s + 1;
    if (xa > a->wo)
        xa = a->wo;
    if (xb > a->wo)
        xb = a->wo;
    if (xb < xa)
        xb = xa;

    for (unsigned y = y0; y < y1; y++) {
        const long iy = (long)y * s - (long)p;   /* input row of tap ky = 0 */
        const unsigned ky0 = iy < 0 ? (unsigned)-iy : 0;
        const long rem = (long)a->h - iy;
        const unsigned ky1 = rem < (long)k ? (unsigned)rem : k;
        for (unsigned x = 0; x < xa; x++) {
            const long ix = (long)x * s - (long)p;
            const long xr = (long)a->w - ix;
            conv_pixel(a, y, x, ky0, ky1, ix < 0 ? (unsigned)-ix : 0,
                       xr < (long)k ? (unsigned)xr : k);
        }
        for (unsigned x = xa; x < xb; x++)
            conv_pixel(a, y, x, ky0, ky1, 0, k);
        for (unsigned x = xb; x < a->wo; x++) {
            const long ix = (long)x * s - (long)p;
            const long xr = (long)a->w - ix;
            conv_pixel(a, y, x, ky0, ky1, ix < 0 ? (unsigned)-ix : 0,
                       xr < (long)k ? (unsigned)xr : k);
        }
    }
}

void dlic_nn_dsp_init(dlic_nn_dsp *dsp, unsigned cpu_flags)
{
    for (unsigned ki = 0; ki < 3; ki++)
        for (unsigned si = 0; si < 2; si++)
            dsp->conv[ki][si] = dlic_conv_c;
    /* SIMD hook: the x86 kernels (codec/nn/x86/conv_avx2.c, conv_avx512.c)
     * will override entries here, in ascending ISA order:
     *   if (cpu_flags & DLIC_CPU_AVX2)   dlic_nn_dsp_init_avx2(dsp);
     *   if (cpu_flags & DLIC_CPU_AVX512) dlic_nn_dsp_init_avx512(dsp); */
    (void)cpu_flags;
}
