/* AVX2 convolution: the 256-bit kernel with vpmaddwd on s16 input. */
#define CONV_YMM_VNNI 0
#define CONV_YMM_INIT dlic_nn_dsp_init_avx2
#include "codec/nn/x86/conv_ymm.h"
