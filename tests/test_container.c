/* Container parsing and writing (SPEC §4), dlic_probe() and
 * dlic_stream_need(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/common.h"
#include "dlic/dlic.h"
#include "format/container.h"

static const dlic_header good_head = {
    .version_major = 1, .version_minor = 0, .width = 33, .height = 65,
    .colour = 0, .bit_depth = 8, .quality = 75,
    .model_id = 0x0123456789ABCDEFull,
};
static const uint8_t zlat[] = { 0, 1, 2, 3, 4, 5 };
static const uint8_t ylat[] = { 0, 9, 8, 7, 6, 5, 4, 3, 2 };

/* A stream assembled chunk by chunk, for the unusual cases. */
typedef struct stream {
    uint8_t buf[8192];
    size_t n;
} stream;

static void s_init(stream *s)
{
    memcpy(s->buf, DLIC_SIGNATURE, DLIC_SIGNATURE_SIZE);
    s->n = DLIC_SIGNATURE_SIZE;
}

static void s_chunk(stream *s, const char *type, const uint8_t *p, uint32_t len)
{
    assert_true(s->n + len + DLIC_CHUNK_OVERHEAD <= sizeof(s->buf));
    s->n += dlic_chunk_put(s->buf + s->n, type, p, len);
}

static void s_head(stream *s, const dlic_header *h)
{
    uint8_t head[DLIC_HEAD_SIZE];
    dlic_header_put(head, h);
    s_chunk(s, "HEAD", head, DLIC_HEAD_SIZE);
}

/* HEAD with one byte patched. */
static void s_head_patched(stream *s, size_t at, uint8_t v)
{
    uint8_t head[DLIC_HEAD_SIZE];
    dlic_header_put(head, &good_head);
    head[at] = v;
    s_chunk(s, "HEAD", head, DLIC_HEAD_SIZE);
}

static void s_tail(stream *s)
{
    s_chunk(s, "ZLAT", zlat, sizeof(zlat));
    s_chunk(s, "YLAT", ylat, sizeof(ylat));
    s_chunk(s, "DEND", NULL, 0);
}

static int parse(const stream *s)
{
    dlic_container c;
    dlic_stream_info info;
    int err = dlic_container_parse(s->buf, s->n, &c, &info);
    assert_int_equal(dlic_probe(s->buf, s->n, &info), err);
    return err;
}

static void test_roundtrip(void **state)
{
    (void)state;
    static const uint8_t icc[] = { 'i', 'c', 'c', 0, 1 };
    static const uint8_t exif[] = { 'M', 'M', 0, 42, 0, 0, 0, 8 };
    uint8_t *out;
    size_t size;
    assert_int_equal(dlic_container_write(&good_head, icc, sizeof(icc), exif,
                                          sizeof(exif), zlat, sizeof(zlat),
                                          ylat, sizeof(ylat), &out, &size),
                     DLIC_OK);
    dlic_container c;
    dlic_stream_info info;
    assert_int_equal(dlic_container_parse(out, size, &c, &info), DLIC_OK);
    assert_memory_equal(&c.head, &good_head, sizeof(good_head));
    assert_int_equal(c.zlat_size, sizeof(zlat));
    assert_memory_equal(c.zlat, zlat, sizeof(zlat));
    assert_int_equal(c.ylat_size, sizeof(ylat));
    assert_memory_equal(c.ylat, ylat, sizeof(ylat));
    assert_int_equal(c.icc_size, sizeof(icc));
    assert_memory_equal(c.icc, icc, sizeof(icc));
    assert_int_equal(c.exif_size, sizeof(exif));
    assert_memory_equal(c.exif, exif, sizeof(exif));

    assert_int_equal(dlic_probe(out, size, &info), DLIC_OK);
    assert_int_equal(info.width, 33);
    assert_int_equal(info.height, 65);
    assert_int_equal(info.quality, 75);
    assert_int_equal(info.bit_depth, 8);
    assert_int_equal(info.version_major, 1);
    assert_true(info.model_id == good_head.model_id);
    assert_int_equal(info.nchunks, 6);
    static const char *types[] = { "HEAD", "iccp", "exif", "ZLAT", "YLAT", "DEND" };
    uint64_t off = DLIC_SIGNATURE_SIZE;
    for (unsigned i = 0; i < 6; i++) {
        assert_string_equal(info.chunks[i].type, types[i]);
        assert_int_equal(info.chunks[i].offset, off);
        assert_true(info.chunks[i].check_ok);
        off += info.chunks[i].length + DLIC_CHUNK_OVERHEAD;
    }
    assert_int_equal(off, size);
    free(out);

    /* Without metadata, and with empty latent chunks. */
    assert_int_equal(dlic_container_write(&good_head, NULL, 0, NULL, 0, NULL,
                                          0, NULL, 0, &out, &size), DLIC_OK);
    assert_int_equal(size, DLIC_SIGNATURE_SIZE + 4 * DLIC_CHUNK_OVERHEAD +
                               DLIC_HEAD_SIZE);
    assert_int_equal(dlic_container_parse(out, size, &c, NULL), DLIC_OK);
    assert_null(c.icc);
    assert_null(c.exif);
    assert_int_equal(c.zlat_size, 0);
    free(out);
}

static void test_write_rejects(void **state)
{
    (void)state;
    dlic_header h;
    uint8_t *out = (uint8_t *)1;
    size_t size = 1;
    for (int i = 0; i < 8; i++) {
        h = good_head;
        switch (i) {
        case 0: h.version_major = 2; break;
        case 1: h.width = 0; break;
        case 2: h.width = 65536; break;
        case 3: h.height = 0; break;
        case 4: h.colour = 2; break;
        case 5: h.bit_depth = 16; break;
        case 6: h.quality = 101; break;
        case 7: h.height = 70000; break;
        }
        assert_int_equal(dlic_container_write(&h, NULL, 0, NULL, 0, zlat, 6,
                                              ylat, 9, &out, &size),
                         DLIC_ERR_INVALID_ARG);
        assert_null(out);
        assert_int_equal(size, 0);
    }
    assert_int_equal(dlic_container_write(&good_head, NULL, 5, NULL, 0, zlat,
                                          6, ylat, 9, &out, &size),
                     DLIC_ERR_INVALID_ARG);
    assert_int_equal(dlic_container_write(&good_head, NULL, 0, NULL, 0, zlat,
                                          (size_t)1 << 31, ylat, 9, &out, &size),
                     DLIC_ERR_INVALID_ARG);
}

/* Unknown ancillary chunks anywhere after HEAD are skipped (SPEC §4.2). */
static void test_ancillary(void **state)
{
    (void)state;
    static const uint8_t junk[] = { 1, 2, 3 };
    for (int where = 0; where < 3; where++) {
        stream s;
        s_init(&s);
        s_head(&s, &good_head);
        if (where == 0)
            s_chunk(&s, "abcd", junk, 3);
        s_chunk(&s, "ZLAT", zlat, sizeof(zlat));
        if (where == 1)
            s_chunk(&s, "zZzZ", NULL, 0);
        s_chunk(&s, "YLAT", ylat, sizeof(ylat));
        if (where == 2) {
            s_chunk(&s, "exif", junk, 3);
            s_chunk(&s, "exif", junk, 1);       /* the first one counts */
        }
        s_chunk(&s, "DEND", NULL, 0);
        dlic_container c;
        assert_int_equal(dlic_container_parse(s.buf, s.n, &c, NULL), DLIC_OK);
        assert_memory_equal(c.ylat, ylat, sizeof(ylat));
        if (where == 2)
            assert_int_equal(c.exif_size, 3);
        assert_int_equal(parse(&s), DLIC_OK);
    }

    /* More chunks than dlic_stream_info lists. */
    stream s;
    s_init(&s);
    s_head(&s, &good_head);
    for (int i = 0; i < 100; i++)
        s_chunk(&s, "abcd", junk, 3);
    s_tail(&s);
    dlic_stream_info info;
    assert_int_equal(dlic_probe(s.buf, s.n, &info), DLIC_OK);
    assert_int_equal(info.nchunks, DLIC_MAX_CHUNKS);

    /* An ancillary chunk before HEAD breaks SPEC §4.2 rule 1. */
    s_init(&s);
    s_chunk(&s, "abcd", junk, 3);
    s_head(&s, &good_head);
    s_tail(&s);
    assert_int_equal(parse(&s), DLIC_ERR_CORRUPT);
}

/* The chunk sequence of SPEC §4.2 rules 1, 3 and 4. */
static void test_sequence(void **state)
{
    (void)state;
    stream s;
    int err;
    static const uint8_t one = 0;

#define CASE(expect, ...)                                 \
    do {                                                  \
        s_init(&s);                                       \
        __VA_ARGS__;                                      \
        err = parse(&s);                                  \
        assert_int_equal(err, expect);                    \
    } while (0)

    CASE(DLIC_OK, s_head(&s, &good_head); s_tail(&s));
    /* unknown critical chunk */
    CASE(DLIC_ERR_UNSUPPORTED, s_head(&s, &good_head);
         s_chunk(&s, "ABCD", NULL, 0); s_tail(&s));
    CASE(DLIC_ERR_UNSUPPORTED, s_chunk(&s, "HEAd", NULL, 0));
    /* missing, repeated, out of order */
    CASE(DLIC_ERR_CORRUPT, s_tail(&s));
    CASE(DLIC_ERR_CORRUPT, s_head(&s, &good_head); s_head(&s, &good_head);
         s_tail(&s));
    CASE(DLIC_ERR_CORRUPT, s_head(&s, &good_head);
         s_chunk(&s, "YLAT", ylat, 9); s_chunk(&s, "DEND", NULL, 0));
    CASE(DLIC_ERR_CORRUPT, s_head(&s, &good_head);
         s_chunk(&s, "ZLAT", zlat, 6); s_chunk(&s, "ZLAT", zlat, 6);
         s_chunk(&s, "YLAT", ylat, 9); s_chunk(&s, "DEND", NULL, 0));
    CASE(DLIC_ERR_CORRUPT, s_head(&s, &good_head);
         s_chunk(&s, "YLAT", ylat, 9); s_chunk(&s, "ZLAT", zlat, 6);
         s_chunk(&s, "DEND", NULL, 0));
    CASE(DLIC_ERR_CORRUPT, s_head(&s, &good_head);
         s_chunk(&s, "ZLAT", zlat, 6); s_chunk(&s, "DEND", NULL, 0));
    CASE(DLIC_ERR_CORRUPT, s_head(&s, &good_head);
         s_chunk(&s, "ZLAT", zlat, 6); s_chunk(&s, "YLAT", ylat, 9);
         s_chunk(&s, "DEND", &one, 1));
    CASE(DLIC_ERR_CORRUPT, s_head(&s, &good_head); s_tail(&s);
         s_chunk(&s, "DEND", NULL, 0));
    CASE(DLIC_ERR_CORRUPT, s_head(&s, &good_head); s_tail(&s);
         s_chunk(&s, "abcd", NULL, 0));
    /* the data ends before DEND */
    CASE(DLIC_ERR_TRUNCATED, s_head(&s, &good_head);
         s_chunk(&s, "ZLAT", zlat, 6); s_chunk(&s, "YLAT", ylat, 9));
    CASE(DLIC_ERR_TRUNCATED, (void)0);
    /* trailing bytes (SPEC §4.2 rule 4) */
    CASE(DLIC_ERR_CORRUPT, s_head(&s, &good_head); s_tail(&s);
         s.buf[s.n++] = 0);
    /* bad type letters, oversized length */
    CASE(DLIC_ERR_CORRUPT, s_head(&s, &good_head);
         s_chunk(&s, "ab1d", NULL, 0); s_tail(&s));
    CASE(DLIC_ERR_CORRUPT, s_head(&s, &good_head);
         s_chunk(&s, "ab d", NULL, 0); s_tail(&s));
    CASE(DLIC_ERR_CORRUPT, s_head(&s, &good_head);
         dlic_wr32(s.buf + s.n, 0x80000000u); memcpy(s.buf + s.n + 4, "ZLAT", 4);
         s.n += 8);
    CASE(DLIC_ERR_TRUNCATED, s_head(&s, &good_head);
         dlic_wr32(s.buf + s.n, 0x7FFFFFFFu); memcpy(s.buf + s.n + 4, "ZLAT", 4);
         s.n += 8);
    /* HEAD's fields are checked after the chunk sequence (SPEC §4.2) */
    CASE(DLIC_ERR_TRUNCATED, s_head_patched(&s, 0, 2);
         s_chunk(&s, "ZLAT", zlat, 6));
    CASE(DLIC_ERR_CORRUPT, s_head_patched(&s, 0, 2); s_tail(&s);
         s.buf[s.n++] = 0);
    CASE(DLIC_ERR_UNSUPPORTED, s_head_patched(&s, 0, 2); s_tail(&s));
    /* HEAD of the wrong length */
    CASE(DLIC_ERR_CORRUPT, s_chunk(&s, "HEAD", zlat, 6); s_tail(&s));
#undef CASE
}

/* SPEC §4.3 field by field. */
static void test_head_fields(void **state)
{
    (void)state;
    static const struct { size_t at; uint8_t v; int err; } cases[] = {
        { 0, 0, DLIC_ERR_UNSUPPORTED }, { 0, 2, DLIC_ERR_UNSUPPORTED },
        { 1, 7, DLIC_OK },                              /* minor: any */
        { 2, 1, DLIC_ERR_UNSUPPORTED }, { 3, 0x80, DLIC_ERR_UNSUPPORTED },
        { 6, 1, DLIC_ERR_CORRUPT },                     /* width 65536+33 */
        { 10, 1, DLIC_ERR_CORRUPT },
        { 12, 1, DLIC_OK }, { 12, 2, DLIC_ERR_UNSUPPORTED },
        { 13, 16, DLIC_ERR_UNSUPPORTED }, { 13, 0, DLIC_ERR_UNSUPPORTED },
        { 14, 100, DLIC_OK }, { 14, 0, DLIC_OK }, { 14, 101, DLIC_ERR_CORRUPT },
        { 14, 255, DLIC_ERR_CORRUPT }, { 15, 1, DLIC_ERR_CORRUPT },
        { 23, 0xFF, DLIC_OK },                          /* model id */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        stream s;
        s_init(&s);
        s_head_patched(&s, cases[i].at, cases[i].v);
        s_tail(&s);
        assert_int_equal(parse(&s), cases[i].err);
    }
    static const uint32_t dims[][2] = {
        { 0, 1 }, { 1, 0 }, { 65536, 1 }, { 1, 65536 }, { 0xFFFFFFFFu, 5 },
    };
    for (size_t i = 0; i < sizeof(dims) / sizeof(dims[0]); i++) {
        dlic_header h = good_head;
        h.width = dims[i][0];
        h.height = dims[i][1];
        stream s;
        s_init(&s);
        s_head(&s, &h);
        s_tail(&s);
        assert_int_equal(parse(&s), DLIC_ERR_CORRUPT);
    }
    dlic_header h = good_head;
    h.width = h.height = 65535;
    stream s;
    s_init(&s);
    s_head(&s, &h);
    s_tail(&s);
    assert_int_equal(parse(&s), DLIC_OK);
}

static void test_not_dlic(void **state)
{
    (void)state;
    static const uint8_t png[] = { 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A,
                                   0, 0, 0, 13, 'I', 'H', 'D', 'R' };
    dlic_container c;
    dlic_stream_info info;
    assert_int_equal(dlic_container_parse(png, sizeof(png), &c, NULL),
                     DLIC_ERR_NOT_DLIC);
    assert_int_equal(dlic_container_parse(png, 0, &c, NULL), DLIC_ERR_NOT_DLIC);
    assert_int_equal(dlic_container_parse(NULL, 0, &c, NULL), DLIC_ERR_NOT_DLIC);
    assert_int_equal(dlic_container_parse(png, 1, &c, NULL), DLIC_ERR_TRUNCATED);
    assert_int_equal(dlic_container_parse(png, 2, &c, NULL), DLIC_ERR_NOT_DLIC);
    assert_int_equal(dlic_probe(png, sizeof(png), &info), DLIC_ERR_NOT_DLIC);
    assert_int_equal(dlic_probe(png, sizeof(png), NULL), DLIC_ERR_INVALID_ARG);
    assert_int_equal(dlic_probe(NULL, 5, &info), DLIC_ERR_INVALID_ARG);
}

/* Every prefix is truncated; every single-bit flip is caught. */
static void test_truncate_and_flip(void **state)
{
    (void)state;
    static const uint8_t icc[] = { 1, 2, 3, 4 };
    uint8_t *out;
    size_t size;
    assert_int_equal(dlic_container_write(&good_head, icc, sizeof(icc), NULL,
                                          0, zlat, sizeof(zlat), ylat,
                                          sizeof(ylat), &out, &size), DLIC_OK);
    dlic_container c;
    dlic_stream_info info;
    for (size_t n = 0; n < size; n++) {
        /* a copy of exactly n bytes, so ASan sees any overread */
        uint8_t *cut = malloc(n ? n : 1);
        assert_non_null(cut);
        memcpy(cut, out, n);
        int err = dlic_container_parse(cut, n, &c, &info);
        assert_int_equal(err, n == 0 ? DLIC_ERR_NOT_DLIC : DLIC_ERR_TRUNCATED);
        free(cut);
    }
    uint8_t *buf = malloc(size);
    assert_non_null(buf);
    for (size_t bit = 0; bit < size * 8; bit++) {
        memcpy(buf, out, size);
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        int err = dlic_container_parse(buf, size, &c, &info);
        assert_int_not_equal(err, DLIC_OK);
        if (bit / 8 < DLIC_SIGNATURE_SIZE)
            assert_int_equal(err, DLIC_ERR_NOT_DLIC);
        /* a flip inside a payload or check field is a checksum error */
        size_t at = bit / 8, off = DLIC_SIGNATURE_SIZE;
        for (unsigned i = 0; i < 6 && off < size; i++) {
            size_t len = dlic_rd32(out + off);
            if (at >= off + 8 && at < off + len + DLIC_CHUNK_OVERHEAD)
                assert_int_equal(err, DLIC_ERR_CHECKSUM);
            off += len + DLIC_CHUNK_OVERHEAD;
        }
    }

    /* probe reports the chunks read up to the failing one */
    memcpy(buf, out, size);
    size_t zl = DLIC_SIGNATURE_SIZE + DLIC_HEAD_SIZE + sizeof(icc) +
                2 * DLIC_CHUNK_OVERHEAD;
    buf[zl + 9] ^= 1;
    assert_int_equal(dlic_probe(buf, size, &info), DLIC_ERR_CHECKSUM);
    assert_int_equal(info.nchunks, 3);
    assert_string_equal(info.chunks[2].type, "ZLAT");
    assert_false(info.chunks[2].check_ok);
    assert_true(info.chunks[1].check_ok);
    assert_int_equal(info.width, 33);
    free(buf);
    free(out);
}

/* dlic_stream_need() on every prefix of a stream fed byte by byte, as a
 * streaming reader would: TRUNCATED with a need that never goes back and
 * is never met by the prefix, until the whole stream, then OK with its
 * size (also with bytes beyond DEND); not a stream, a huge length. */
static void test_stream_need(void **state)
{
    (void)state;
    static const uint8_t icc[] = { 1, 2, 3, 4 };
    uint8_t *out;
    size_t size, need, last = 0;
    assert_int_equal(dlic_container_write(&good_head, icc, sizeof(icc), NULL,
                                          0, zlat, sizeof(zlat), ylat,
                                          sizeof(ylat), &out, &size), DLIC_OK);
    unsigned answers = 0;
    for (size_t n = 0; n < size; n++) {
        uint8_t *cut = malloc(n ? n : 1);
        assert_non_null(cut);
        memcpy(cut, out, n);
        assert_int_equal(dlic_stream_need(cut, n, &need), DLIC_ERR_TRUNCATED);
        assert_true(need > n && need <= size && need >= last);
        answers += need != last;
        last = need;
        free(cut);
    }
    /* signature + 8, then each chunk's header and end: 5 chunks */
    assert_int_equal(answers, 1 + 2 * 5 - 1);
    assert_int_equal(dlic_stream_need(out, size, &need), DLIC_OK);
    assert_int_equal(need, size);
    uint8_t *more = malloc(size + 3);
    assert_non_null(more);
    memcpy(more, out, size);
    memset(more + size, 0, 3);
    assert_int_equal(dlic_stream_need(more, size + 3, &need), DLIC_OK);
    assert_int_equal(need, size);
    more[0] ^= 1;
    assert_int_equal(dlic_stream_need(more, size, &need), DLIC_ERR_NOT_DLIC);
    assert_int_equal(need, 0);
    memcpy(more, out, size);
    dlic_wr32(more + DLIC_SIGNATURE_SIZE, DLIC_CHUNK_MAX + 1u);
    assert_int_equal(dlic_stream_need(more, size, &need), DLIC_ERR_CORRUPT);
    assert_int_equal(dlic_stream_need(NULL, 0, &need), DLIC_ERR_TRUNCATED);
    assert_int_equal(need, DLIC_SIGNATURE_SIZE + 8);
    assert_int_equal(dlic_stream_need(out, size, NULL), DLIC_ERR_INVALID_ARG);
    free(more);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_write_rejects),
        cmocka_unit_test(test_ancillary),
        cmocka_unit_test(test_sequence),
        cmocka_unit_test(test_head_fields),
        cmocka_unit_test(test_not_dlic),
        cmocka_unit_test(test_truncate_and_flip),
        cmocka_unit_test(test_stream_need),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
