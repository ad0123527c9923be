/* Float convolution for latent refinement, AVX-512 (vectors of 16): the
 * same sums as dlic_fconv_c(), in the same order. */
#define FCONV_VW 16
#define FCONV_PB 8
#define FCONV_NAME dlic_fconv_avx512
#include "codec/nn/fconv_tmpl.h"
