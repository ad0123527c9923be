/* The convolution of conv_c.c with a WebAssembly SIMD128 dot product
 * (i16x8.load8x8_s then i32x4.dot_i16x8_s, eight products a step): the same
 * int32 sums, so the same bits (the Node conformance run, tests/cli/wasm.sh,
 * checks every stream). Built only by `make wasm` with -msimd128. */
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

#define CONV_NAME dlic_conv_simd128
#define CONV_DOT dot_simd128
#include "codec/nn/conv_tmpl.h"

void dlic_nn_dsp_init_simd128(dlic_nn_dsp *dsp)
{
    for (unsigned ki = 0; ki < 3; ki++)
        for (unsigned si = 0; si < 2; si++)
            dsp->conv[ki][si] = dlic_conv_simd128;
}
