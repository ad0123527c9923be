/* The convolution of conv_c.c with WebAssembly SIMD128 dot products
 * (i16x8.load8x8_s then i32x4.dot_i16x8_s, eight products a step): the same
 * int32 sums, so the same bits (the Node conformance run, tests/cli/wasm.sh,
 * checks every stream). Built only by `make wasm` with -msimd128.
 *
 * Pixels whose whole k x k window lies inside the input, in pairs, with
 * cin a multiple of 8 (every layer a decoder runs) take a register-blocked
 * path: 4 output channels x 2 pixels in 8 accumulators, so each input
 * vector is loaded once for 4 channels and each weight vector once for 2
 * pixels, and the horizontal sums wait until the end of the window. The
 * other pixels take conv_tmpl.h's per-pixel path. */
#include <stddef.h>
#include <stdint.h>
#include <wasm_simd128.h>

#include "codec/nn/dsp.h"

static inline int32_t dot_simd128(const int8_t *w, const int16_t *x, size_t n)
{
    v128_t acc = wasm_i32x4_splat(0);
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(w + i),
                                                       wasm_v128_load(x + i)));
    int32_t s = wasm_i32x4_extract_lane(acc, 0) + wasm_i32x4_extract_lane(acc, 1) +
                wasm_i32x4_extract_lane(acc, 2) + wasm_i32x4_extract_lane(acc, 3);
    for (; i < n; i++)
        s += w[i] * x[i];
    return s;
}

#define CONV_NAME conv_pixelwise
#define CONV_DOT dot_simd128
#define CONV_LINKAGE static
#include "codec/nn/conv_tmpl.h"

static inline int32_t hsum(v128_t v)
{
    return wasm_i32x4_extract_lane(v, 0) + wasm_i32x4_extract_lane(v, 1) +
           wasm_i32x4_extract_lane(v, 2) + wasm_i32x4_extract_lane(v, 3);
}

/* Outputs [o0, o1) of pixels x and x + 1, whose windows are whole; rows[ky]
 * as in conv_tmpl.h, for every ky < k. */
static void pixel_pair(const dlic_conv_args *a, const int16_t *const *rows,
                       int16_t *out0, int16_t *out1, unsigned x, unsigned o0, unsigned o1)
{
    const dlic_layer *l = a->l;
    const unsigned k = l->k, cin = l->cin;
    const size_t n = (size_t)k * cin, wout = n * k;
    const size_t ia = ((size_t)x * l->stride - (k - 1) / 2) * cin;   /* >= 0 */
    const size_t ib = ia + (size_t)l->stride * cin;
    unsigned o = o0;
    for (; o + 4 <= o1; o += 4) {
        v128_t acc[4][2];
        for (unsigned j = 0; j < 4; j++)
            acc[j][0] = acc[j][1] = wasm_i32x4_splat(0);
        const int8_t *w = l->w + (size_t)o * wout;
        for (unsigned ky = 0; ky < k; ky++, w += n) {
            const int16_t *xa = rows[ky] + ia, *xb = rows[ky] + ib;
            for (size_t i = 0; i < n; i += 8) {
                const v128_t va = wasm_v128_load(xa + i), vb = wasm_v128_load(xb + i);
                for (unsigned j = 0; j < 4; j++) {
                    const v128_t vw = wasm_i16x8_load8x8(w + j * wout + i);
                    acc[j][0] = wasm_i32x4_add(acc[j][0], wasm_i32x4_dot_i16x8(vw, va));
                    acc[j][1] = wasm_i32x4_add(acc[j][1], wasm_i32x4_dot_i16x8(vw, vb));
                }
            }
        }
        for (unsigned j = 0; j < 4; j++) {
            conv_pixelwise_store(l, out0, out1, x, o + j, l->bias[o + j] + hsum(acc[j][0]));
            conv_pixelwise_store(l, out0, out1, x + 1, o + j, l->bias[o + j] + hsum(acc[j][1]));
        }
    }
    for (; o < o1; o++) {
        v128_t va = wasm_i32x4_splat(0), vb = va;
        const int8_t *w = l->w + (size_t)o * wout;
        for (unsigned ky = 0; ky < k; ky++, w += n)
            for (size_t i = 0; i < n; i += 8) {
                const v128_t vw = wasm_i16x8_load8x8(w + i);
                va = wasm_i32x4_add(va, wasm_i32x4_dot_i16x8(vw, wasm_v128_load(rows[ky] + ia + i)));
                vb = wasm_i32x4_add(vb, wasm_i32x4_dot_i16x8(vw, wasm_v128_load(rows[ky] + ib + i)));
            }
        conv_pixelwise_store(l, out0, out1, x, o, l->bias[o] + hsum(va));
        conv_pixelwise_store(l, out0, out1, x + 1, o, l->bias[o] + hsum(vb));
    }
}

void dlic_conv_simd128(const dlic_conv_args *a, unsigned y0, unsigned y1, void *scratch)
{
    const dlic_layer *l = a->l;
    const unsigned k = l->k, s = l->stride, p = (k - 1) / 2;
    if (l->cin % 8) {
        conv_pixelwise(a, y0, y1, scratch);
        return;
    }
    unsigned o0, o1;
    dlic_conv_slice(a, l->cout, &o0, &o1);
    /* pixels x with a whole window: x s >= p and x s - p + k <= w */
    const unsigned xa = (p + s - 1) / s;
    const unsigned xb = a->w + p >= k ? (a->w + p - k) / s + 1 : 0;  /* exclusive */
    for (unsigned y = y0; y < y1; y++) {
        const long iy = (long)y * s - (long)p;
        if (iy < 0 || iy + (long)k > (long)a->h || xb <= xa) {
            conv_pixelwise(a, y, y + 1, scratch);
            continue;
        }
        const int16_t *rows[5];
        for (unsigned ky = 0; ky < k; ky++)
            rows[ky] = dlic_conv_src_row(a, (unsigned)(iy + (long)ky));
        int16_t *out0 = dlic_conv_dst_row(a, y * l->shuffle);
        int16_t *out1 = l->shuffle == 2 ? dlic_conv_dst_row(a, 2 * y + 1) : NULL;
        const unsigned end = xb < a->wo ? xb : a->wo;
        for (unsigned x = 0; x < a->wo; x++) {
            if (x >= xa && x + 1 < end) {
                pixel_pair(a, rows, out0, out1, x, o0, o1);
                x++;
                continue;
            }
            const long ix = (long)x * s - (long)p;
            const long xr = (long)a->w - ix;
            conv_pixelwise_pixel(a, rows, out0, out1, x, 0, k, ix < 0 ? (unsigned)-ix : 0,
                                 xr < (long)k ? (unsigned)xr : k);
        }
    }
}

void dlic_nn_dsp_init_simd128(dlic_nn_dsp *dsp)
{
    for (unsigned ki = 0; ki < 3; ki++)
        for (unsigned si = 0; si < 2; si++)
            dsp->conv[ki][si] = dlic_conv_simd128;
}
