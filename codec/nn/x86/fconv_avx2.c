/* Float convolution for latent refinement, AVX2 (vectors of 8): the same
 * sums as dlic_fconv_c(), in the same order. */
#define FCONV_VW 8
#define FCONV_NAME dlic_fconv_avx2
#include "codec/nn/fconv_tmpl.h"
