/* Range coder and escape coding (SPEC §7.1, §7.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "codec/entropy/rangecoder.h"
#include "dlic/dlic.h"

typedef struct test_table {
    dlic_table t;
    uint16_t freq[8192];
    uint32_t cdf[8193];
} test_table;

static void table_init(test_table *tt, int lo, const uint16_t *f, unsigned n)
{
    tt->t.lo = (int16_t)lo;
    tt->t.nv = (uint16_t)(n - 1);
    tt->cdf[0] = 0;
    for (unsigned j = 0; j < n; j++) {
        tt->freq[j] = f[j];
        tt->cdf[j + 1] = tt->cdf[j] + f[j];
    }
    assert_int_equal(tt->cdf[n], 65536);
    tt->t.freq = tt->freq;
    tt->t.cdf = tt->cdf;
}

static uint64_t rng_state;
static uint32_t rnd(void)     /* the same LCG as the golden vector's */
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33);
}

/* n symbols with random frequencies >= 1 summing to 65536. */
static void random_table(test_table *tt, unsigned n, int lo)
{
    uint16_t f[8192];
    unsigned left = 65536 - n;
    for (unsigned j = 0; j < n; j++) {
        unsigned take = j + 1 == n ? left : (rnd() % 3 ? rnd() % (left / 4 + 1) : 0);
        f[j] = (uint16_t)(1 + take);
        left -= take;
    }
    table_init(tt, lo, f, n);
}

static uint8_t *finish_ok(dlic_rc_enc *e, size_t *size)
{
    uint8_t *out = NULL;
    assert_int_equal(dlic_rc_enc_finish(e, &out, size), DLIC_OK);
    assert_non_null(out);
    return out;
}

/* The golden vectors come from an independent Python transcription of
 * SPEC §7.1 and §7.2. */
static void test_golden(void **state)
{
    (void)state;
    static const uint8_t expect_head[] = {
        0x00, 0x00, 0x29, 0xfc, 0xbf, 0xcd, 0x13, 0x37, 0xf4, 0x67, 0x18,
        0xc7, 0xaa, 0x8c, 0xba, 0x43, 0xff, 0xeb, 0x63, 0xb7, 0xff, 0xf7,
        0xad, 0x04, 0xd2, 0x0c, 0x14, 0xff, 0xff
    };
    static const uint8_t expect_tail[] = {
        0xff, 0xd1, 0xef, 0x2e, 0x10, 0xff, 0xff, 0x47, 0xbc, 0x00, 0x00
    };
    static const uint16_t f5[] = { 100, 30000, 30000, 5000, 436 };
    static const int32_t vals[] = { -2, -1, 0, 1, 5, -7, 0, 0, 1000000, -1,
                                    (1 << 30) + 1, 0, 1 };
    test_table tt;
    table_init(&tt, -2, f5, 5);
    dlic_rc_enc e;
    dlic_rc_enc_init(&e);
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
        dlic_rc_enc_value(&e, &tt.t, vals[i]);
    for (int i = 0; i < 20; i++)
        dlic_rc_enc_bypass(&e, i % 3 == 0);
    for (int i = 0; i < 50; i++)
        dlic_rc_enc_symbol(&e, 65535, 1);
    dlic_rc_enc_symbol(&e, 0, 1);
    for (int i = 0; i < 30; i++)
        dlic_rc_enc_bypass(&e, 1);
    dlic_rc_enc_symbol(&e, 0, 65535);
    size_t size;
    uint8_t *out = finish_ok(&e, &size);
    assert_int_equal(size, 134);
    assert_memory_equal(out, expect_head, sizeof(expect_head));
    for (size_t i = sizeof(expect_head); i < 123; i++)
        assert_int_equal(out[i], 0xff);
    assert_memory_equal(out + 123, expect_tail, sizeof(expect_tail));

    dlic_rc_dec d;
    assert_int_equal(dlic_rc_dec_init(&d, out, size), DLIC_OK);
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
        assert_int_equal(dlic_rc_dec_value(&d, &tt.t), vals[i]);
    for (int i = 0; i < 20; i++)
        assert_int_equal(dlic_rc_dec_bypass(&d), i % 3 == 0);
    free(out);
    dlic_rc_enc_free(&e);

    /* A long mixed sequence, compared by length and FNV-1a hash. */
    static const uint16_t f4[] = { 1, 65000, 534, 1 };
    table_init(&tt, -1, f4, 4);
    dlic_rc_enc_init(&e);
    rng_state = 12345;
    for (int i = 0; i < 20000; i++) {
        uint32_t r = rnd(), k = r % 10;
        if (k < 6)
            dlic_rc_enc_value(&e, &tt.t, 0);
        else if (k == 6)
            dlic_rc_enc_value(&e, &tt.t, (int32_t)((r >> 4) % 7) - 3);
        else if (k == 7)
            dlic_rc_enc_bypass(&e, (r >> 4) & 1);
        else if (k == 8)
            dlic_rc_enc_symbol(&e, 65535, 1);
        else
            dlic_rc_enc_value(&e, &tt.t, (int32_t)((r >> 4) % 2000001) - 1000000);
    }
    out = finish_ok(&e, &size);
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < size; i++)
        h = (h ^ out[i]) * 0x100000001b3ull;
    assert_int_equal(size, 21934);
    assert_true(h == 0xfd787b63468066ebull);
    free(out);
}

/* Encode ops from a seeded generator: symbols over several tables, bypass
 * bits and values with escapes; decode and compare. */
static void roundtrip_random(uint64_t seed, unsigned nops)
{
    enum { NT = 6 };
    test_table *tt = malloc(sizeof(test_table) * NT);
    assert_non_null(tt);
    rng_state = seed;
    static const unsigned sizes[NT] = { 2, 3, 17, 256, 1000, 8192 };
    for (int i = 0; i < NT; i++)
        random_table(&tt[i], sizes[i], (int)(rnd() % 2001) - 1000);
    int32_t *vals = malloc(sizeof(int32_t) * nops);
    uint8_t *kind = malloc(nops);
    assert_non_null(vals);
    assert_non_null(kind);
    dlic_rc_enc e;
    dlic_rc_enc_init(&e);
    for (unsigned i = 0; i < nops; i++) {
        uint32_t r = rnd();
        kind[i] = (uint8_t)(r % (NT + 2));
        if (kind[i] == NT) {
            vals[i] = (int32_t)(rnd() & 1);
            dlic_rc_enc_bypass(&e, vals[i]);
        } else if (kind[i] == NT + 1) {     /* raw symbol of table 3 */
            const test_table *t = &tt[3];
            uint32_t s = rnd() % (t->t.nv + 1u);
            vals[i] = (int32_t)s;
            dlic_rc_enc_symbol(&e, t->cdf[s], t->freq[s]);
        } else {
            const dlic_table *t = &tt[kind[i]].t;
            uint32_t sel = rnd() % 16;
            int32_t span = t->nv + 40;
            if (sel < 12)
                vals[i] = t->lo + (int32_t)(rnd() % (uint32_t)span) - 20;
            else if (sel < 15)
                vals[i] = (int32_t)(rnd() - (1u << 30)) / 2;
            else
                vals[i] = t->lo + t->nv + (int32_t)(rnd() % 70000);
            dlic_rc_enc_value(&e, t, vals[i]);
        }
    }
    size_t size;
    uint8_t *out = finish_ok(&e, &size);
    dlic_rc_dec d;
    assert_int_equal(dlic_rc_dec_init(&d, out, size), DLIC_OK);
    for (unsigned i = 0; i < nops; i++) {
        if (kind[i] == NT)
            assert_int_equal(dlic_rc_dec_bypass(&d), vals[i]);
        else if (kind[i] == NT + 1)
            assert_int_equal(dlic_rc_dec_symbol(&d, &tt[3].t), vals[i]);
        else
            assert_int_equal(dlic_rc_dec_value(&d, &tt[kind[i]].t), vals[i]);
    }
    assert_int_equal(dlic_rc_dec_finish(&d), DLIC_OK);
    free(out);
    dlic_rc_enc_free(&e);
    free(vals);
    free(kind);
    free(tt);
}

static void test_roundtrip(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 20; seed++)
        roundtrip_random(seed, 5000);
    roundtrip_random(99, 200000);
}

/* Frequency 1 next to 65535, both ways, with long runs of the likely
 * symbol (the 0xFF runs and carries of SPEC §7.1). */
static void test_skewed(void **state)
{
    (void)state;
    static const uint16_t tabs[][3] = {
        { 1, 65535, 0 }, { 65535, 1, 0 }, { 32768, 32768, 0 },
        { 65534, 1, 1 }, { 1, 65534, 1 }, { 1, 1, 65534 },
    };
    for (size_t ti = 0; ti < sizeof(tabs) / sizeof(tabs[0]); ti++) {
        test_table tt;
        unsigned n = tabs[ti][2] ? 3 : 2;
        table_init(&tt, 0, tabs[ti], n);
        unsigned likely = 0;
        for (unsigned j = 1; j < n; j++)
            if (tabs[ti][j] > tabs[ti][likely])
                likely = j;
        enum { N = 300000 };
        uint8_t *syms = malloc(N);
        assert_non_null(syms);
        rng_state = ti + 7;
        dlic_rc_enc e;
        dlic_rc_enc_init(&e);
        for (unsigned i = 0; i < N; i++) {
            /* runs of 100000 likely symbols, then a noisy stretch */
            int noisy = (i / 100000) % 2 == 1 && rnd() % 50 == 0;
            syms[i] = (uint8_t)(noisy ? rnd() % n : likely);
            dlic_rc_enc_symbol(&e, tt.cdf[syms[i]], tt.freq[syms[i]]);
        }
        size_t size;
        uint8_t *out = finish_ok(&e, &size);
        dlic_rc_dec d;
        assert_int_equal(dlic_rc_dec_init(&d, out, size), DLIC_OK);
        for (unsigned i = 0; i < N; i++)
            assert_int_equal(dlic_rc_dec_symbol(&d, &tt.t), syms[i]);
        assert_int_equal(dlic_rc_dec_finish(&d), DLIC_OK);
        free(out);
        free(syms);
    }
}

/* Long carry chains: bypass ones drive low towards the top of the range,
 * so many 0xFF bytes are pending when a carry arrives. */
static void test_carry_chains(void **state)
{
    (void)state;
    static const uint16_t f[] = { 1, 65534, 1 };
    test_table tt;
    table_init(&tt, 0, f, 3);
    rng_state = 5;
    enum { N = 40000 };
    uint8_t *ops = malloc(N);
    assert_non_null(ops);
    dlic_rc_enc e;
    dlic_rc_enc_init(&e);
    for (unsigned i = 0; i < N; i++) {
        uint32_t r = rnd() % 4;
        ops[i] = i % 2000 < 1900 ? 1 : (uint8_t)r;   /* long runs of ones */
        if (ops[i] < 2)
            dlic_rc_enc_bypass(&e, ops[i]);
        else
            dlic_rc_enc_symbol(&e, tt.cdf[ops[i] - 1], tt.freq[ops[i] - 1]);
    }
    size_t size;
    uint8_t *out = finish_ok(&e, &size);
    size_t run = 0, best = 0;
    for (size_t i = 0; i < size; i++) {
        run = out[i] == 0xFF ? run + 1 : 0;
        best = run > best ? run : best;
    }
    assert_true(best > 100);
    dlic_rc_dec d;
    assert_int_equal(dlic_rc_dec_init(&d, out, size), DLIC_OK);
    for (unsigned i = 0; i < N; i++) {
        if (ops[i] < 2)
            assert_int_equal(dlic_rc_dec_bypass(&d), ops[i]);
        else
            assert_int_equal(dlic_rc_dec_symbol(&d, &tt.t), ops[i] - 1u);
    }
    assert_int_equal(dlic_rc_dec_finish(&d), DLIC_OK);
    free(out);
    free(ops);
}

/* The extremes of SPEC §7.2: at most 30 leading ones, so u <= 2^31 - 2. */
static void test_escape_limits(void **state)
{
    (void)state;
    static const uint16_t f[] = { 60000, 5535, 1 };
    static const int los[] = { -32768, -1, 0, 32767 };
    for (size_t li = 0; li < sizeof(los) / sizeof(los[0]); li++) {
        test_table tt;
        table_init(&tt, los[li], f, 3);
        int64_t top = (int64_t)los[li] + 2;         /* lo + nv */
        int32_t vmax = (int32_t)(top + (1 << 30) - 1);
        int32_t vmin = (int32_t)(los[li] - (1 << 30) + 1);
        int32_t vals[] = { vmax, vmin, (int32_t)top, los[li] - 1, los[li],
                           vmax - 1, vmin + 1, 0, 1 << 29, -(1 << 29) };
        size_t nv = sizeof(vals) / sizeof(vals[0]);
        dlic_rc_enc e;
        dlic_rc_enc_init(&e);
        for (size_t i = 0; i < nv; i++)
            dlic_rc_enc_value(&e, &tt.t, vals[i]);
        size_t size;
        uint8_t *out = finish_ok(&e, &size);
        dlic_rc_dec d;
        assert_int_equal(dlic_rc_dec_init(&d, out, size), DLIC_OK);
        for (size_t i = 0; i < nv; i++)
            assert_int_equal(dlic_rc_dec_value(&d, &tt.t), vals[i]);
        assert_int_equal(dlic_rc_dec_finish(&d), DLIC_OK);
        free(out);

        /* One past either end, and the i32 limits, cannot be coded. */
        int32_t bad[] = { vmax + 1, vmin - 1, INT32_MAX, -INT32_MAX, INT32_MIN };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            dlic_rc_enc_init(&e);
            dlic_rc_enc_value(&e, &tt.t, bad[i]);
            uint8_t *o2 = (uint8_t *)1;
            assert_int_equal(dlic_rc_enc_finish(&e, &o2, &size),
                             DLIC_ERR_INVALID_ARG);
            assert_null(o2);
            dlic_rc_enc_free(&e);
        }
    }
}

/* 31 leading ones after an escape are corrupt (SPEC §7.2). */
static void test_escape_too_long(void **state)
{
    (void)state;
    static const uint16_t f[] = { 65000, 536 };
    test_table tt;
    table_init(&tt, 0, f, 2);
    for (int ones = 29; ones <= 33; ones++) {
        dlic_rc_enc e;
        dlic_rc_enc_init(&e);
        dlic_rc_enc_symbol(&e, tt.cdf[1], tt.freq[1]);
        for (int i = 0; i < ones; i++)
            dlic_rc_enc_bypass(&e, 1);
        for (int i = 0; i < ones + 1; i++)
            dlic_rc_enc_bypass(&e, 0);
        size_t size;
        uint8_t *out = finish_ok(&e, &size);
        dlic_rc_dec d;
        assert_int_equal(dlic_rc_dec_init(&d, out, size), DLIC_OK);
        int32_t v = dlic_rc_dec_value(&d, &tt.t);
        if (ones <= 30) {
            assert_int_equal(d.error, 0);
            assert_int_equal(v, -(1 << (ones - 1)));  /* u = 2^ones - 1 */
        } else {
            assert_int_equal(dlic_rc_dec_finish(&d), DLIC_ERR_CORRUPT);
        }
        free(out);
    }
}

/* Init rules of SPEC §7.1 and exact consumption (SPEC §4.5). */
static void test_decoder_framing(void **state)
{
    (void)state;
    static const uint16_t f[] = { 20000, 45536 };
    test_table tt;
    table_init(&tt, 0, f, 2);
    dlic_rc_dec d;
    static const uint8_t zero5[5] = { 0 };
    static const uint8_t bad0[5] = { 1, 0, 0, 0, 0 };
    static const uint8_t allff[5] = { 0, 0xFF, 0xFF, 0xFF, 0xFF };
    for (size_t n = 0; n < 5; n++)
        assert_int_equal(dlic_rc_dec_init(&d, zero5, n), DLIC_ERR_TRUNCATED);
    assert_int_equal(dlic_rc_dec_init(&d, zero5, 5), DLIC_OK);
    assert_int_equal(dlic_rc_dec_finish(&d), DLIC_OK);
    assert_int_equal(dlic_rc_dec_init(&d, bad0, 5), DLIC_ERR_CORRUPT);
    assert_int_equal(dlic_rc_dec_init(&d, allff, 5), DLIC_ERR_CORRUPT);

    /* An empty message is 5 bytes; every prefix of a stream is truncated,
     * one byte more is corrupt. */
    dlic_rc_enc e;
    dlic_rc_enc_init(&e);
    size_t size;
    uint8_t *out = finish_ok(&e, &size);
    assert_int_equal(size, 5);
    free(out);

    rng_state = 3;
    enum { N = 400 };
    uint8_t syms[N];
    dlic_rc_enc_init(&e);
    for (int i = 0; i < N; i++) {
        syms[i] = (uint8_t)(rnd() & 1);
        dlic_rc_enc_symbol(&e, tt.cdf[syms[i]], tt.freq[syms[i]]);
    }
    out = finish_ok(&e, &size);
    uint8_t *buf = malloc(size + 1);
    assert_non_null(buf);
    memcpy(buf, out, size);
    buf[size] = 0;
    for (size_t n = 0; n <= size + 1; n++) {
        int err = dlic_rc_dec_init(&d, buf, n);
        for (int i = 0; i < N; i++) {
            uint32_t s = dlic_rc_dec_symbol(&d, &tt.t);
            if (!d.error)
                assert_int_equal(s, syms[i]);
        }
        int fin = dlic_rc_dec_finish(&d);
        if (n < size)
            assert_int_equal(fin, DLIC_ERR_TRUNCATED);
        else if (n == size)
            assert_int_equal(fin, DLIC_OK);
        else
            assert_int_equal(fin, DLIC_ERR_CORRUPT);
        if (n < 5)
            assert_int_equal(err, DLIC_ERR_TRUNCATED);
    }
    free(buf);
    free(out);
}

/* Random bytes must give an error or decode something, never crash or
 * loop. ASan/UBSan watch the decoder. */
static void test_garbage(void **state)
{
    (void)state;
    test_table *tt = malloc(sizeof(test_table) * 3);
    assert_non_null(tt);
    rng_state = 77;
    random_table(&tt[0], 2, 0);
    random_table(&tt[1], 300, -150);
    random_table(&tt[2], 8192, -4096);
    uint8_t buf[512];
    int outcomes[16] = { 0 };
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = rnd() % sizeof(buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)rnd();
        if (n && rnd() % 2)
            buf[0] = 0;
        dlic_rc_dec d;
        dlic_rc_dec_init(&d, buf, n);
        for (int i = 0; i < 2000; i++) {
            switch (rnd() % 4) {
            case 0: dlic_rc_dec_bypass(&d); break;
            case 1: dlic_rc_dec_symbol(&d, &tt[rnd() % 3].t); break;
            default: dlic_rc_dec_value(&d, &tt[rnd() % 3].t); break;
            }
        }
        int fin = dlic_rc_dec_finish(&d);
        assert_true(fin == DLIC_OK || fin == DLIC_ERR_TRUNCATED ||
                    fin == DLIC_ERR_CORRUPT);
        outcomes[fin]++;
    }
    assert_true(outcomes[DLIC_ERR_TRUNCATED] > 0);
    assert_true(outcomes[DLIC_ERR_CORRUPT] > 0);
    free(tt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_skewed),
        cmocka_unit_test(test_carry_chains),
        cmocka_unit_test(test_escape_limits),
        cmocka_unit_test(test_escape_too_long),
        cmocka_unit_test(test_decoder_framing),
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
