/* Model file parser (SPEC §8), with synthetic models from the builder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dlic/dlic.h"
#include "format/model.h"
#include "tests/support/model_builder.h"

static void small_config(mb_config *c)
{
    mb_config_default(c, 2, 2, 4);
    c->NS = 2;
    c->zt_half = 2;
    c->gt_max_half = 3;
}

/* The parsed model holds exactly what the builder wrote. */
static void check_equal(const struct dlic_model *m, const mb_model *b,
                        const uint8_t *buf, size_t size)
{
    assert_true(m->id == XXH64(buf, size, 0));
    assert_int_equal(m->version, b->version);
    assert_int_equal(m->flags, b->flags);
    assert_string_equal(m->name, b->name);
    assert_int_equal(m->M, b->M);
    assert_int_equal(m->NZ, b->NZ);
    assert_int_equal(m->YMAX, b->YMAX);
    int Y = (int)b->YMAX;
    const mb_layer *ha_last = &b->layer[1][b->nlayers[1] - 1];
    for (int t = 0; t < 4; t++) {
        assert_int_equal(m->t[t].nlayers, b->nlayers[t]);
        int ilo = t == 0 ? 0 : t == 2 ? ha_last->lo : -Y;
        int ihi = t == 0 ? 255 : t == 2 ? ha_last->hi : Y;
        for (unsigned i = 0; i < b->nlayers[t]; i++) {
            const dlic_layer *L = &m->t[t].layer[i];
            const mb_layer *E = &b->layer[t][i];
            assert_int_equal(L->cin, E->cin);
            assert_int_equal(L->cout, E->cout);
            assert_int_equal(L->k, E->k);
            assert_int_equal(L->stride, E->stride);
            assert_int_equal(L->shuffle, E->shuffle);
            assert_int_equal(L->lo, E->lo);
            assert_int_equal(L->hi, E->hi);
            assert_int_equal(L->ilo, ilo);
            assert_int_equal(L->ihi, ihi);
            assert_memory_equal(L->w, E->w, (size_t)E->cout * E->k * E->k * E->cin);
            for (unsigned o = 0; o < E->cout; o++) {
                assert_int_equal(L->bias[o], E->bias[o]);
                assert_int_equal(L->mul[o], E->mul[o]);
                assert_int_equal(L->shift[o], E->shift[o]);
            }
            ilo = E->lo;
            ihi = E->hi;
        }
    }
    for (unsigned k = 0; k < b->NZ + b->NS; k++) {
        const dlic_table *T = k < b->NZ ? &m->zt[k] : &m->gt[k - b->NZ];
        const mb_table *E = k < b->NZ ? &b->zt[k] : &b->gt[k - b->NZ];
        assert_int_equal(T->lo, E->lo);
        assert_int_equal(T->nv, E->nv);
        assert_int_equal(T->cdf[0], 0);
        for (unsigned j = 0; j <= E->nv; j++) {
            assert_int_equal(T->freq[j], E->f[j]);
            assert_int_equal(T->cdf[j + 1] - T->cdf[j], E->f[j]);
        }
        assert_int_equal(T->cdf[E->nv + 1], 65536);
    }
    assert_int_equal(m->NS, b->NS);
    assert_int_equal(m->KS, b->KS);
    for (size_t i = 0; i < (size_t)DLIC_NQ * b->M; i++) {
        assert_int_equal(m->gq[i], b->gq[i]);
        assert_int_equal(m->igq[i], b->igq[i]);
        assert_int_equal(m->lq[i], b->lq[i]);
    }
}

static void test_roundtrip(void **state)
{
    (void)state;
    static const unsigned shapes[][3] = { { 8, 4, 8 }, { 2, 2, 4 }, { 16, 8, 12 } };
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
        mb_config cfg;
        mb_config_default(&cfg, shapes[s][0], shapes[s][1], shapes[s][2]);
        cfg.seed = (uint32_t)s + 3;
        mb_model b;
        assert_int_equal(mb_init(&b, &cfg), 0);
        uint8_t *buf;
        size_t size;
        assert_int_equal(mb_serialize(&b, &buf, &size), 0);
        for (int copy = 0; copy <= 1; copy++) {
            struct dlic_model m;
            assert_int_equal(dlic_model_parse(&m, buf, size, copy), DLIC_OK);
            check_equal(&m, &b, buf, size);
            /* copy = 0 borrows the caller's bytes, copy = 1 owns a copy */
            const uint8_t *w = (const uint8_t *)m.t[3].layer[0].w;
            const uint8_t *base = copy ? m.blob : buf;
            assert_true(w > base && w < base + size);
            assert_int_equal(copy ? m.blob != NULL : m.blob == NULL, 1);
            dlic_model_release(&m);
            assert_null(m.alloc);
        }
        free(buf);
        mb_free(&b);
    }
    uint8_t *b1, *b2;
    size_t s1, s2;
    assert_int_equal(mb_build(8, 4, 8, 1, &b1, &s1), 0);
    assert_int_equal(mb_build(8, 4, 8, 1, &b2, &s2), 0);
    assert_int_equal(s1, s2);
    assert_memory_equal(b1, b2, s1);            /* deterministic */
    free(b1);
    free(b2);
}

/* The model shipped in weights/, when the tests run from the repo root. */
static void test_shipped_model(void **state)
{
    (void)state;
    FILE *f = fopen("weights/dlic-test.dlicm", "rb");
    if (!f)
        skip();
    uint8_t *buf = malloc(1 << 24);
    assert_non_null(buf);
    size_t size = fread(buf, 1, 1 << 24, f);
    fclose(f);
    struct dlic_model m;
    assert_int_equal(dlic_model_parse(&m, buf, size, 1), DLIC_OK);
    dlic_model_release(&m);
    free(buf);
}

/* Every proper prefix fails, with or without a recomputed check, and so
 * does one byte more. Exact-size copies let ASan catch overreads. */
static void test_truncation(void **state)
{
    (void)state;
    mb_config cfg;
    small_config(&cfg);
    mb_model b;
    assert_int_equal(mb_init(&b, &cfg), 0);
    uint8_t *buf;
    size_t size;
    assert_int_equal(mb_serialize(&b, &buf, &size), 0);
    mb_free(&b);
    struct dlic_model m;
    for (size_t n = 0; n < size; n++) {
        uint8_t *cut = malloc(n ? n : 1);
        assert_non_null(cut);
        memcpy(cut, buf, n);
        assert_int_equal(dlic_model_parse(&m, cut, n, 0), DLIC_ERR_BAD_MODEL);
        if (n >= 4) {
            mb_fix_check(cut, n);
            assert_int_equal(dlic_model_parse(&m, cut, n, 1), DLIC_ERR_BAD_MODEL);
        }
        free(cut);
    }
    uint8_t *longer = malloc(size + 1);
    assert_non_null(longer);
    memcpy(longer, buf, size - 4);
    longer[size - 4] = 0;
    mb_fix_check(longer, size + 1);
    assert_int_equal(dlic_model_parse(&m, longer, size + 1, 0), DLIC_ERR_BAD_MODEL);
    assert_int_equal(dlic_model_parse(&m, NULL, 0, 0), DLIC_ERR_BAD_MODEL);
    free(longer);
    free(buf);
}

/* Byte changes anywhere: a stale check always fails; with the check fixed
 * the parser must accept or reject cleanly. */
static void test_flips(void **state)
{
    (void)state;
    mb_config cfg;
    small_config(&cfg);
    mb_model b;
    assert_int_equal(mb_init(&b, &cfg), 0);
    uint8_t *buf;
    size_t size;
    assert_int_equal(mb_serialize(&b, &buf, &size), 0);
    mb_free(&b);
    uint8_t *mod = malloc(size);
    assert_non_null(mod);
    static const uint8_t pats[] = { 0x01, 0x80, 0xFF, 0x7F };
    unsigned accepted = 0, rejected = 0;
    struct dlic_model m;
    for (size_t i = 0; i < size; i++) {
        for (size_t p = 0; p < sizeof(pats); p++) {
            memcpy(mod, buf, size);
            mod[i] ^= pats[p];
            assert_int_equal(dlic_model_parse(&m, mod, size, 0), DLIC_ERR_BAD_MODEL);
            if (i >= size - 4)
                continue;
            mb_fix_check(mod, size);
            int err = dlic_model_parse(&m, mod, size, 0);
            if (err == DLIC_OK) {
                accepted++;
                dlic_model_release(&m);
            } else {
                assert_int_equal(err, DLIC_ERR_BAD_MODEL);
                rejected++;
            }
        }
    }
    assert_true(accepted > 0 && rejected > 0);
    free(mod);
    free(buf);
}

/* A table of nv values with equal-ish frequencies. */
static void flat_table(mb_table *t, unsigned nv)
{
    free(t->f);
    t->lo = 0;
    t->nv = nv;
    t->f = malloc(sizeof(uint16_t) * (nv + 1));
    assert_non_null(t->f);
    unsigned n = nv + 1, sum = 0;
    for (unsigned j = 0; j < n; j++)
        sum += t->f[j] = (uint16_t)(65536 / n);
    for (unsigned j = 0; sum < 65536; j++, sum++)
        t->f[j]++;
}

static void grow_gt(mb_model *m, unsigned ns)
{
    m->gt = realloc(m->gt, sizeof(mb_table) * ns);
    assert_non_null(m->gt);
    for (unsigned s = m->NS; s < ns; s++) {
        m->gt[s].f = NULL;
        flat_table(&m->gt[s], 1);
    }
    m->NS = ns;
}

/* Apply edit number i to a default model; returns the expected result, or
 * -1 past the last edit. Sizes only shrink, so the builder's arrays stay
 * large enough. */
static int edit(mb_model *m, int i)
{
    mb_layer *ga = m->layer[0], *ha = m->layer[1], *hs = m->layer[2],
             *gs = m->layer[3];
    switch (i) {
    case 0: return DLIC_OK;
    case 1: m->version = 2; return DLIC_ERR_BAD_MODEL;
    case 2: m->version = 0; return DLIC_ERR_BAD_MODEL;
    case 3: m->flags = 2; return DLIC_ERR_BAD_MODEL;
    case 4: m->flags = 0; return DLIC_OK;
    case 5: strcpy(m->name, "tab\there"); return DLIC_ERR_BAD_MODEL;
    case 6: strcpy(m->name, "\x7f"); return DLIC_ERR_BAD_MODEL;
    case 7: m->name[0] = 0; return DLIC_OK;
    case 8: m->YMAX = 0; ga[3].lo = ga[3].hi = 0; return DLIC_ERR_BAD_MODEL;
    case 9: m->YMAX = 4096; ga[3].lo = -4096; ga[3].hi = 4096; return DLIC_ERR_BAD_MODEL;
    case 10: m->YMAX = 4095; ga[3].lo = -4095; ga[3].hi = 4095; return DLIC_OK;
    case 11: ga[3].lo = -254; return DLIC_ERR_BAD_MODEL;
    case 12: m->nlayers[2] = 0; return DLIC_ERR_BAD_MODEL;
    case 13: ga[1].k = 2; return DLIC_ERR_BAD_MODEL;
    case 14: ga[1].k = 3; return DLIC_OK;
    case 15: ga[1].k = 1; return DLIC_OK;
    case 16: ga[1].stride = 3; return DLIC_ERR_BAD_MODEL;
    case 17: ga[1].stride = 1; return DLIC_ERR_BAD_MODEL;   /* product 8 */
    case 18: ha[1].stride = 1; return DLIC_ERR_BAD_MODEL;
    case 19: hs[2].stride = 2; return DLIC_ERR_BAD_MODEL;
    case 20: gs[0].stride = 2; return DLIC_ERR_BAD_MODEL;
    case 21: ga[1].shuffle = 3; return DLIC_ERR_BAD_MODEL;
    case 22: gs[3].cout = 10; return DLIC_ERR_BAD_MODEL;    /* % 4 */
    case 23: ga[1].lo = 256; return DLIC_ERR_BAD_MODEL;     /* lo > hi */
    case 24: ga[1].lo = ga[1].hi = 7; return DLIC_OK;
    case 25: ga[2].mul[0] = 0x80000000u; return DLIC_ERR_BAD_MODEL;
    case 26: ga[2].mul[0] = 0x7FFFFFFFu; return DLIC_OK;
    case 27: ga[2].shift[1] = 63; return DLIC_ERR_BAD_MODEL;
    case 28: ga[2].shift[1] = 62; return DLIC_OK;
    case 29: ga[1].cin--; return DLIC_ERR_BAD_MODEL;       /* chain */
    case 30: ga[0].cin = 1; return DLIC_ERR_BAD_MODEL;
    case 31: ha[0].cin = 1; return DLIC_ERR_BAD_MODEL;
    case 32: hs[0].cin = 1; return DLIC_ERR_BAD_MODEL;
    case 33: gs[0].cin = 1; return DLIC_ERR_BAD_MODEL;
    case 34: ha[2].cout = 1; return DLIC_ERR_BAD_MODEL;    /* != NZ */
    case 35: hs[2].cout = 2; return DLIC_ERR_BAD_MODEL;    /* != 2M */
    case 36: gs[3].hi = 254; return DLIC_ERR_BAD_MODEL;
    case 37: gs[3].lo = 1; return DLIC_ERR_BAD_MODEL;
    case 38: ga[2].shuffle = 2; ga[3].cin = 1; return DLIC_ERR_BAD_MODEL;
    case 39: hs[1].shuffle = 1; hs[1].cout = 4; return DLIC_ERR_BAD_MODEL;
    case 40: ga[1].cout = 0; return DLIC_ERR_BAD_MODEL;
    case 41: m->zt[0].f[0]--; m->zt[0].f[1]++; return DLIC_OK;
    case 42: m->zt[0].f[0]--; return DLIC_ERR_BAD_MODEL;    /* sum */
    case 43: m->zt[1].f[1] += m->zt[1].f[0]; m->zt[1].f[0] = 0; return DLIC_ERR_BAD_MODEL;
    case 44: flat_table(&m->gt[0], 8191); return DLIC_OK;
    case 45: flat_table(&m->gt[0], 8192); return DLIC_ERR_BAD_MODEL;
    case 46: m->gt[1].nv = 0; return DLIC_ERR_BAD_MODEL;
    case 47: m->zt[0].lo = -32768; return DLIC_OK;
    case 48:
        for (unsigned s = 0; s < m->NS; s++)
            free(m->gt[s].f);
        m->NS = 0;
        return DLIC_ERR_BAD_MODEL;
    case 49: grow_gt(m, 256); return DLIC_OK;
    case 50: grow_gt(m, 257); return DLIC_ERR_BAD_MODEL;
    case 51: m->KS = 15; return DLIC_OK;
    case 52: m->KS = 16; return DLIC_ERR_BAD_MODEL;
    case 53: m->NQ = 100; return DLIC_ERR_BAD_MODEL;
    case 54: m->gq[5] = 0; return DLIC_ERR_BAD_MODEL;
    case 55: m->gq[5] = 1u << 28; return DLIC_OK;
    case 56: m->gq[5] = (1u << 28) + 1; return DLIC_ERR_BAD_MODEL;
    case 57: m->igq[7] = 0; return DLIC_ERR_BAD_MODEL;
    case 58: m->igq[7] = (1u << 28) + 1; return DLIC_ERR_BAD_MODEL;
    case 59: m->lq[9] = (1 << 24) - 1; return DLIC_OK;
    case 60: m->lq[9] = -(1 << 24) + 1; return DLIC_OK;
    case 61: m->lq[9] = 1 << 24; return DLIC_ERR_BAD_MODEL;
    case 62: m->lq[9] = -(1 << 24); return DLIC_ERR_BAD_MODEL;
    case 63: m->nlayers[3] = 3; return DLIC_ERR_BAD_MODEL;  /* shuffle 8 */
    default: return -1;
    }
}

static void test_field_checks(void **state)
{
    (void)state;
    mb_config cfg;
    small_config(&cfg);
    for (int i = 0;; i++) {
        mb_model b;
        assert_int_equal(mb_init(&b, &cfg), 0);
        int expect = edit(&b, i);
        if (expect < 0) {
            mb_free(&b);
            break;
        }
        uint8_t *buf;
        size_t size;
        assert_int_equal(mb_serialize(&b, &buf, &size), 0);
        struct dlic_model m;
        int err = dlic_model_parse(&m, buf, size, 1);
        if (err != expect)
            fail_msg("edit %d: got %d, expected %d", i, err, expect);
        if (!err)
            dlic_model_release(&m);
        free(buf);
        mb_free(&b);
    }
}

/* Raw byte edits the builder cannot express: the first layer's reserved
 * byte, the layer count, the magic. */
static void test_raw_bytes(void **state)
{
    (void)state;
    mb_config cfg;
    small_config(&cfg);
    mb_model b;
    assert_int_equal(mb_init(&b, &cfg), 0);
    uint8_t *buf;
    size_t size;
    assert_int_equal(mb_serialize(&b, &buf, &size), 0);
    size_t nlay = 8 + 2 + 2 + 1 + strlen(b.name) + 6;  /* g_a layer count */
    mb_free(&b);
    struct {
        size_t off;
        uint8_t v;
    } cases[] = { { 0, 'X' }, { 7, 1 }, { nlay, 0 }, { nlay, 17 },
                  { nlay, 5 }, { nlay + 1 + 7, 1 } };
    uint8_t *mod = malloc(size);
    assert_non_null(mod);
    struct dlic_model m;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(mod, buf, size);
        mod[cases[i].off] = cases[i].v;
        mb_fix_check(mod, size);
        assert_int_equal(dlic_model_parse(&m, mod, size, 0), DLIC_ERR_BAD_MODEL);
    }
    memcpy(mod, buf, size);
    assert_int_equal(mod[nlay], 4);
    assert_int_equal(dlic_model_parse(&m, mod, size, 0), DLIC_OK);
    dlic_model_release(&m);
    free(mod);
    free(buf);
}

/* SPEC §8.6: |B[o]| + max(|ilo|, |ihi|) * sum |Wt[o]| <= 2^31 - 1, with
 * the input range chained from the previous layer (or SPEC §5.3). */
static void test_accumulator_bound(void **state)
{
    (void)state;
    mb_config cfg;
    small_config(&cfg);
    /* (transform, layer, output channel, input magnitude) */
    const int h_a_out = 2 * (int)cfg.zt_half;
    const struct { int t, l, o; int64_t imax; } at[] = {
        { 0, 0, 1, 255 }, { 0, 3, 0, 255 }, { 1, 0, 1, 255 },
        { 2, 0, 0, h_a_out }, { 3, 0, 3, 255 }, { 3, 3, 11, 255 },
    };
    for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
        for (int v = 0; v < 4; v++) {
            mb_model b;
            assert_int_equal(mb_init(&b, &cfg), 0);
            mb_layer *L = &b.layer[at[k].t][at[k].l];
            size_t per = (size_t)L->k * L->k * L->cin;
            int64_t sum = 0;
            for (size_t i = 0; i < per; i++) {
                int w = L->w[(size_t)at[k].o * per + i];
                sum += w < 0 ? -w : w;
            }
            int64_t room = INT32_MAX - at[k].imax * sum;
            int64_t bias = v == 0 ? room : v == 1 ? room + 1
                         : v == 2 ? -room : -room - 1;
            L->bias[at[k].o] = (int32_t)bias;
            uint8_t *buf;
            size_t size;
            assert_int_equal(mb_serialize(&b, &buf, &size), 0);
            struct dlic_model m;
            int err = dlic_model_parse(&m, buf, size, 0);
            int expect = v % 2 ? DLIC_ERR_BAD_MODEL : DLIC_OK;
            if (err != expect)
                fail_msg("case %zu/%d: got %d, expected %d", k, v, err, expect);
            if (!err)
                dlic_model_release(&m);
            free(buf);
            mb_free(&b);
        }
    }

    /* Large weights with the widest input range, h_s after h_a [-32768,
     * 32767]: 32768 * 127 * 9 * NZ exceeds 2^31 - 1 once NZ >= 58. */
    mb_config big;
    mb_config_default(&big, 2, 60, 4);
    big.NS = 1;
    mb_model b;
    assert_int_equal(mb_init(&b, &big), 0);
    b.layer[1][2].lo = -32768;
    b.layer[1][2].hi = 32767;
    mb_layer *L = &b.layer[2][0];
    memset(L->w, 127, (size_t)L->cout * 9 * L->cin);
    memset(L->bias, 0, sizeof(int32_t) * L->cout);
    uint8_t *buf;
    size_t size;
    assert_int_equal(mb_serialize(&b, &buf, &size), 0);
    struct dlic_model m;
    assert_int_equal(dlic_model_parse(&m, buf, size, 0), DLIC_ERR_BAD_MODEL);
    free(buf);
    b.layer[1][2].lo = -1000;         /* 1000 * 127 * 540 fits */
    b.layer[1][2].hi = 1000;
    assert_int_equal(mb_serialize(&b, &buf, &size), 0);
    assert_int_equal(dlic_model_parse(&m, buf, size, 0), DLIC_OK);
    assert_int_equal(m.t[2].layer[0].ilo, -1000);
    dlic_model_release(&m);
    free(buf);
    mb_free(&b);
}

/* XXH32 of the extension (SPEC §8.7) recomputed after an edit. */
static void fix_lite_check(uint8_t *buf, size_t main_size, size_t size)
{
    uint32_t c = XXH32(buf + main_size, size - main_size - 4, 0);
    for (int i = 0; i < 4; i++)
        buf[size - 4 + i] = (uint8_t)(c >> (8 * i));
}

/* SPEC §8.7: g_s lite after the check; the model id covers the main part
 * only; every damage to the extension is BAD_MODEL, never a crash. */
static void test_lite(void **state)
{
    (void)state;
    mb_config cfg;
    small_config(&cfg);
    mb_model b, other;
    assert_int_equal(mb_init(&b, &cfg), 0);
    cfg.seed = 99;
    assert_int_equal(mb_init(&other, &cfg), 0);
    uint8_t *plain, *buf;
    size_t plain_size, size, main_size;
    assert_int_equal(mb_serialize(&b, &plain, &plain_size), 0);
    assert_int_equal(mb_serialize_lite(&b, &other, &buf, &size, &main_size), 0);
    assert_int_equal(main_size, plain_size);
    assert_memory_equal(buf, plain, plain_size);

    struct dlic_model m0, m;
    assert_int_equal(dlic_model_parse(&m0, plain, plain_size, 0), DLIC_OK);
    assert_int_equal(m0.t[DLIC_G_S_LITE].nlayers, 0);
    assert_false(dlic_model_has_lite(&m0));
    const uint64_t id = m0.id;
    for (int copy = 0; copy <= 1; copy++) {
        assert_int_equal(dlic_model_parse(&m, buf, size, copy), DLIC_OK);
        assert_true(m.id == m0.id);                 /* the main part only */
        assert_true(dlic_model_has_lite(&m));
        const dlic_transform *t = &m.t[DLIC_G_S_LITE];
        assert_int_equal(t->nlayers, other.nlayers[3]);
        for (unsigned i = 0; i < t->nlayers; i++) {
            const mb_layer *E = &other.layer[3][i];
            assert_int_equal(t->layer[i].cout, E->cout);
            assert_int_equal(t->layer[i].ilo, i ? other.layer[3][i - 1].lo : -(int)b.YMAX);
            assert_memory_equal(t->layer[i].w, E->w, (size_t)E->cout * E->k * E->k * E->cin);
            for (unsigned o = 0; o < E->cout; o++) {
                assert_int_equal(t->layer[i].bias[o], E->bias[o]);
                assert_int_equal(t->layer[i].mul[o], E->mul[o]);
            }
        }
        /* the public queries see it as transform DLIC_G_S_LITE */
        assert_int_equal(dlic_model_layer_count((dlic_model *)&m, DLIC_G_S_LITE),
                         other.nlayers[3]);
        assert_int_equal(dlic_model_layer_count((dlic_model *)&m0, DLIC_G_S_LITE), 0);
        dlic_model_release(&m);
    }
    dlic_model_release(&m0);

    /* every prefix inside the extension, and one byte more */
    uint8_t *mod = malloc(size + 1);
    assert_non_null(mod);
    for (size_t n = main_size + 1; n < size; n++) {
        memcpy(mod, buf, n);
        assert_int_equal(dlic_model_parse(&m, mod, n, 0), DLIC_ERR_BAD_MODEL);
        if (n >= main_size + 8) {
            fix_lite_check(mod, main_size, n);
            assert_int_equal(dlic_model_parse(&m, mod, n, 0), DLIC_ERR_BAD_MODEL);
        }
    }
    memcpy(mod, buf, size);
    mod[size] = 0;
    assert_int_equal(dlic_model_parse(&m, mod, size + 1, 0), DLIC_ERR_BAD_MODEL);
    /* byte flips: a stale lite_check always fails; fixed, clean results */
    unsigned accepted = 0, rejected = 0;
    for (size_t i = main_size; i < size - 4; i++) {
        memcpy(mod, buf, size);
        mod[i] ^= 0x41;
        assert_int_equal(dlic_model_parse(&m, mod, size, 0), DLIC_ERR_BAD_MODEL);
        fix_lite_check(mod, main_size, size);
        int err = dlic_model_parse(&m, mod, size, 0);
        if (err == DLIC_OK) {
            accepted++;
            assert_true(m.id == id);
            dlic_model_release(&m);
        } else {
            assert_int_equal(err, DLIC_ERR_BAD_MODEL);
            rejected++;
        }
    }
    assert_true(accepted > 0 && rejected > 0);     /* the magic is rejected */
    free(mod);
    free(buf);

    /* g_s's shape rules hold for g_s lite (SPEC §8.3) */
    mb_layer *last = &other.layer[3][other.nlayers[3] - 1];
    last->hi = 254;
    assert_int_equal(mb_serialize_lite(&b, &other, &buf, &size, &main_size), 0);
    assert_int_equal(dlic_model_parse(&m, buf, size, 0), DLIC_ERR_BAD_MODEL);
    free(buf);
    last->hi = 255;
    other.layer[3][0].cin = 1;
    assert_int_equal(mb_serialize_lite(&b, &other, &buf, &size, &main_size), 0);
    assert_int_equal(dlic_model_parse(&m, buf, size, 0), DLIC_ERR_BAD_MODEL);
    free(buf);
    other.layer[3][0].cin = b.M;
    other.nlayers[3] = 3;                           /* shuffle product 8 */
    assert_int_equal(mb_serialize_lite(&b, &other, &buf, &size, &main_size), 0);
    assert_int_equal(dlic_model_parse(&m, buf, size, 0), DLIC_ERR_BAD_MODEL);
    free(buf);
    other.nlayers[3] = 4;
    free(plain);
    mb_free(&b);
    mb_free(&other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_shipped_model),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_flips),
        cmocka_unit_test(test_field_checks),
        cmocka_unit_test(test_raw_bytes),
        cmocka_unit_test(test_accumulator_bound),
        cmocka_unit_test(test_lite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
