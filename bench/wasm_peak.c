/* The WebAssembly SIMD128 counterpart of `speed peak` (bench/speed.c): the
 * multiply-add throughput of one core with i32x4.dot_i16x8_s then
 * i32x4.add, the instruction pair of the decoder's SIMD128 kernel
 * (codec/nn/wasm/conv_simd128.c). Six independent accumulators and six
 * weight vectors stay in registers; one input vector a step comes from a
 * small array in L1, as in a convolution. Built standalone (no runtime) by
 * `make wasm-peak`; bench/wasm_peak.mjs calls wasm_peak_run() and times it
 * (in Node, or in a page). */
#include <stdint.h>
#include <wasm_simd128.h>

static int16_t x[512];
static v128_t acc[6], w[6];

int32_t wasm_peak_run(int32_t iters, int32_t seed);

/* iters steps of 48 multiply-adds (6 dot products of 8); returns a lane of
 * the sums so that nothing is optimised away. */
__attribute__((export_name("wasm_peak_run")))
int32_t wasm_peak_run(int32_t iters, int32_t seed)
{
    if (seed) {
        for (int i = 0; i < 512; i++)
            x[i] = (int16_t)(i * 7 + seed);
        for (int j = 0; j < 6; j++) {
            w[j] = wasm_v128_load(x + 8 * (j + 1));
            acc[j] = wasm_i32x4_splat(0);
        }
    }
    v128_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], a4 = acc[4], a5 = acc[5];
    const v128_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5];
    for (int32_t i = 0; i < iters; i++) {
        const v128_t v = wasm_v128_load(x + ((i * 8) & 511));
        a0 = wasm_i32x4_add(a0, wasm_i32x4_dot_i16x8(w0, v));
        a1 = wasm_i32x4_add(a1, wasm_i32x4_dot_i16x8(w1, v));
        a2 = wasm_i32x4_add(a2, wasm_i32x4_dot_i16x8(w2, v));
        a3 = wasm_i32x4_add(a3, wasm_i32x4_dot_i16x8(w3, v));
        a4 = wasm_i32x4_add(a4, wasm_i32x4_dot_i16x8(w4, v));
        a5 = wasm_i32x4_add(a5, wasm_i32x4_dot_i16x8(w5, v));
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3, acc[4] = a4, acc[5] = a5;
    return wasm_i32x4_extract_lane(wasm_i32x4_add(a0, a5), 0);
}
