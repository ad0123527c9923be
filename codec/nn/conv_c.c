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
#include <string.h>

#include "core/common.h"
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

#define CONV_NAME dlic_conv_c
#define CONV_DOT dot
#include "codec/nn/conv_tmpl.h"

void dlic_nn_dsp_init(dlic_nn_dsp *dsp, unsigned cpu_flags)
{
    memset(dsp, 0, sizeof(*dsp));       /* padding too: tables compare whole */
    dlic_nn_dsp_set(dsp, dlic_conv_c, NULL, NULL, NULL);
    dsp->cpu_flags = cpu_flags;
#if defined(__x86_64__) || defined(__i386__)
    if (cpu_flags & DLIC_CPU_AVX2)
        dlic_nn_dsp_init_avx2(dsp);
    if (cpu_flags & DLIC_CPU_AVXVNNI)
        dlic_nn_dsp_init_avxvnni(dsp);
    if (cpu_flags & DLIC_CPU_AVX512)
        dlic_nn_dsp_init_avx512(dsp);
#elif defined(__wasm_simd128__)
    if (cpu_flags & DLIC_CPU_SIMD128)
        dlic_nn_dsp_init_simd128(dsp);
#else
    (void)cpu_flags;
#endif
}
