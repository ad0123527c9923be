/* Rate-distortion optimised rounding of the latent; see rdoq.h. */
#include <pthread.h>

#include "codec/common/latent.h"
#include "codec/enc/rdoq.h"

uint32_t dlic_rdoq_log2(uint32_t f)
{
    const unsigned L = 31u - (unsigned)__builtin_clz(f);
    uint64_t x = (uint64_t)f << (30 - L);      /* f / 2^L in [1, 2), Q30 */
    uint32_t frac = 0;
    for (unsigned i = 0; i < 16; i++) {
        x = (x * x) >> 30;                      /* < 2^32: fits */
        if (x >= (uint64_t)2 << 30) {
            x >>= 1;
            frac |= 1u << (15 - i);
        }
    }
    return L << 16 | frac;
}

/* bits * 2^16 of each frequency 1..65535 (SPEC §8.4, checked at load):
 * 256 KiB filled once per process, the squaring loop being the encoder's
 * hot spot otherwise (two costs per latent value). */
static uint32_t freq_bits[65536];
static pthread_once_t freq_bits_once = PTHREAD_ONCE_INIT;

static void freq_bits_init(void)
{
    for (uint32_t f = 1; f < 65536; f++)
        freq_bits[f] = (16u << 16) - dlic_rdoq_log2(f);
}

static uint32_t symbol_bits(const dlic_table *t, uint32_t j)
{
    pthread_once(&freq_bits_once, freq_bits_init);
    return freq_bits[t->cdf[j + 1] - t->cdf[j]];
}

uint32_t dlic_rdoq_bits(const dlic_table *t, int32_t v)
{
    const int64_t lo = t->lo, nv = t->nv;
    if (v >= lo && v < lo + nv)
        return symbol_bits(t, (uint32_t)(v - lo));
    /* SPEC §7.2: u, then 2L + 1 bypass bits for t = u + 1 */
    const uint64_t u = v >= lo + nv ? 2 * (uint64_t)(v - (lo + nv))
                                    : 2 * (uint64_t)(lo - 1 - v) + 1;
    const unsigned L = 63u - (unsigned)__builtin_clzll(u + 1);
    return symbol_bits(t, (uint32_t)nv) + ((2 * L + 1) << 16);
}

int32_t dlic_rdoq_quantize(const dlic_table *t, uint32_t kappa, int16_t y, int16_t mu,
                           uint32_t gq)
{
    if (!kappa)
        return dlic_latent_quantize(y, mu, gq);
    /* v = n / 2^16 lies in [a, a + 1); |n| < 2^44, |a| < 2^28. */
    const int64_t n = (int64_t)(y - mu) * gq;
    const int32_t a = (int32_t)(n >> 16);               /* floor */
    const uint64_t da = (uint64_t)n & 0xffff, db = 65536 - da;   /* n - a * 2^16 */
    /* Squared error in units of 2^-32, kappa * bits likewise: < 2^41. */
    const uint64_t ca = da * da + (uint64_t)kappa * dlic_rdoq_bits(t, a);
    const uint64_t cb = db * db + (uint64_t)kappa * dlic_rdoq_bits(t, a + 1);
    return ca < cb ? a : a + 1;
}
