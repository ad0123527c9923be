/* Fuzz target: the range decoder and escape coding (SPEC §7.1, §7.2),
 * internal API codec/entropy/rangecoder.h, with the tables of the test
 * model (its NZ tables ZT followed by its NS tables GT).
 * Input: a mode byte, then
 *   mode even: a table seed byte and a range-coder stream. Values are
 *     decoded until an error or 4096 values; if the stream decodes
 *     cleanly, the values are re-encoded and must decode again identically.
 *   mode odd: 5-byte records (table index, i32 value): encoded, then
 *     decoded; the round trip must give the values back and consume the
 *     stream exactly (SPEC §4.5). */
#include <stdlib.h>
#include <string.h>

#include "codec/entropy/rangecoder.h"
#include "format/model.h"
#include "fuzz/fuzz_common.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)
#define MAX_VALUES 4096

static const dlic_table *table(unsigned i)
{
    const struct dlic_model *m = fuzz_test_model(0);
    i %= (unsigned)m->NZ + m->NS;
    return i < m->NZ ? &m->zt[i] : &m->gt[i - m->NZ];
}

/* Encode n values (table of value i: tab[i]), decode them back, compare. */
static void round_trip(const int32_t *v, const unsigned *tab, size_t n)
{
    dlic_rc_enc e;
    uint8_t *buf;
    size_t len;
    dlic_rc_enc_init(&e);
    for (size_t i = 0; i < n; i++)
        dlic_rc_enc_value(&e, table(tab[i]), v[i]);
    REQUIRE(dlic_rc_enc_finish(&e, &buf, &len) == DLIC_OK);
    dlic_rc_dec d;
    REQUIRE(dlic_rc_dec_init(&d, buf, len) == DLIC_OK);
    for (size_t i = 0; i < n; i++)
        REQUIRE(dlic_rc_dec_value(&d, table(tab[i])) == v[i]);
    REQUIRE(dlic_rc_dec_finish(&d) == DLIC_OK);
    free(buf);
}

/* Largest magnitude SPEC §7.2 can code around table t: u <= 2^31 - 2. */
static int representable(const dlic_table *t, int32_t v)
{
    int64_t lo = t->lo, nv = t->nv, u;
    if (v >= lo && v < lo + nv)
        return 1;
    u = v >= lo + nv ? 2 * ((int64_t)v - (lo + nv)) : 2 * (lo - 1 - v) + 1;
    return u <= ((int64_t)1 << 31) - 2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int32_t v[MAX_VALUES];
    static unsigned tab[MAX_VALUES];
    size_t n = 0;

    if (size < 2)
        return 0;
    if (data[0] & 1) {
        for (size_t p = 1; p + 5 <= size && n < MAX_VALUES; p += 5) {
            uint32_t u = (uint32_t)data[p + 1] | (uint32_t)data[p + 2] << 8 |
                         (uint32_t)data[p + 3] << 16 | (uint32_t)data[p + 4] << 24;
            int32_t x;
            memcpy(&x, &u, sizeof(x));
            /* Small values most of the time, any value sometimes. */
            if (!(data[p] & 0x80))
                x = (int32_t)(int8_t)data[p + 1] >> (data[p + 2] & 3);
            if (!representable(table(data[p] & 0x7F), x))
                continue;
            tab[n] = data[p] & 0x7F;
            v[n++] = x;
        }
        round_trip(v, tab, n);
        return 0;
    }

    const unsigned seed = data[1];
    dlic_rc_dec d;
    dlic_rc_dec_init(&d, data + 2, size - 2);
    while (!d.error && n < MAX_VALUES) {
        tab[n] = seed + 7u * (unsigned)n;
        v[n] = dlic_rc_dec_value(&d, table(tab[n]));
        REQUIRE(d.error || representable(table(tab[n]), v[n]));
        n++;
    }
    int r = dlic_rc_dec_finish(&d);
    REQUIRE(r == DLIC_OK || r == DLIC_ERR_CORRUPT || r == DLIC_ERR_TRUNCATED);
    REQUIRE(d.p <= d.end);
    if (r == DLIC_OK)
        round_trip(v, tab, n);
    return 0;
}
