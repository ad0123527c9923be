/* Models with a checkerboard context (SPEC §6.1, §7.4, §8.3): the loader's
 * shape rules on synthetic models, round trips with synthetic models and
 * with weights/dlic-test-cb.dlicm on every CPU path, thread count, stripe
 * height and memory limit, and damaged streams (errors, never a crash).
 * Run from the repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <xxhash.h>

#include "dlic/dlic.h"
#include "format/model.h"
#include "tests/support/model_builder.h"

#define CB_MODEL "weights/dlic-test-cb.dlicm"

static const unsigned cpu_masks[] = { 0, DLIC_CPU_AVX2, DLIC_CPU_AVX2 | DLIC_CPU_AVXVNNI,
                                      ~0u };

static int parse(const mb_model *b)
{
    uint8_t *buf = NULL;
    size_t size = 0;
    assert_int_equal(mb_serialize(b, &buf, &size), 0);
    struct dlic_model m;
    int r = dlic_model_parse(&m, buf, size, 1);
    if (!r)
        dlic_model_release(&m);
    free(buf);
    return r;
}

static void context_model(mb_model *b, unsigned M, unsigned N, unsigned C)
{
    mb_config cfg;
    mb_config_default(&cfg, M, 4, N);
    cfg.NS = 4;
    assert_int_equal(mb_init(b, &cfg), 0);
    assert_int_equal(mb_add_context(b, C, 7), 0);
}

/* SPEC §8.3 with flags bit 1; each edit breaks one rule. */
static void test_shape_rules(void **state)
{
    (void)state;
    const unsigned M = 4, N = 8, C = 8;
    const int Y = 255;
    for (int i = 0;; i++) {
        mb_model b;
        context_model(&b, M, N, C);
        int ok = 0;
        switch (i) {
        case 0: ok = 1; break;                          /* as built */
        case 1: b.flags = 3 | 4; break;                 /* unknown flag */
        case 2: b.flags = 1; ok = 1; break;             /* no context: c_ctx, c_ep unread */
        case 3:                                         /* c_ep's first cin */
            mb_layer_remake(&b, 5, 0, N + C + 1, N + C, 1, 1, 1, 0, 255, 0, 255, 3);
            break;
        case 4:                                         /* c_ep's last cout != 2M */
            mb_layer_remake(&b, 5, 1, N + C, 2 * M + 4, 3, 1, 1, -Y, Y, 0, 255, 3);
            break;
        case 5:                                         /* a stride in c_ctx */
            mb_layer_remake(&b, 4, 0, M, C, 5, 2, 1, 0, 255, -Y, Y, 3);
            break;
        case 6:                                         /* a shuffle in c_ctx */
            mb_layer_remake(&b, 4, 0, M, 4 * C, 5, 1, 2, 0, 255, -Y, Y, 3);
            mb_layer_remake(&b, 5, 0, N + 4 * C, N + C, 1, 1, 1, 0, 255, 0, 255, 3);
            break;
        case 7:                                         /* a stride in c_ep */
            mb_layer_remake(&b, 5, 1, N + C, 2 * M, 3, 2, 1, -Y, Y, 0, 255, 3);
            break;
        case 8:                                         /* c_ctx's first cin != M */
            mb_layer_remake(&b, 4, 0, M + 1, C, 5, 1, 1, 0, 255, -Y, Y, 3);
            break;
        case 9:                                         /* c_ep's chain */
            mb_layer_remake(&b, 5, 1, N + C + 1, 2 * M, 3, 1, 1, -Y, Y, 0, 255, 3);
            break;
        case 10:                                        /* h_s's last shuffles */
            mb_layer_remake(&b, 2, 2, N, 8 * M, 3, 1, 2, -Y, Y, 0, 255, 3);
            mb_layer_remake(&b, 2, 1, N, N, 3, 1, 1, 0, 255, 0, 255, 3);
            break;
        case 11:                                        /* 1x1 layers and a deeper c_ctx */
            mb_layer_remake(&b, 4, 0, M, C, 1, 1, 1, 0, 255, -Y, Y, 3);
            mb_layer_remake(&b, 4, 1, C, C, 3, 1, 1, 0, 255, 0, 255, 4);
            ok = 1;
            break;
        case 12:                                        /* c_ep's range holds c_ctx's */
        case 13: {                                      /* (12: beyond the bound) */
            const unsigned W = 520;
            mb_layer_remake(&b, 4, 0, M, W, 5, 1, 1, 0, i == 12 ? 32767 : 255, -Y, Y, 3);
            mb_layer_remake(&b, 5, 0, N + W, N + W, 1, 1, 1, 0, 255, 0, 255, 3);
            mb_layer_remake(&b, 5, 1, N + W, 2 * M, 3, 1, 1, -Y, Y, 0, 255, 3);
            memset(b.layer[5][0].w, 127, (size_t)(N + W) * (N + W));
            ok = i == 13;
            break;
        }
        default:
            mb_free(&b);
            return;
        }
        int r = parse(&b);
        if (r != (ok ? DLIC_OK : DLIC_ERR_BAD_MODEL))
            fail_msg("edit %d: got %d", i, r);
        mb_free(&b);
    }
}

/* The file of a small valid context model (M 4, N 8, C 8). */
static void small_model_bytes(uint8_t **buf, size_t *size)
{
    mb_model b;
    context_model(&b, 4, 8, 8);
    assert_int_equal(mb_serialize(&b, buf, size), 0);
    mb_free(&b);
}

/* The context transforms cost no accumulator headroom they do not have
 * (SPEC §8.6 with c_ep's input range). Also: every proper prefix fails. */
static void test_truncation(void **state)
{
    (void)state;
    uint8_t *buf = NULL;
    size_t size = 0;
    small_model_bytes(&buf, &size);
    for (size_t n = 0; n < size; n += 1 + n / 64) {
        uint8_t *cut = malloc(n ? n : 1);
        assert_non_null(cut);
        memcpy(cut, buf, n);
        if (n >= 12)
            mb_fix_check(cut, n);
        struct dlic_model m;
        assert_int_equal(dlic_model_parse(&m, cut, n, 1), DLIC_ERR_BAD_MODEL);
        free(cut);
    }
    free(buf);
}

static dlic_picture make_picture(uint32_t w, uint32_t h, int colour)
{
    const size_t ch = colour == DLIC_RGB ? 3 : 1;
    dlic_picture p = { .width = w, .height = h, .colour = colour, .stride = w * ch };
    uint8_t *d = malloc(p.stride * h);
    assert_non_null(d);
    for (uint32_t y = 0; y < h; y++)
        for (size_t x = 0; x < w * ch; x++)
            d[y * p.stride + x] = (uint8_t)((x * 7 + y * 3 + (x * y) % 29) & 0xFF);
    p.data = d;
    return p;
}

static dlic_context *open_ctx(const dlic_model *m, int threads, unsigned cpu, uint64_t mem)
{
    dlic_settings s;
    dlic_default_settings(&s);
    s.model = m;
    s.threads = threads;
    s.quality = 60;
    s.cpu_mask = cpu;
    s.max_memory = mem;
    dlic_context *c = NULL;
    assert_int_equal(dlic_open(&c, &s), DLIC_OK);
    return c;
}

/* Encode once, then decode on every path, thread count and stripe height:
 * the same pixels each time, and the same stream from every encoder. */
static void roundtrip(const dlic_model *m, uint32_t w, uint32_t h, int colour)
{
    dlic_picture pic = make_picture(w, h, colour);
    dlic_context *c = open_ctx(m, 1, 0, 0);
    uint8_t *ref = NULL, *s2 = NULL;
    size_t ref_size = 0, s2_size = 0;
    assert_int_equal(dlic_encode(c, &pic, &ref, &ref_size), DLIC_OK);
    dlic_picture want;
    assert_int_equal(dlic_decode(c, ref, ref_size, &want), DLIC_OK);
    dlic_close(&c);
    static const char *stripes[] = { "1", "2", "5", NULL };
    for (unsigned mi = 0; mi < sizeof(cpu_masks) / sizeof(cpu_masks[0]); mi++)
        for (int threads = 1; threads <= 2; threads++)
            for (unsigned si = 0; si < 4; si++) {
                if (stripes[si])
                    setenv("DLIC_STRIPE", stripes[si], 1);
                else
                    unsetenv("DLIC_STRIPE");
                c = open_ctx(m, threads, cpu_masks[mi], 0);
                dlic_picture got;
                assert_int_equal(dlic_decode(c, ref, ref_size, &got), DLIC_OK);
                assert_int_equal(got.height, h);
                assert_memory_equal(got.data, want.data, want.stride * h);
                dlic_picture_free(&got);
                assert_int_equal(dlic_encode(c, &pic, &s2, &s2_size), DLIC_OK);
                assert_int_equal(s2_size, ref_size);
                assert_memory_equal(s2, ref, ref_size);
                dlic_free(s2);
                dlic_close(&c);
            }
    unsetenv("DLIC_STRIPE");
    /* A memory limit the pipeline fits in, and one it does not. */
    c = open_ctx(m, 2, ~0u, 64u << 20);
    dlic_picture got;
    assert_int_equal(dlic_decode(c, ref, ref_size, &got), DLIC_OK);
    dlic_picture_free(&got);
    dlic_close(&c);
    c = open_ctx(m, 2, ~0u, 4096);
    assert_int_equal(dlic_decode(c, ref, ref_size, &got), DLIC_ERR_LIMIT);
    assert_int_equal(dlic_encode(c, &pic, &s2, &s2_size), DLIC_ERR_LIMIT);
    dlic_close(&c);
    dlic_picture_free(&want);
    dlic_free(ref);
    free(pic.data);
}

static void test_roundtrip_synthetic(void **state)
{
    (void)state;
    uint8_t *buf = NULL;
    size_t size = 0;
    small_model_bytes(&buf, &size);
    dlic_model *m = NULL;
    assert_int_equal(dlic_model_load(&m, buf, size), DLIC_OK);
    assert_int_equal(dlic_model_layer_count(m, DLIC_C_CTX), 1);
    assert_int_equal(dlic_model_layer_count(m, DLIC_C_EP), 2);
    roundtrip(m, 70, 130, DLIC_RGB);
    roundtrip(m, 1, 1, DLIC_GRAY);
    dlic_model_free(&m);
    free(buf);
}

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = malloc(1 << 22);
    *size = buf ? fread(buf, 1, 1 << 22, f) : 0;
    fclose(f);
    return buf;
}

/* The committed context test model; damaged streams of it. */
static void test_committed_model(void **state)
{
    (void)state;
    size_t size = 0;
    uint8_t *buf = read_file(CB_MODEL, &size);
    if (!buf)
        skip();
    dlic_model *m = NULL;
    assert_int_equal(dlic_model_load(&m, buf, size), DLIC_OK);
    roundtrip(m, 100, 75, DLIC_RGB);

    dlic_picture pic = make_picture(130, 70, DLIC_RGB);
    dlic_context *c = open_ctx(m, 2, ~0u, 0);
    uint8_t *s;
    size_t n;
    assert_int_equal(dlic_encode(c, &pic, &s, &n), DLIC_OK);
    uint8_t *mod = malloc(n);
    assert_non_null(mod);
    dlic_picture got;
    /* Truncations: an error, never pixels. */
    for (size_t k = 0; k < n; k += 1 + k / 16) {
        memcpy(mod, s, k);
        assert_int_not_equal(dlic_decode(c, mod, k, &got), DLIC_OK);
        assert_null(got.data);
    }
    /* Bit flips in YLAT's payload, its check fixed up: an error or some
     * picture, never a crash; flips elsewhere: a checksum error. */
    size_t ylat = 8, ylen = 0;
    while (ylat + 8 <= n && memcmp(s + ylat + 4, "YLAT", 4))
        ylat += 12 + (s[ylat] | (size_t)s[ylat + 1] << 8 | (size_t)s[ylat + 2] << 16);
    assert_true(ylat + 8 <= n);
    ylen = s[ylat] | (size_t)s[ylat + 1] << 8 | (size_t)s[ylat + 2] << 16;
    unsigned errors = 0;
    for (size_t k = 0; k < ylen * 8; k += 1 + k / 64) {
        memcpy(mod, s, n);
        mod[ylat + 8 + k / 8] ^= (uint8_t)(1u << (k % 8));
        const uint32_t check = XXH32(mod + ylat + 4, 4 + ylen, 0);
        for (unsigned j = 0; j < 4; j++)
            mod[ylat + 8 + ylen + j] = (uint8_t)(check >> (8 * j));
        const int r = dlic_decode(c, mod, n, &got);
        if (r == DLIC_OK)
            dlic_picture_free(&got);
        else
            assert_true(r == DLIC_ERR_CORRUPT || r == DLIC_ERR_TRUNCATED), errors++;
    }
    assert_true(errors > 0);
    memcpy(mod, s, n);
    mod[ylat + 8] ^= 0x10;
    assert_int_equal(dlic_decode(c, mod, n, &got), DLIC_ERR_CHECKSUM);
    dlic_free(s);
    free(mod);
    free(pic.data);
    dlic_close(&c);
    dlic_model_free(&m);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape_rules),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_roundtrip_synthetic),
        cmocka_unit_test(test_committed_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
