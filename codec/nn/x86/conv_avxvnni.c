/* AVX-VNNI convolution (Alder Lake and later without AVX-512): the 256-bit
 * kernel with VEX vpdpbusd on u8-range input and vpdpwssd on the rest. */
#define CONV_YMM_VNNI 1
#define CONV_YMM_INIT dlic_nn_dsp_init_avxvnni
#include "codec/nn/x86/conv_ymm.h"
