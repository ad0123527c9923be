/* Encode/decode round trips with the test model (weights/dlic-test.dlicm):
 * sizes, colour models, determinism across threads and CPU paths, metadata,
 * limits, and damaged streams. Run from the repository root. */
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
#include "format/container.h"

#define TEST_MODEL "weights/dlic-test.dlicm"

static uint8_t *model_file;
static size_t model_size;
static dlic_model *model;

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n > 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) &&
            fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
        *size = (size_t)n;
    }
    fclose(f);
    return buf;
}

static int setup(void **state)
{
    (void)state;
    model_file = read_file(TEST_MODEL, &model_size);
    if (!model_file) {
        fprintf(stderr, "cannot read %s (run from the repository root)\n", TEST_MODEL);
        return -1;
    }
    return dlic_model_load(&model, model_file, model_size) == DLIC_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    dlic_model_free(&model);
    free(model_file);
    return 0;
}

static dlic_context *open_ctx(int threads, int quality, unsigned cpu_mask)
{
    dlic_settings s;
    dlic_default_settings(&s);
    s.model = model;
    s.threads = threads;
    s.quality = quality;
    s.cpu_mask = cpu_mask;
    dlic_context *c = NULL;
    assert_int_equal(dlic_open(&c, &s), DLIC_OK);
    return c;
}

/* A smooth pattern with some texture, deterministic. */
static dlic_picture make_picture(uint32_t w, uint32_t h, int colour, size_t extra)
{
    const size_t ch = colour == DLIC_RGB ? 3 : 1;
    dlic_picture p = { .width = w, .height = h, .colour = colour,
                       .stride = w * ch + extra };
    uint8_t *d = malloc(p.stride * h);
    assert_non_null(d);
    memset(d, 0xA5, p.stride * h);   /* padding bytes must not matter */
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            for (size_t c = 0; c < ch; c++)
                d[y * p.stride + x * ch + c] =
                    (uint8_t)((x * 3 + y * 2 + c * 60) ^ ((x * y) >> 4));
    p.data = d;
    return p;
}

static void encode_ok(dlic_context *c, const dlic_picture *p, uint8_t **out, size_t *n)
{
    assert_int_equal(dlic_encode(c, p, out, n), DLIC_OK);
    assert_non_null(*out);
    assert_true(*n > DLIC_SIGNATURE_SIZE);
}

static void assert_zeroed(const dlic_picture *p)
{
    static const dlic_picture zero;
    assert_memory_equal(p, &zero, sizeof(zero));
}

static void roundtrip(uint32_t w, uint32_t h, int colour, int quality)
{
    dlic_context *c = open_ctx(2, quality, ~0u);
    dlic_picture p = make_picture(w, h, colour, 0);
    uint8_t *s;
    size_t n;
    encode_ok(c, &p, &s, &n);

    dlic_stream_info info;
    assert_int_equal(dlic_probe(s, n, &info), DLIC_OK);
    assert_int_equal(info.width, w);
    assert_int_equal(info.height, h);
    assert_int_equal(info.colour, colour);
    assert_int_equal(info.quality, quality);
    assert_true(info.model_id == dlic_model_id(model));

    dlic_picture d;
    assert_int_equal(dlic_decode(c, s, n, &d), DLIC_OK);
    assert_int_equal(d.width, w);
    assert_int_equal(d.height, h);
    assert_int_equal(d.colour, colour);
    assert_int_equal(d.stride, (size_t)w * (colour == DLIC_RGB ? 3 : 1));
    assert_non_null(d.data);
    assert_null(d.icc);
    assert_null(d.exif);
    dlic_picture_free(&d);
    assert_zeroed(&d);
    dlic_free(s);
    free(p.data);
    dlic_close(&c);
    assert_null(c);
}

static void test_size_1x1(void **state) { (void)state; roundtrip(1, 1, DLIC_RGB, 75); }
static void test_size_3x7(void **state) { (void)state; roundtrip(3, 7, DLIC_RGB, 75); }
static void test_size_1x1000(void **state) { (void)state; roundtrip(1, 1000, DLIC_RGB, 75); }
static void test_size_1000x1(void **state) { (void)state; roundtrip(1000, 1, DLIC_RGB, 75); }
static void test_size_1001x999(void **state) { (void)state; roundtrip(1001, 999, DLIC_RGB, 75); }
static void test_gray(void **state) { (void)state; roundtrip(70, 33, DLIC_GRAY, 75); }

static void test_qualities(void **state)
{
    (void)state;
    static const int q[] = { 0, 1, 50, 99, 100 };
    for (unsigned i = 0; i < sizeof(q) / sizeof(q[0]); i++)
        roundtrip(65, 40, DLIC_RGB, q[i]);
}

/* Same bytes for repeated encodes, any thread count, any CPU path, any
 * input stride; same pixels for any thread count and CPU path. */
static void test_determinism(void **state)
{
    (void)state;
    dlic_picture p = make_picture(131, 77, DLIC_RGB, 0);
    dlic_picture p2 = make_picture(131, 77, DLIC_RGB, 13);
    dlic_context *c1 = open_ctx(1, 60, ~0u), *c2 = open_ctx(2, 60, ~0u),
                 *c3 = open_ctx(3, 60, 0);
    uint8_t *s1, *s1b, *s2, *s3, *s4;
    size_t n1, n1b, n2, n3, n4;
    encode_ok(c1, &p, &s1, &n1);
    encode_ok(c1, &p, &s1b, &n1b);
    encode_ok(c2, &p, &s2, &n2);
    encode_ok(c3, &p, &s3, &n3);
    encode_ok(c2, &p2, &s4, &n4);
    assert_int_equal(n1, n1b);
    assert_memory_equal(s1, s1b, n1);
    assert_int_equal(n1, n2);
    assert_memory_equal(s1, s2, n1);
    assert_int_equal(n1, n3);
    assert_memory_equal(s1, s3, n1);
    assert_int_equal(n1, n4);
    assert_memory_equal(s1, s4, n1);

    dlic_picture d1, d2, d3;
    assert_int_equal(dlic_decode(c1, s1, n1, &d1), DLIC_OK);
    assert_int_equal(dlic_decode(c2, s1, n1, &d2), DLIC_OK);
    assert_int_equal(dlic_decode(c3, s1, n1, &d3), DLIC_OK);
    assert_memory_equal(d1.data, d2.data, d1.stride * d1.height);
    assert_memory_equal(d1.data, d3.data, d1.stride * d1.height);
    dlic_picture_free(&d1);
    dlic_picture_free(&d2);
    dlic_picture_free(&d3);
    dlic_free(s1), dlic_free(s1b), dlic_free(s2), dlic_free(s3), dlic_free(s4);
    dlic_close(&c1), dlic_close(&c2), dlic_close(&c3);
    free(p.data);
    free(p2.data);
}

/* Gray input is fed as R = G = B (SPEC §3.1): the same latents as the
 * equivalent RGB picture, and gray output is (R + 2G + B + 2) >> 2. */
static void test_gray_matches_rgb(void **state)
{
    (void)state;
    const uint32_t w = 45, h = 20;
    dlic_picture g = make_picture(w, h, DLIC_GRAY, 0);
    dlic_picture rgb = make_picture(w, h, DLIC_RGB, 0);
    for (size_t i = 0; i < (size_t)w * h; i++)
        for (int c = 0; c < 3; c++)
            ((uint8_t *)rgb.data)[3 * i + c] = g.data[i];
    dlic_context *c = open_ctx(2, 75, ~0u);
    uint8_t *sg, *sr;
    size_t ng, nr;
    encode_ok(c, &g, &sg, &ng);
    encode_ok(c, &rgb, &sr, &nr);
    dlic_picture dg, dr;
    assert_int_equal(dlic_decode(c, sg, ng, &dg), DLIC_OK);
    assert_int_equal(dlic_decode(c, sr, nr, &dr), DLIC_OK);
    assert_int_equal(dg.colour, DLIC_GRAY);
    for (size_t i = 0; i < (size_t)w * h; i++) {
        const uint8_t *px = dr.data + 3 * i;
        assert_int_equal(dg.data[i], (px[0] + 2 * px[1] + px[2] + 2) >> 2);
    }
    dlic_picture_free(&dg);
    dlic_picture_free(&dr);
    dlic_free(sg);
    dlic_free(sr);
    dlic_close(&c);
    free(g.data);
    free(rgb.data);
}

static void test_metadata(void **state)
{
    (void)state;
    dlic_picture p = make_picture(20, 10, DLIC_RGB, 0);
    static const uint8_t icc[] = "not really an ICC profile";
    static const uint8_t exif[] = { 'M', 'M', 0, 42, 0, 0, 0, 8 };
    p.icc = icc, p.icc_size = sizeof(icc);
    p.exif = exif, p.exif_size = sizeof(exif);
    dlic_context *c = open_ctx(1, 75, ~0u);
    uint8_t *s;
    size_t n;
    encode_ok(c, &p, &s, &n);
    dlic_picture d;
    assert_int_equal(dlic_decode(c, s, n, &d), DLIC_OK);
    assert_int_equal(d.icc_size, sizeof(icc));
    assert_memory_equal(d.icc, icc, sizeof(icc));
    assert_int_equal(d.exif_size, sizeof(exif));
    assert_memory_equal(d.exif, exif, sizeof(exif));
    assert_true(d.icc != icc && d.exif != exif);   /* owned copies */
    dlic_picture_free(&d);
    dlic_free(s);
    dlic_close(&c);
    free(p.data);
}

typedef struct progress_log {
    int n, first, last, monotonic;
} progress_log;

static void on_progress(void *opaque, int percent)
{
    progress_log *l = opaque;
    if (l->n == 0)
        l->first = percent;
    else if (percent < l->last)
        l->monotonic = 0;
    l->last = percent;
    l->n++;
}

static void test_progress(void **state)
{
    (void)state;
    dlic_settings s;
    dlic_default_settings(&s);
    s.model = model;
    progress_log log = { 0, -1, -1, 1 };
    s.progress = on_progress;
    s.progress_opaque = &log;
    dlic_context *c;
    assert_int_equal(dlic_open(&c, &s), DLIC_OK);
    dlic_picture p = make_picture(40, 40, DLIC_RGB, 0);
    uint8_t *out;
    size_t n;
    encode_ok(c, &p, &out, &n);
    assert_true(log.n >= 3);
    assert_int_equal(log.first, 0);
    assert_int_equal(log.last, 100);
    assert_true(log.monotonic);
    log = (progress_log){ 0, -1, -1, 1 };
    dlic_picture d;
    assert_int_equal(dlic_decode(c, out, n, &d), DLIC_OK);
    assert_int_equal(log.first, 0);
    assert_int_equal(log.last, 100);
    assert_true(log.monotonic);
    dlic_picture_free(&d);
    dlic_free(out);
    dlic_close(&c);
    free(p.data);
}

/* Decoding `s` must fail with `want` and leave the picture zeroed; the
 * context stays usable afterwards. */
static void expect_decode_error(dlic_context *c, const uint8_t *s, size_t n, int want)
{
    dlic_picture d;
    memset(&d, 0x77, sizeof(d));
    assert_int_equal(dlic_decode(c, s, n, &d), want);
    assert_zeroed(&d);
}

static void rewrite_chunk_check(uint8_t *chunk)
{
    const uint32_t len = (uint32_t)chunk[0] | (uint32_t)chunk[1] << 8 |
                         (uint32_t)chunk[2] << 16 | (uint32_t)chunk[3] << 24;
    const uint32_t h = XXH32(chunk + 4, 4 + (size_t)len, 0);
    uint8_t *p = chunk + 8 + len;
    p[0] = (uint8_t)h, p[1] = (uint8_t)(h >> 8), p[2] = (uint8_t)(h >> 16), p[3] = (uint8_t)(h >> 24);
}

/* Rebuild s with another ZLAT payload. */
static uint8_t *with_zlat(const uint8_t *s, size_t n, const uint8_t *z, size_t zn,
                          size_t *out_n)
{
    dlic_container ct;
    assert_int_equal(dlic_container_parse(s, n, &ct, NULL), DLIC_OK);
    uint8_t *out;
    assert_int_equal(dlic_container_write(&ct.head, NULL, 0, NULL, 0, z, zn,
                                          ct.ylat, ct.ylat_size, &out, out_n), DLIC_OK);
    return out;
}

static void test_damaged_streams(void **state)
{
    (void)state;
    dlic_context *c = open_ctx(2, 75, ~0u);
    dlic_picture p = make_picture(90, 70, DLIC_RGB, 0);
    uint8_t *s;
    size_t n;
    encode_ok(c, &p, &s, &n);
    uint8_t *t = malloc(n + 1);

    /* Truncated anywhere. */
    expect_decode_error(c, s, n - 1, DLIC_ERR_TRUNCATED);
    expect_decode_error(c, s, n / 2, DLIC_ERR_TRUNCATED);
    expect_decode_error(c, s, 20, DLIC_ERR_TRUNCATED);
    expect_decode_error(c, s, 0, DLIC_ERR_NOT_DLIC);

    /* A flipped bit in a payload. */
    memcpy(t, s, n);
    t[n - 20] ^= 0x10;
    expect_decode_error(c, t, n, DLIC_ERR_CHECKSUM);

    /* Bytes after DEND. */
    memcpy(t, s, n);
    t[n] = 0;
    expect_decode_error(c, t, n + 1, DLIC_ERR_CORRUPT);

    /* Another model id in HEAD, with a valid checksum. */
    memcpy(t, s, n);
    t[DLIC_SIGNATURE_SIZE + 8 + 16] ^= 1;
    rewrite_chunk_check(t + DLIC_SIGNATURE_SIZE);
    expect_decode_error(c, t, n, DLIC_ERR_MODEL_MISMATCH);

    /* ZLAT with one byte too many or too few (SPEC §4.5). */
    dlic_container ct;
    assert_int_equal(dlic_container_parse(s, n, &ct, NULL), DLIC_OK);
    uint8_t *z = malloc(ct.zlat_size + 1);
    memcpy(z, ct.zlat, ct.zlat_size);
    z[ct.zlat_size] = 0;
    size_t m;
    uint8_t *u = with_zlat(s, n, z, ct.zlat_size + 1, &m);
    expect_decode_error(c, u, m, DLIC_ERR_CORRUPT);
    dlic_free(u);
    u = with_zlat(s, n, z, ct.zlat_size - 1, &m);
    expect_decode_error(c, u, m, DLIC_ERR_TRUNCATED);
    dlic_free(u);
    z[0] = 1;   /* SPEC §7.1: the first byte of a stream is 0 */
    u = with_zlat(s, n, z, ct.zlat_size, &m);
    expect_decode_error(c, u, m, DLIC_ERR_CORRUPT);
    dlic_free(u);
    u = with_zlat(s, n, z, 0, &m);
    expect_decode_error(c, u, m, DLIC_ERR_TRUNCATED);
    dlic_free(u);
    free(z);

    /* Bad input does not poison the context. */
    dlic_picture d;
    assert_int_equal(dlic_decode(c, s, n, &d), DLIC_OK);
    dlic_picture_free(&d);

    free(t);
    dlic_free(s);
    free(p.data);
    dlic_close(&c);
}

/* Random bit flips inside ZLAT and YLAT, with valid chunk checksums, reach
 * the range decoder: every outcome must be a clean result or error. */
static void test_latent_bitflips(void **state)
{
    (void)state;
    dlic_context *c = open_ctx(1, 75, ~0u);
    dlic_picture p = make_picture(100, 60, DLIC_RGB, 0);
    uint8_t *s;
    size_t n;
    encode_ok(c, &p, &s, &n);
    uint8_t *t = malloc(n);
    uint32_t seed = 1;
    int failures = 0;
    for (int iter = 0; iter < 300; iter++) {
        memcpy(t, s, n);
        /* Walk to ZLAT (even iterations) or YLAT (odd). */
        const char *want = iter & 1 ? "YLAT" : "ZLAT";
        size_t off = DLIC_SIGNATURE_SIZE, len = 0;
        for (;;) {
            len = (size_t)t[off] | (size_t)t[off + 1] << 8 | (size_t)t[off + 2] << 16 |
                  (size_t)t[off + 3] << 24;
            if (!memcmp(t + off + 4, want, 4))
                break;
            off += DLIC_CHUNK_OVERHEAD + len;
            assert_true(off < n);
        }
        seed = seed * 1103515245u + 12345u;
        const size_t bit = (seed >> 4) % (len * 8);
        t[off + 8 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
        rewrite_chunk_check(t + off);
        dlic_picture d;
        const int r = dlic_decode(c, t, n, &d);
        assert_true(r == DLIC_OK || r == DLIC_ERR_CORRUPT || r == DLIC_ERR_TRUNCATED);
        if (r) {
            assert_zeroed(&d);
            failures++;
        } else {
            assert_int_equal(d.width, 100);
        }
        dlic_picture_free(&d);
    }
    assert_true(failures > 0);
    free(t);
    dlic_free(s);
    free(p.data);
    dlic_close(&c);
}

/* A context holding another model (same weights, other name, so another
 * id) refuses the stream. */
static void test_other_model(void **state)
{
    (void)state;
    uint8_t *f = malloc(model_size);
    memcpy(f, model_file, model_size);
    assert_true(f[12] >= 1);       /* name_len; name at offset 13 (SPEC §8.1) */
    f[13] = f[13] == 'x' ? 'y' : 'x';
    const uint32_t h = XXH32(f, model_size - 4, 0);
    uint8_t *p = f + model_size - 4;
    p[0] = (uint8_t)h, p[1] = (uint8_t)(h >> 8), p[2] = (uint8_t)(h >> 16), p[3] = (uint8_t)(h >> 24);
    dlic_model *other;
    assert_int_equal(dlic_model_load(&other, f, model_size), DLIC_OK);
    assert_true(dlic_model_id(other) != dlic_model_id(model));

    dlic_context *c = open_ctx(1, 75, ~0u);
    dlic_settings s;
    dlic_default_settings(&s);
    s.model = other;
    dlic_context *c2;
    assert_int_equal(dlic_open(&c2, &s), DLIC_OK);
    dlic_picture pic = make_picture(16, 16, DLIC_RGB, 0);
    uint8_t *st;
    size_t n;
    encode_ok(c, &pic, &st, &n);
    expect_decode_error(c2, st, n, DLIC_ERR_MODEL_MISMATCH);
    dlic_free(st);
    dlic_close(&c);
    dlic_close(&c2);
    dlic_model_free(&other);
    free(f);
    free(pic.data);
}

static void test_limits(void **state)
{
    (void)state;
    dlic_picture p = make_picture(20, 10, DLIC_RGB, 0);
    dlic_context *c = open_ctx(1, 75, ~0u);
    uint8_t *s;
    size_t n;
    encode_ok(c, &p, &s, &n);

    dlic_settings st;
    dlic_default_settings(&st);
    st.model = model;
    st.max_pixels = 199;
    dlic_context *small;
    assert_int_equal(dlic_open(&small, &st), DLIC_OK);
    uint8_t *o = (uint8_t *)1;
    size_t on = 1;
    assert_int_equal(dlic_encode(small, &p, &o, &on), DLIC_ERR_LIMIT);
    assert_null(o);
    assert_int_equal(on, 0);
    expect_decode_error(small, s, n, DLIC_ERR_LIMIT);
    dlic_close(&small);

    st.max_pixels = 200;
    assert_int_equal(dlic_open(&small, &st), DLIC_OK);
    dlic_picture d;
    assert_int_equal(dlic_decode(small, s, n, &d), DLIC_OK);
    dlic_picture_free(&d);
    dlic_close(&small);

    st.max_memory = 1000;    /* far below what even a 64x64 pad needs */
    assert_int_equal(dlic_open(&small, &st), DLIC_OK);
    assert_int_equal(dlic_encode(small, &p, &o, &on), DLIC_ERR_LIMIT);
    expect_decode_error(small, s, n, DLIC_ERR_LIMIT);
    dlic_close(&small);

    st.max_memory = (uint64_t)1 << 30;
    assert_int_equal(dlic_open(&small, &st), DLIC_OK);
    assert_int_equal(dlic_decode(small, s, n, &d), DLIC_OK);
    dlic_picture_free(&d);
    dlic_close(&small);

    dlic_free(s);
    dlic_close(&c);
    free(p.data);
}

static void test_bad_pictures(void **state)
{
    (void)state;
    dlic_context *c = open_ctx(1, 75, ~0u);
    dlic_picture p = make_picture(8, 8, DLIC_RGB, 0), q;
    uint8_t *o;
    size_t n;
    q = p, q.width = 0;
    assert_int_equal(dlic_encode(c, &q, &o, &n), DLIC_ERR_INVALID_ARG);
    q = p, q.height = 65536;
    assert_int_equal(dlic_encode(c, &q, &o, &n), DLIC_ERR_INVALID_ARG);
    q = p, q.stride = 23;
    assert_int_equal(dlic_encode(c, &q, &o, &n), DLIC_ERR_INVALID_ARG);
    q = p, q.colour = 2;
    assert_int_equal(dlic_encode(c, &q, &o, &n), DLIC_ERR_INVALID_ARG);
    q = p, q.data = NULL;
    assert_int_equal(dlic_encode(c, &q, &o, &n), DLIC_ERR_INVALID_ARG);
    q = p, q.icc_size = 5;
    assert_int_equal(dlic_encode(c, &q, &o, &n), DLIC_ERR_INVALID_ARG);
    assert_null(o);
    assert_int_equal(n, 0);
    /* Still usable. */
    encode_ok(c, &p, &o, &n);
    dlic_free(o);
    dlic_close(&c);
    free(p.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_1x1),
        cmocka_unit_test(test_size_3x7),
        cmocka_unit_test(test_size_1x1000),
        cmocka_unit_test(test_size_1000x1),
        cmocka_unit_test(test_size_1001x999),
        cmocka_unit_test(test_gray),
        cmocka_unit_test(test_qualities),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_gray_matches_rgb),
        cmocka_unit_test(test_metadata),
        cmocka_unit_test(test_progress),
        cmocka_unit_test(test_damaged_streams),
        cmocka_unit_test(test_latent_bitflips),
        cmocka_unit_test(test_other_model),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_bad_pictures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
