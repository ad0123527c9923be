/* Float convolution for latent refinement, portable (GNU C vectors of 4). */
#define FCONV_VW 4
#define FCONV_NAME dlic_fconv_c
#include "codec/nn/fconv_tmpl.h"
