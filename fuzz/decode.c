/* Fuzz target: the whole decoder, dlic_decode() with a test model and
 * small limits (4096 pixels, 8 MiB of working memory) so that each input
 * is fast. Input: one flags byte (FUZZ_FIX_CHECKS, FUZZ_FIX_MODEL;
 * FUZZ_CB_MODEL picks the checkerboard-context model), then the stream.
 * A stream that decodes must decode to the same pixels with 2 threads and
 * on the scalar path (SPEC: bit-exact decoding). */
#include <stdlib.h>
#include <string.h>

#include "dlic/dlic.h"
#include "fuzz/fuzz_common.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

static int decode(const dlic_model *m, const uint8_t *s, size_t n, int threads,
                  unsigned cpu, dlic_picture *pic)
{
    dlic_settings st;
    dlic_context *ctx = NULL;
    dlic_default_settings(&st);
    st.model = m;
    st.threads = threads;
    st.cpu_mask = cpu;
    st.max_pixels = 4096;
    st.max_memory = (uint64_t)8 << 20;
    REQUIRE(dlic_open(&ctx, &st) == DLIC_OK);
    int r = dlic_decode(ctx, s, n, pic);
    if (r != DLIC_OK) {
        REQUIRE(pic->data == NULL);
        /* A failed context refuses further work (or decodes again). */
        dlic_picture again = { 0 };
        int r2 = dlic_decode(ctx, s, n, &again);
        REQUIRE(r2 != DLIC_OK && again.data == NULL);
    }
    dlic_close(&ctx);
    REQUIRE(ctx == NULL);
    return r;
}

static int same_pixels(const dlic_picture *a, const dlic_picture *b)
{
    if (a->width != b->width || a->height != b->height || a->colour != b->colour)
        return 0;
    size_t row = (size_t)a->width * (a->colour == DLIC_GRAY ? 1 : 3);
    for (uint32_t y = 0; y < a->height; y++)
        if (memcmp(a->data + y * a->stride, b->data + y * b->stride, row))
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const size_t n = size - 1;
    const unsigned flags = data[0] & (FUZZ_FIX_CHECKS | FUZZ_FIX_MODEL | FUZZ_CB_MODEL);
    const dlic_model *m = fuzz_test_model(flags);
    uint8_t *s = fuzz_fixup(data + 1, n, flags);
    dlic_picture pic = { 0 };
    int r = decode(m, s, n, 1, ~0u, &pic);
    REQUIRE(r >= DLIC_OK && r <= DLIC_ERR_STATE);
    if (r == DLIC_OK) {
        dlic_stream_info info;
        REQUIRE(dlic_probe(s, n, &info) == DLIC_OK);
        REQUIRE(pic.width == info.width && pic.height == info.height);
        REQUIRE(pic.colour == info.colour);
        REQUIRE(pic.stride >= (size_t)pic.width * (pic.colour == DLIC_GRAY ? 1 : 3));
        dlic_picture p2 = { 0 }, p3 = { 0 };
        REQUIRE(decode(m, s, n, 2, ~0u, &p2) == DLIC_OK && same_pixels(&pic, &p2));
        REQUIRE(decode(m, s, n, 1, 0, &p3) == DLIC_OK && same_pixels(&pic, &p3));
        dlic_picture_free(&p2);
        dlic_picture_free(&p3);
    }
    dlic_picture_free(&pic);
    free(s);
    return 0;
}
