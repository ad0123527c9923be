/* Float convolution for latent refinement, portable (GNU C vectors of 4;
 * fmaf() per lane, a libm call without hardware FMA, so slow there but
 * the same bits as the FMA instructions of the SIMD versions). */
#include <math.h>

#include "dlic/dlic.h"

#define FCONV_VW 4
#define FCONV_NAME dlic_fconv_c
#define FCONV_FMA(acc, x, w)                                                   \
    do {                                                                       \
        for (int l_ = 0; l_ < FCONV_VW; l_++)                                  \
            (acc)[l_] = fmaf((x), (w)[l_], (acc)[l_]);                         \
    } while (0)
#include "codec/nn/fconv_tmpl.h"

dlic_fconv_fn dlic_fconv_select(unsigned cpu_flags)
{
#if defined(__x86_64__) || defined(__i386__)
    if (cpu_flags & DLIC_CPU_AVX512)
        return dlic_fconv_avx512;
    if (cpu_flags & DLIC_CPU_AVX2)
        return dlic_fconv_avx2;
#else
    (void)cpu_flags;
#endif
    return dlic_fconv_c;
}
