/* Rate-distortion optimised rounding of the latent (codec/enc/rdoq.h):
 * its integer log2 and bit costs against double precision and against what
 * the range coder really writes, and its choice against a double-precision
 * reference of the same rule. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "codec/common/latent.h"
#include "codec/enc/rdoq.h"
#include "codec/entropy/rangecoder.h"
#include "dlic/dlic.h"

typedef struct test_table {
    dlic_table t;
    uint16_t freq[64];
    uint32_t cdf[65];
} test_table;

static uint64_t rng_state = 1;
static uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33);
}

/* A discretised Laplacian over lo .. lo + nv - 1 around 0, escape 1/256. */
static void laplace_table(test_table *tt, int lo, unsigned nv, double b)
{
    double p[64], sum = 0;
    for (unsigned j = 0; j < nv; j++)
        sum += p[j] = exp(-fabs((double)lo + j) / b);
    unsigned left = 65536 - 256;
    for (unsigned j = 0; j < nv; j++) {
        unsigned f = 1 + (unsigned)(p[j] / sum * (65536 - 256 - nv));
        tt->freq[j] = (uint16_t)f;
        left -= f;
    }
    tt->freq[nv / 2] = (uint16_t)(tt->freq[nv / 2] + left);
    tt->freq[nv] = 256;
    tt->cdf[0] = 0;
    for (unsigned j = 0; j <= nv; j++)
        tt->cdf[j + 1] = tt->cdf[j] + tt->freq[j];
    assert_int_equal(tt->cdf[nv + 1], 65536);
    tt->t.lo = (int16_t)lo;
    tt->t.nv = (uint16_t)nv;
    tt->t.freq = tt->freq;
    tt->t.cdf = tt->cdf;
}

static void test_log2(void **state)
{
    (void)state;
    for (unsigned L = 0; L <= 16; L++)
        assert_int_equal(dlic_rdoq_log2(1u << L), L << 16);
    for (uint32_t f = 1; f <= 65536; f++) {
        const double ref = log2((double)f) * 65536.0;
        const uint32_t got = dlic_rdoq_log2(f);
        /* truncation in each squaring step: at most 1 unit below */
        assert_true(got <= ref + 1e-6);
        assert_true(got + 1.0 >= floor(ref));
        if (f > 1)
            assert_true(got >= dlic_rdoq_log2(f - 1));
    }
}

static void test_bits(void **state)
{
    (void)state;
    test_table tt;
    laplace_table(&tt, -20, 41, 2.0);
    for (int v = -20; v <= 20; v++) {
        const uint32_t f = tt.freq[v + 20];
        assert_int_equal(dlic_rdoq_bits(&tt.t, v), (16u << 16) - dlic_rdoq_log2(f));
    }
    /* SPEC §7.2: u = 2 (v - 21) above, 2 (-21 - v) + 1 below; 2L + 1 bits */
    const uint32_t esc = (16u << 16) - dlic_rdoq_log2(256);
    assert_int_equal(dlic_rdoq_bits(&tt.t, 21), esc + (1u << 16));      /* u 0 */
    assert_int_equal(dlic_rdoq_bits(&tt.t, -21), esc + (3u << 16));     /* u 1 */
    assert_int_equal(dlic_rdoq_bits(&tt.t, 22), esc + (3u << 16));      /* u 2 */
    assert_int_equal(dlic_rdoq_bits(&tt.t, 25), esc + (7u << 16));      /* u 8 */
    assert_int_equal(dlic_rdoq_bits(&tt.t, INT32_MIN / 2),
                     esc + ((2u * 30 + 1) << 16));                      /* u 2^31 - 41 */
}

/* The cost model is what the coder writes: the bits of a long random
 * sequence against the coded size. */
static void test_bits_match_coder(void **state)
{
    (void)state;
    test_table tt;
    laplace_table(&tt, -12, 25, 1.5);
    dlic_rc_enc e;
    dlic_rc_enc_init(&e);
    uint64_t cost = 0;
    for (int i = 0; i < 50000; i++) {
        /* draw from the table, escapes now and then */
        int32_t v;
        if (rnd() % 200 == 0) {
            v = 13 + (int32_t)(rnd() % 100);
        } else {
            uint32_t c = rnd() % 65536, j = 0;
            while (tt.cdf[j + 1] <= c)
                j++;
            v = j < tt.t.nv ? -12 + (int32_t)j : 0;
        }
        cost += dlic_rdoq_bits(&tt.t, v);
        dlic_rc_enc_value(&e, &tt.t, v);
    }
    uint8_t *out = NULL;
    size_t size = 0;
    assert_int_equal(dlic_rc_enc_finish(&e, &out, &size), DLIC_OK);
    const double model = (double)cost / 65536.0 / 8.0;
    assert_true(fabs((double)size - model) < 0.002 * model + 8);
    free(out);
}

/* The rule in double precision: of v's neighbours the one with the smaller
 * (v - s)^2 + kappa / 2^16 * bits(s); 0 if the costs are too close to call. */
static int32_t reference(const dlic_table *t, uint32_t kappa, int16_t y, int16_t mu,
                         uint32_t gq, int *close)
{
    const double v = (double)(y - mu) * gq / 65536.0;
    const int32_t a = (int32_t)floor(v);
    const double k = kappa / 65536.0;
    const double ca = (v - a) * (v - a) + k * dlic_rdoq_bits(t, a) / 65536.0;
    const double cb = (v - a - 1) * (v - a - 1) + k * dlic_rdoq_bits(t, a + 1) / 65536.0;
    *close = fabs(ca - cb) < 1e-6;
    return ca < cb ? a : a + 1;
}

static void test_quantize(void **state)
{
    (void)state;
    test_table tt;
    laplace_table(&tt, -16, 33, 3.0);
    const uint32_t kappas[] = { DLIC_RDOQ_KAPPA, 1, 20000, 65535 };
    unsigned moved = 0, checked = 0;
    for (int i = 0; i < 200000; i++) {
        const int16_t y = (int16_t)(rnd() % 4001) - 2000, mu = (int16_t)(rnd() % 401) - 200;
        const uint32_t gq = 1 + rnd() % (1u << (4 + rnd() % 13));
        const int32_t nearest = dlic_latent_quantize(y, mu, gq);
        assert_int_equal(dlic_rdoq_quantize(&tt.t, 0, y, mu, gq), nearest);
        for (unsigned k = 0; k < sizeof(kappas) / sizeof(kappas[0]); k++) {
            int close;
            const int32_t want = reference(&tt.t, kappas[k], y, mu, gq, &close);
            const int32_t got = dlic_rdoq_quantize(&tt.t, kappas[k], y, mu, gq);
            const int64_t fl = (int64_t)floor((double)(y - mu) * gq / 65536.0);
            assert_true(got == fl || got == fl + 1);
            if (!close) {
                assert_int_equal(got, want);
                checked++;
            }
            moved += got != nearest;
        }
    }
    assert_true(checked > 790000);
    assert_true(moved > 1000);      /* the rule does act */
}

/* A value halfway between a likely and an unlikely neighbour goes to the
 * likely one once kappa makes bits worth more than the extra error. */
static void test_pulls_to_likely(void **state)
{
    (void)state;
    test_table tt;
    laplace_table(&tt, -16, 33, 1.0);
    /* y - mu = 6 with gq = 0.55 * 2^16: v = 3.3 */
    const uint32_t gq = (uint32_t)(0.55 * 65536);
    assert_int_equal(dlic_rdoq_quantize(&tt.t, 0, 6, 0, gq), 3);
    assert_int_equal(dlic_rdoq_quantize(&tt.t, 65535, 6, 0, gq), 3);
    /* v = 3.6: nearest 4, but 4 costs about 1.44 bits more than 3 */
    const uint32_t gq2 = (uint32_t)(0.6 * 65536);
    assert_int_equal(dlic_rdoq_quantize(&tt.t, 0, 6, 0, gq2), 4);
    assert_int_equal(dlic_rdoq_quantize(&tt.t, DLIC_RDOQ_KAPPA, 6, 0, gq2), 4);
    assert_int_equal(dlic_rdoq_quantize(&tt.t, 65535, 6, 0, gq2), 3);
    /* and symmetrically below zero */
    assert_int_equal(dlic_rdoq_quantize(&tt.t, 65535, -6, 0, gq2), -3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log2),
        cmocka_unit_test(test_bits),
        cmocka_unit_test(test_bits_match_coder),
        cmocka_unit_test(test_quantize),
        cmocka_unit_test(test_pulls_to_likely),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
