/* Float convolution for latent refinement, AVX2 with FMA (vectors of 8):
 * the same sums as dlic_fconv_c(), in the same order. */
#include <immintrin.h>

#define FCONV_VW 8
#define FCONV_NAME dlic_fconv_avx2
#define FCONV_FMA(acc, x, w) \
    ((acc) = (fvec)_mm256_fmadd_ps(_mm256_set1_ps(x), (__m256)(w), (__m256)(acc)))
#include "codec/nn/fconv_tmpl.h"
