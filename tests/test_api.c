/* Public API surface: versions, errors, settings, models, contexts, and
 * argument checking. Uses only include/dlic/dlic.h (and the test model
 * builder, tests/support/model_builder.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dlic/dlic.h"
#include "tests/support/model_builder.h"

static void test_version(void **state)
{
    (void)state;
    char want[32];
    snprintf(want, sizeof(want), "%d.%d.%d", DLIC_VERSION_MAJOR,
             DLIC_VERSION_MINOR, DLIC_VERSION_PATCH);
    assert_string_equal(dlic_version(), want);
    assert_int_equal(dlic_version_number(), DLIC_VERSION_NUMBER);
}

static void test_strerror(void **state)
{
    (void)state;
    const char *msgs[DLIC_ERR_STATE + 1];
    for (int e = DLIC_OK; e <= DLIC_ERR_STATE; e++) {
        msgs[e] = dlic_strerror(e);
        assert_non_null(msgs[e]);
        assert_true(strlen(msgs[e]) > 0);
        for (int f = 0; f < e; f++)
            assert_string_not_equal(msgs[e], msgs[f]);
    }
    assert_non_null(dlic_strerror(-1));
    assert_non_null(dlic_strerror(12));
    assert_non_null(dlic_strerror(1 << 30));
    assert_string_equal(dlic_strerror(-1), dlic_strerror(12));
}

static void test_default_settings(void **state)
{
    (void)state;
    dlic_settings s;
    memset(&s, 0x5a, sizeof(s));
    dlic_default_settings(&s);
    assert_int_equal(s.quality, 75);
    assert_int_equal(s.threads, 0);
    assert_true(s.max_pixels == (uint64_t)1 << 28);
    assert_true(s.max_memory == 0);
    const unsigned isas = DLIC_CPU_AVX2 | DLIC_CPU_AVXVNNI | DLIC_CPU_AVX512;
    assert_true((s.cpu_mask & isas) == isas);
    assert_null(s.model);
    assert_null(s.progress);
    assert_null(s.progress_opaque);
    assert_int_equal(s.rdo, 1);
    dlic_default_settings(NULL);   /* no crash */
}

static void test_open_close(void **state)
{
    (void)state;
    dlic_context *c = (dlic_context *)1;
    assert_int_equal(dlic_open(NULL, NULL), DLIC_ERR_INVALID_ARG);
    assert_int_equal(dlic_open(&c, NULL), DLIC_OK);
    assert_non_null(c);
    dlic_close(&c);
    assert_null(c);
    dlic_close(&c);
    dlic_close(NULL);

    dlic_settings s;
    const int bad_quality[] = { -1, 101 }, bad_threads[] = { -1, 257 };
    for (int i = 0; i < 2; i++) {
        dlic_default_settings(&s);
        s.quality = bad_quality[i];
        c = (dlic_context *)1;
        assert_int_equal(dlic_open(&c, &s), DLIC_ERR_INVALID_ARG);
        assert_null(c);
        dlic_default_settings(&s);
        s.threads = bad_threads[i];
        assert_int_equal(dlic_open(&c, &s), DLIC_ERR_INVALID_ARG);
        assert_null(c);
        dlic_default_settings(&s);
        s.rdo = i ? 2 : -1;
        assert_int_equal(dlic_open(&c, &s), DLIC_ERR_INVALID_ARG);
        assert_null(c);
    }
    dlic_default_settings(&s);
    s.threads = 256;
    s.quality = 0;
    assert_int_equal(dlic_open(&c, &s), DLIC_OK);
    dlic_close(&c);
}

static void test_default_model(void **state)
{
    (void)state;
    const dlic_model *a = NULL, *b = NULL;
    assert_int_equal(dlic_model_default(NULL), DLIC_ERR_INVALID_ARG);
    assert_int_equal(dlic_model_default(&a), DLIC_OK);
    assert_int_equal(dlic_model_default(&b), DLIC_OK);
    assert_ptr_equal(a, b);
    assert_true(dlic_model_id(a) != 0);
    assert_non_null(dlic_model_name(a));
    const unsigned M = dlic_model_latent_channels(a), NZ = dlic_model_hyper_channels(a);
    assert_true(M > 0 && NZ > 0);

    /* SPEC §8.3 shapes, seen through the layer info. */
    dlic_layer_info li;
    for (int t = DLIC_G_A; t <= DLIC_G_S; t++) {
        const unsigned n = dlic_model_layer_count(a, t);
        assert_true(n >= 1 && n <= 16);
        for (unsigned i = 0; i < n; i++) {
            assert_int_equal(dlic_model_layer(a, t, i, &li), DLIC_OK);
            assert_true(li.k == 1 || li.k == 3 || li.k == 5);
            assert_true(li.lo <= li.hi);
            assert_true(li.macs_per_pixel > 0);
        }
        assert_int_equal(dlic_model_layer(a, t, n, &li), DLIC_ERR_INVALID_ARG);
    }
    /* A checkerboard context (SPEC §6.1, since session 11's default
     * model) has both c_ctx and c_ep, or neither; c_ep ends in 2M
     * channels (SPEC §8.3). */
    const unsigned nctx = dlic_model_layer_count(a, DLIC_C_CTX);
    const unsigned nep = dlic_model_layer_count(a, DLIC_C_EP);
    assert_true((nctx == 0) == (nep == 0));
    if (nep) {
        assert_int_equal(dlic_model_layer(a, DLIC_C_EP, nep - 1, &li), DLIC_OK);
        assert_int_equal(li.cout, 2 * M);
    }
    assert_int_equal(dlic_model_layer(a, DLIC_C_EP, nep, &li), DLIC_ERR_INVALID_ARG);
    /* g_a layer 0 runs at half resolution: k*k*cin*cout / 4 per pixel. */
    assert_int_equal(dlic_model_layer(a, DLIC_G_A, 0, &li), DLIC_OK);
    assert_true(li.cin == 3);
    const double want = (double)li.k * li.k * li.cin * li.cout /
                        ((double)li.stride * li.stride);
    assert_true(li.macs_per_pixel == want);
    assert_int_equal(dlic_model_layer(a, DLIC_G_A, dlic_model_layer_count(a, DLIC_G_A) - 1,
                                      &li), DLIC_OK);
    assert_int_equal(li.cout, M);

    assert_int_equal(dlic_model_layer_count(a, DLIC_G_S_LITE + 1), 0);
    assert_int_equal(dlic_model_layer_count(a, -1), 0);
    assert_int_equal(dlic_model_layer_count(NULL, 0), 0);
    assert_int_equal(dlic_model_layer(a, DLIC_G_S_LITE + 1, 0, &li), DLIC_ERR_INVALID_ARG);
    assert_int_equal(dlic_model_layer(a, 0, 0, NULL), DLIC_ERR_INVALID_ARG);
    assert_int_equal(dlic_model_layer(NULL, 0, 0, &li), DLIC_ERR_INVALID_ARG);

    /* Freeing the static default model is a no-op. */
    dlic_model *m = (dlic_model *)a;
    dlic_model_free(&m);
    assert_int_equal(dlic_model_default(&b), DLIC_OK);
    assert_ptr_equal(a, b);
    assert_true(dlic_model_id(b) != 0);
}

static void test_model_load(void **state)
{
    (void)state;
    dlic_model *m = (dlic_model *)1;
    static const uint8_t junk[64] = "DLICMDL";
    assert_int_equal(dlic_model_load(NULL, junk, sizeof(junk)), DLIC_ERR_INVALID_ARG);
    assert_int_equal(dlic_model_load(&m, NULL, 10), DLIC_ERR_INVALID_ARG);
    assert_null(m);
    m = (dlic_model *)1;
    assert_int_equal(dlic_model_load(&m, junk, sizeof(junk)), DLIC_ERR_BAD_MODEL);
    assert_null(m);
    dlic_model_free(&m);
    dlic_model_free(NULL);
    assert_int_equal(dlic_model_id(NULL), 0);
    assert_string_equal(dlic_model_name(NULL), "");
    assert_int_equal(dlic_model_is_test(NULL), 0);
    assert_int_equal(dlic_model_latent_channels(NULL), 0);
}

static void test_null_args(void **state)
{
    (void)state;
    dlic_context *c;
    assert_int_equal(dlic_open(&c, NULL), DLIC_OK);
    uint8_t px[3] = { 1, 2, 3 };
    dlic_picture p = { .width = 1, .height = 1, .colour = DLIC_RGB, .stride = 3, .data = px };
    uint8_t *out = (uint8_t *)1;
    size_t n = 1;
    assert_int_equal(dlic_encode(NULL, &p, &out, &n), DLIC_ERR_INVALID_ARG);
    assert_null(out);
    assert_int_equal(n, 0);
    assert_int_equal(dlic_encode(c, NULL, &out, &n), DLIC_ERR_INVALID_ARG);
    assert_int_equal(dlic_encode(c, &p, NULL, &n), DLIC_ERR_INVALID_ARG);
    assert_int_equal(dlic_encode(c, &p, &out, NULL), DLIC_ERR_INVALID_ARG);

    dlic_picture d;
    memset(&d, 0x33, sizeof(d));
    assert_int_equal(dlic_decode(NULL, px, 3, &d), DLIC_ERR_INVALID_ARG);
    assert_null(d.data);
    assert_int_equal(dlic_decode(c, px, 3, NULL), DLIC_ERR_INVALID_ARG);
    assert_int_equal(dlic_decode(c, NULL, 3, &d), DLIC_ERR_INVALID_ARG);
    assert_int_equal(dlic_decode(c, NULL, 0, &d), DLIC_ERR_NOT_DLIC);
    assert_int_equal(dlic_decode(c, px, 3, &d), DLIC_ERR_NOT_DLIC);
    assert_null(d.data);

    dlic_picture_free(NULL);
    dlic_free(NULL);

    /* The default model round-trips the smallest picture. */
    assert_int_equal(dlic_encode(c, &p, &out, &n), DLIC_OK);
    assert_int_equal(dlic_decode(c, out, n, &d), DLIC_OK);
    assert_int_equal(d.width, 1);
    assert_int_equal(d.height, 1);
    dlic_picture_free(&d);
    dlic_free(out);
    dlic_close(&c);
}

static void test_max_pixels(void **state)
{
    (void)state;
    dlic_settings s;
    dlic_default_settings(&s);
    s.max_pixels = 100;
    dlic_context *c;
    assert_int_equal(dlic_open(&c, &s), DLIC_OK);
    uint8_t *px = calloc(101 * 3, 1);
    dlic_picture p = { .width = 101, .height = 1, .colour = DLIC_RGB, .stride = 303, .data = px };
    uint8_t *out;
    size_t n;
    assert_int_equal(dlic_encode(c, &p, &out, &n), DLIC_ERR_LIMIT);
    p.width = 10, p.height = 10, p.stride = 30;
    assert_int_equal(dlic_encode(c, &p, &out, &n), DLIC_OK);
    dlic_free(out);

    /* 65535 x 65535 exceeds the default 2^28 without allocating anything. */
    dlic_close(&c);
    assert_int_equal(dlic_open(&c, NULL), DLIC_OK);
    p.width = 65535, p.height = 65535, p.stride = 3 * 65535;
    assert_int_equal(dlic_encode(c, &p, &out, &n), DLIC_ERR_LIMIT);
    free(px);
    dlic_close(&c);
}

static double transform_macs(const dlic_model *m, int t)
{
    double n = 0;
    dlic_layer_info li;
    for (unsigned i = 0; i < dlic_model_layer_count(m, t); i++) {
        assert_int_equal(dlic_model_layer(m, t, i, &li), DLIC_OK);
        n += li.macs_per_pixel;
    }
    return n;
}

/* dlic_settings.lite (SPEC §8.7): the default model's g_s lite decodes the
 * same stream to other pixels of the same size, the same for any thread
 * count; a model without one refuses it at dlic_open. */
static void test_lite(void **state)
{
    (void)state;
    const dlic_model *def;
    assert_int_equal(dlic_model_default(&def), DLIC_OK);
    const unsigned n = dlic_model_layer_count(def, DLIC_G_S_LITE);
    assert_true(n >= 1);
    dlic_layer_info li;
    assert_int_equal(dlic_model_layer(def, DLIC_G_S_LITE, 0, &li), DLIC_OK);
    assert_int_equal(li.cin, dlic_model_latent_channels(def));
    assert_int_equal(dlic_model_layer(def, DLIC_G_S_LITE, n - 1, &li), DLIC_OK);
    assert_int_equal(li.cout / (li.shuffle * li.shuffle), 3);
    assert_true(li.lo == 0 && li.hi == 255);
    /* issue 34's bound: at most 30% of g_s's multiply-adds */
    assert_true(transform_macs(def, DLIC_G_S_LITE) <= 0.3 * transform_macs(def, DLIC_G_S));

    dlic_settings s;
    dlic_context *c;
    dlic_default_settings(&s);
    assert_int_equal(s.lite, 0);
    s.lite = 2;
    assert_int_equal(dlic_open(&c, &s), DLIC_ERR_INVALID_ARG);

    uint8_t *buf;
    size_t size;
    dlic_model *plain;
    assert_int_equal(mb_build(8, 4, 8, 1, &buf, &size), 0);
    assert_int_equal(dlic_model_load(&plain, buf, size), DLIC_OK);
    free(buf);
    assert_int_equal(dlic_model_layer_count(plain, DLIC_G_S_LITE), 0);
    s.lite = 1;
    s.model = plain;
    c = (dlic_context *)1;
    assert_int_equal(dlic_open(&c, &s), DLIC_ERR_UNSUPPORTED);
    assert_null(c);
    dlic_model_free(&plain);

    enum { W = 45, H = 29 };
    uint8_t *px = malloc(W * H * 3);
    assert_non_null(px);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W * 3; x++)
            px[y * W * 3 + x] = (uint8_t)(x * 5 + y * 7 + ((x * y) & 31));
    dlic_picture in = { .width = W, .height = H, .colour = DLIC_RGB, .stride = W * 3,
                        .data = px };
    dlic_default_settings(&s);
    s.threads = 1;
    assert_int_equal(dlic_open(&c, &s), DLIC_OK);
    uint8_t *stream;
    assert_int_equal(dlic_encode(c, &in, &stream, &size), DLIC_OK);
    dlic_picture full, lite[2];
    assert_int_equal(dlic_decode(c, stream, size, &full), DLIC_OK);
    dlic_close(&c);
    for (int i = 0; i < 2; i++) {
        s.lite = 1;
        s.threads = i ? 3 : 1;
        assert_int_equal(dlic_open(&c, &s), DLIC_OK);
        assert_int_equal(dlic_decode(c, stream, size, &lite[i]), DLIC_OK);
        dlic_close(&c);
        assert_int_equal(lite[i].width, W);
        assert_int_equal(lite[i].height, H);
    }
    assert_memory_equal(lite[0].data, lite[1].data, (size_t)W * H * 3);
    double se = 0;
    for (size_t i = 0; i < (size_t)W * H * 3; i++) {
        const double d = (double)lite[0].data[i] - full.data[i];
        se += d * d;
    }
    assert_true(se > 0);                             /* another synthesis */
    assert_true(se / (W * H * 3) < 100.0);           /* of the same latent */
    dlic_picture_free(&full);
    dlic_picture_free(&lite[0]);
    dlic_picture_free(&lite[1]);
    dlic_free(stream);
    free(px);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_default_settings),
        cmocka_unit_test(test_open_close),
        cmocka_unit_test(test_default_model),
        cmocka_unit_test(test_model_load),
        cmocka_unit_test(test_null_args),
        cmocka_unit_test(test_max_pixels),
        cmocka_unit_test(test_lite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
