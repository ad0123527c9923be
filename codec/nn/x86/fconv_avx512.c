/* Float convolution for latent refinement, AVX-512 (vectors of 16, blocks
 * of 8 pixels): the same sums as dlic_fconv_c(), in the same order. */
#include <immintrin.h>

#define FCONV_VW 16
#define FCONV_PB 8
#define FCONV_NAME dlic_fconv_avx512
#define FCONV_FMA(acc, x, w) \
    ((acc) = (fvec)_mm512_fmadd_ps(_mm512_set1_ps(x), (__m512)(w), (__m512)(acc)))
#include "codec/nn/fconv_tmpl.h"
