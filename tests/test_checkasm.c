/* checkasm (dav1d tests/checkasm style): every SIMD kernel against the C
 * reference dlic_conv_c, bit for bit, on random layers and inputs with
 * extremes (|acc| at the SPEC §8.6 bound, clamps that saturate, shifts 0
 * and 62), odd widths/heights/channel counts, k 1/3/5, strides 1/2,
 * shuffles 1/2, row sub-ranges and ring-buffer rows; then whole transforms
 * on every ISA, thread count 1-3 and stripe height. Built for WebAssembly
 * too (`make wasm-checkasm`, run in Node by tests/cli/wasm.sh): there the
 * ISA is SIMD128, one thread, and the codec test (an encoder) is left out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "codec/nn/cpu.h"
#include "codec/nn/dsp.h"
#include "codec/nn/engine.h"
#include "codec/nn/exec.h"
#include "codec/nn/tensor.h"
#include "codec/nn/transform.h"
#include "core/common.h"

static uint64_t seed = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return (uint32_t)(seed >> 11);
}

static int rrange(int lo, int hi) { return lo + (int)(rnd() % (uint32_t)(hi - lo + 1)); }

typedef struct tlayer {
    dlic_layer l;
    int8_t *w;
} tlayer;

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    assert_non_null(p);
    return p;
}

/* A random layer whose input lies in [ilo, ihi]. extreme: weights at
 * +-127 and a bias that brings |B| + max|x| * sum|W| to exactly 2^31 - 1
 * when possible (SPEC §8.6); else small random values. */
static void make_layer(tlayer *t, unsigned cin, unsigned cout, unsigned k, unsigned s,
                       unsigned sh, int ilo, int ihi, int extreme)
{
    memset(t, 0, sizeof(*t));
    dlic_layer *l = &t->l;
    l->cin = (uint16_t)cin, l->cout = (uint16_t)cout;
    l->k = (uint8_t)k, l->stride = (uint8_t)s, l->shuffle = (uint8_t)sh;
    l->ilo = (int16_t)ilo, l->ihi = (int16_t)ihi;
    const size_t n = (size_t)cout * k * k * cin;
    t->w = xmalloc(n);
    l->w = t->w;
    l->bias = xmalloc(cout * sizeof(int32_t));
    l->mul = xmalloc(cout * sizeof(uint32_t));
    l->shift = xmalloc(cout);
    const int64_t xmax = abs(ilo) > abs(ihi) ? abs(ilo) : abs(ihi);
    for (unsigned o = 0; o < cout; o++) {
        int64_t sum = 0;
        int8_t *w = t->w + (size_t)o * k * k * cin;
        for (size_t i = 0; i < (size_t)k * k * cin; i++) {
            int v = extreme ? (rnd() & 1 ? 127 : -127) : rrange(-40, 40);
            if (extreme && rnd() % 8 == 0)
                v = -128 + (int)(rnd() % 2);   /* -128 too */
            w[i] = (int8_t)v;
            sum += abs(v);
        }
        /* Keep within the SPEC §8.6 bound: shrink weights if needed. */
        while (xmax * sum > INT32_MAX) {
            sum = 0;
            for (size_t i = 0; i < (size_t)k * k * cin; i++) {
                w[i] = (int8_t)(w[i] / 2);
                sum += abs(w[i]);
            }
        }
        const int64_t room = INT32_MAX - xmax * sum;
        int64_t b = extreme ? room : (int64_t)(rnd() % (uint32_t)(room < 100000 ? room + 1 : 100000));
        l->bias[o] = (int32_t)(rnd() & 1 ? b : -b);
        switch (rnd() % 4) {
        case 0:  l->mul[o] = 1, l->shift[o] = 0; break;
        case 1:  l->mul[o] = INT32_MAX, l->shift[o] = 62; break;
        default: l->mul[o] = rnd() & 0x7FFFFFFF, l->shift[o] = (uint8_t)rrange(20, 45); break;
        }
    }
    switch (rnd() % 3) {
    case 0:  l->lo = 0, l->hi = 255; break;               /* ReLU */
    case 1:  l->lo = -32768, l->hi = 32767; break;
    default: l->lo = (int16_t)rrange(-4095, 0), l->hi = (int16_t)rrange(1, 4095); break;
    }
}

static void free_layer(tlayer *t)
{
    free(t->w);
    free(t->l.bias);
    free(t->l.mul);
    free(t->l.shift);
}

static void fill_input(int16_t *x, size_t n, int ilo, int ihi, int extreme)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (int16_t)(extreme && rnd() % 2 ? (rnd() & 1 ? ilo : ihi) : rrange(ilo, ihi));
}

typedef struct isa {
    const char *name;
    unsigned flags;
} isa;

#ifdef __EMSCRIPTEN__
static const isa isas[] = {
    { "simd128", DLIC_CPU_SIMD128 },
};
#define MAX_THREADS 1       /* a build without pthreads */
#else
static const isa isas[] = {
    { "avx2", DLIC_CPU_AVX2 },
    { "avxvnni", DLIC_CPU_AVX2 | DLIC_CPU_AVXVNNI },
    { "avx512", DLIC_CPU_AVX2 | DLIC_CPU_AVX512 },
};
#define MAX_THREADS 7
#endif
#define NISA (sizeof(isas) / sizeof(isas[0]))

static void *alloc64(size_t n)
{
    void *p = NULL;
    assert_int_equal(posix_memalign(&p, 64, n ? n : 64), 0);
    return p;
}

/* One layer, one ISA: the kernel and dlic_conv_c on the same args. With
 * ring = 1 the input and output live in ring buffers holding only the rows
 * of [y0, y1) (as the striped runner uses them). */
static void check_layer(const dlic_nn_dsp *dsp, const tlayer *t, unsigned h, unsigned w,
                        int extreme, int ring)
{
    const dlic_layer *l = &t->l;
    const unsigned s = l->stride, sh = l->shuffle, p = (l->k - 1) / 2;
    const unsigned ho = (h + s - 1) / s, wo = (w + s - 1) / s;
    int16_t *x = xmalloc((size_t)h * w * l->cin * 2);
    fill_input(x, (size_t)h * w * l->cin, l->ilo, l->ihi, extreme);
    unsigned y0 = rnd() % (ho + 1), y1 = rnd() % (ho + 1);
    if (y0 > y1) {
        const unsigned tmp = y0;
        y0 = y1, y1 = tmp;
    }
    if (rnd() % 2)
        y0 = 0, y1 = ho;
    dlic_conv_args a = {
        .l = l, .src = x, .h = h, .w = w, .ho = ho, .wo = wo, .packed = NULL,
    };
    int16_t *ringbuf = NULL;
    if (ring && y1 > y0) {
        /* Input rows [y0*s - p, (y1-1)*s + p] in a ring of that many + 1
         * rows, starting at an arbitrary slot. */
        const long first = (long)y0 * s - (long)p < 0 ? 0 : (long)y0 * s - (long)p;
        long lastr = (long)(y1 - 1) * s + (long)p;
        if (lastr > (long)h - 1)
            lastr = (long)h - 1;
        const unsigned rows = (unsigned)(lastr - first + 2);
        const size_t rb = (size_t)w * l->cin;
        ringbuf = xmalloc(rows * rb * 2);
        a.src = ringbuf;
        a.src_rows = rows;
        a.src_row0 = (unsigned)first - rnd() % rows;   /* wraps at any slot */
        if (a.src_row0 > (unsigned)first)
            a.src_row0 = 0;
        for (long r = first; r <= lastr; r++)
            memcpy(ringbuf + ((unsigned)r - a.src_row0) % rows * rb, x + (size_t)r * rb, rb * 2);
        a.dst_row0 = y0 * sh;
        a.dst_rows = (y1 - y0) * sh;
    }
    const size_t on = (size_t)(a.dst_rows ? a.dst_rows : ho * sh) * wo * sh * l->cout / (sh * sh);
    int16_t *ref = xmalloc(on * 2), *got = xmalloc(on * 2);
    for (size_t i = 0; i < on; i++)
        ref[i] = got[i] = (int16_t)0x7A5A;       /* untouched outside [y0, y1) */

    a.dst = ref;
    dlic_conv_c(&a, y0, y1, NULL);
    void *packed = NULL, *scratch = NULL;
    if (dsp->pack) {
        packed = alloc64(dsp->packed_size(l));
        dsp->pack(l, packed);
        scratch = alloc64(dsp->scratch_size(l, w));
    }
    a.packed = packed;
    a.dst = got;
    /* Sometimes as threads split a step by output channels (stream.c):
     * slices in any order, each with a fresh scratch state. */
    const unsigned parts = rnd() % 3 ? 1 : 2 + rnd() % 4, rev = rnd() % 2;
    for (unsigned i = 0; i < parts; i++) {
        a.part = rev ? parts - 1 - i : i, a.parts = parts;
        dsp->conv[dlic_conv_kidx(l->k)][s - 1](&a, y0, y1, scratch);
    }
    if (memcmp(ref, got, on * 2)) {
        for (size_t i = 0; i < on; i++)
            if (ref[i] != got[i]) {
                fprintf(stderr, "mismatch at %zu: C %d, SIMD %d (cin %u cout %u k %u s %u "
                        "sh %u h %u w %u rows %u..%u ring %d extreme %d parts %u)\n", i, ref[i],
                        got[i], l->cin, l->cout, l->k, s, sh, h, w, y0, y1, ring, extreme,
                        parts);
                break;
            }
        fail();
    }
    free(packed);
    free(scratch);
    free(ref);
    free(got);
    free(ringbuf);
    free(x);
}

static const unsigned couts[] = { 1, 3, 4, 8, 12, 16, 20, 28, 32, 36, 48, 64, 68, 100, 128, 132 };

static void test_conv_kernels(void **state)
{
    (void)state;
    const unsigned det = dlic_cpu_detect();
    unsigned tested = 0;
    for (unsigned ii = 0; ii < NISA; ii++) {
        if ((det & isas[ii].flags) != isas[ii].flags) {
            printf("checkasm: %s not available, skipped\n", isas[ii].name);
            continue;
        }
        dlic_nn_dsp dsp;
        dlic_nn_dsp_init(&dsp, isas[ii].flags);
        unsigned n = 0;
        for (unsigned ki = 0; ki < 3; ki++)
            for (unsigned s = 1; s <= 2; s++)
                for (unsigned sh = 1; sh <= 2; sh++)
                    for (unsigned range = 0; range < 3; range++)
                        for (unsigned rep = 0; rep < 12; rep++) {
                            const unsigned k = 2 * ki + 1;
                            unsigned cout = couts[rnd() % 16];
                            if (sh == 2)
                                cout = (cout + 3) / 4 * 4;
                            const unsigned cin = rep < 2 ? (rep ? 64 : 3) : 1 + rnd() % 37;
                            /* u8 (ReLU), the latent range, full int16 */
                            const int ilo = range == 0 ? 0 : range == 1 ? -4095 : -32768;
                            const int ihi = range == 0 ? 255 : range == 1 ? 4095 : 32767;
                            const int extreme = rep % 3 == 0;
                            tlayer t;
                            make_layer(&t, cin, cout, k, s, sh, ilo, ihi, extreme);
                            const unsigned h = 1 + rnd() % 13, w = 1 + rnd() % 41;
                            check_layer(&dsp, &t, h, w, extreme, rep % 2);
                            free_layer(&t);
                            n++;
                        }
        printf("checkasm: %s conv: %u layers OK\n", isas[ii].name, n);
        tested++;
    }
    (void)tested;
}

/* The best kernel wins: AVX-512, else AVX-VNNI, else AVX2, else C (the
 * table is filled in ascending order, isas[] is in that order). An init
 * is built with its ISA's flags, so only those of this CPU are called. */
static void test_dispatch_order(void **state)
{
    (void)state;
    const unsigned det = dlic_cpu_detect();
    dlic_nn_dsp all, best, prev[NISA + 1];
    dlic_nn_dsp_init(&all, det);
    dlic_nn_dsp_init(&best, 0);
    unsigned n = 0;
    prev[n++] = best;
    for (unsigned i = 0; i < NISA; i++) {
        if ((det & isas[i].flags) != isas[i].flags)
            continue;
        dlic_nn_dsp_init(&best, isas[i].flags);
        for (unsigned j = 0; j < n; j++)
            assert_ptr_not_equal(best.conv[1][0], prev[j].conv[1][0]);
        prev[n++] = best;
    }
    /* the kernels are the same; the flags each table was made from may not
     * be (the detected ones can name features no kernel uses) */
    all.cpu_flags = best.cpu_flags;
    assert_memory_equal(&all, &best, sizeof(all));
}

/* ------------------------------------------------------ whole transforms */

/* tr on in with the C kernels on one thread: the bytes every ISA, thread
 * count and stripe height must give. */
static dlic_tensor c_reference(const dlic_transform *tr, const dlic_tensor *in)
{
    dlic_nn_dsp c;
    dlic_nn_dsp_init(&c, 0);
    dlic_nn_exec x0 = { .dsp = &c, .threads = 1, .total = tr->nlayers };
    dlic_tensor ref = { 0 };
    assert_int_equal(dlic_transform_run(&x0, tr, in, &ref), DLIC_OK);
    return ref;
}

/* The table of ISA f (0: C, else isas[f - 1]) in *dsp; 0 when this CPU
 * lacks it. */
static int isa_dsp(unsigned f, dlic_nn_dsp *dsp)
{
    const unsigned flags = f ? isas[f - 1].flags : 0;
    if ((dlic_cpu_detect() & flags) != flags)
        return 0;
    dlic_nn_dsp_init(dsp, flags);
    return 1;
}

static void test_transform_isas_threads_stripes(void **state)
{
    (void)state;
    /* g_s-like: wide-range input, shuffles; then g_a-like strides. */
    tlayer t[6];
    make_layer(&t[0], 12, 32, 3, 1, 2, -4095, 4095, 0);
    t[0].l.lo = 0, t[0].l.hi = 255;
    make_layer(&t[1], 8, 20, 3, 1, 1, 0, 255, 0);
    t[1].l.lo = 0, t[1].l.hi = 255;
    make_layer(&t[2], 20, 36, 5, 2, 1, 0, 255, 0);
    t[2].l.lo = -300, t[2].l.hi = 300;
    make_layer(&t[3], 36, 16, 1, 1, 2, -300, 300, 0);
    t[3].l.lo = 0, t[3].l.hi = 255;
    make_layer(&t[4], 4, 12, 3, 2, 1, 0, 255, 0);
    t[4].l.lo = 0, t[4].l.hi = 255;
    make_layer(&t[5], 12, 12, 3, 1, 2, 0, 255, 0);
    t[5].l.lo = 0, t[5].l.hi = 255;
    dlic_transform tr;
    memset(&tr, 0, sizeof(tr));
    tr.nlayers = 6;
    for (unsigned i = 0; i < 6; i++)
        tr.layer[i] = t[i].l;

    static const unsigned hs[] = { 1, 7, 23 }, ws[] = { 1, 13, 30 };
    for (unsigned d = 0; d < 3; d++) {
        const unsigned H = hs[d], W = ws[d];
        dlic_tensor in = { xmalloc((size_t)H * W * 12 * 2), H, W, 12 };
        fill_input(in.data, (size_t)H * W * 12, -4095, 4095, 1);
        dlic_tensor ref = c_reference(&tr, &in);
        const size_t bytes = ref.h * ref.w * ref.c * 2;

        for (unsigned f = 0; f <= NISA; f++) {
            dlic_nn_dsp dsp;
            if (!isa_dsp(f, &dsp))
                continue;
            for (unsigned th = 1; th <= 3 && th <= MAX_THREADS; th++) {
                static const unsigned stripes[] = { 1, 2, 3, 0, 1000 };
                for (unsigned si = 0; si < 5; si++) {
                    dlic_nn_exec x = { .dsp = &dsp, .threads = th, .total = 6,
                                       .stripe = stripes[si] };
                    dlic_tensor out;
                    assert_int_equal(dlic_transform_run(&x, &tr, &in, &out), DLIC_OK);
                    assert_int_equal(x.done, 6);
                    assert_int_equal(out.h * out.w * out.c * 2, bytes);
                    assert_memory_equal(out.data, ref.data, bytes);
                    free(out.data);
                }
                /* Through an engine: persistent pool, packed weights kept. */
                dlic_nn_engine *e;
                assert_int_equal(dlic_nn_engine_open(&e, &dsp, NULL, th), DLIC_OK);
                for (unsigned rep = 0; rep < 2; rep++) {
                    dlic_nn_exec x = { .dsp = &dsp, .threads = th, .engine = e, .stripe = 1 };
                    dlic_tensor out;
                    assert_int_equal(dlic_transform_run(&x, &tr, &in, &out), DLIC_OK);
                    assert_memory_equal(out.data, ref.data, bytes);
                    free(out.data);
                }
                dlic_nn_engine_close(&e);
                assert_null(e);
            }
        }
        free(ref.data);
        free(in.data);
    }
    for (unsigned i = 0; i < 6; i++)
        free_layer(&t[i]);
}

/* Steps of fewer rows than threads split their output channels between
 * the threads (stream.c): layers wide enough to get several threads per
 * one-row step, as c_ctx and c_ep in the checkerboard decoder, give the
 * bytes of one thread on every ISA. */
static void test_transform_channel_split(void **state)
{
    (void)state;
    tlayer t[2];
    make_layer(&t[0], 64, 72, 5, 1, 1, -300, 300, 0);
    t[0].l.lo = 0, t[0].l.hi = 255;
    make_layer(&t[1], 72, 100, 3, 1, 1, 0, 255, 0);
    dlic_transform tr;
    memset(&tr, 0, sizeof(tr));
    tr.nlayers = 2;
    tr.layer[0] = t[0].l, tr.layer[1] = t[1].l;
    const unsigned H = 5, W = 40;
    dlic_tensor in = { xmalloc((size_t)H * W * 64 * 2), H, W, 64 };
    fill_input(in.data, (size_t)H * W * 64, -300, 300, 0);
    dlic_tensor ref = c_reference(&tr, &in);
    const size_t bytes = ref.h * ref.w * ref.c * 2;
    for (unsigned f = 0; f <= NISA; f++) {
        dlic_nn_dsp dsp;
        if (!isa_dsp(f, &dsp))
            continue;
        for (unsigned th = 2; th <= MAX_THREADS; th += 5) {
            dlic_nn_exec x = { .dsp = &dsp, .threads = th, .stripe = 1 };
            dlic_tensor out;
            assert_int_equal(dlic_transform_run(&x, &tr, &in, &out), DLIC_OK);
            assert_memory_equal(out.data, ref.data, bytes);
            free(out.data);
        }
    }
    free(ref.data);
    free(in.data);
    for (unsigned i = 0; i < 2; i++)
        free_layer(&t[i]);
}

#ifndef __EMSCRIPTEN__
/* The codec's row pipelines (encoder: g_a from picture rows, h_s into the
 * latent coder; decoder: h_s -> latent decoding -> g_s -> pixels) give the
 * same bytes for stripe heights 1, 2, 3 and whole, on every ISA. */
static void test_codec_stripes(void **state)
{
    (void)state;
    FILE *f = fopen("weights/dlic-test.dlicm", "rb");
    assert_non_null(f);
    uint8_t *mbuf = xmalloc(1 << 20);
    const size_t msize = fread(mbuf, 1, 1 << 20, f);
    fclose(f);
    dlic_model *model;
    assert_int_equal(dlic_model_load(&model, mbuf, msize), DLIC_OK);
    free(mbuf);

    const uint32_t W = 200, H = 333;    /* latent 13 x 21 rows x cols */
    dlic_picture pic = { .width = W, .height = H, .colour = DLIC_RGB, .stride = 3 * W };
    uint8_t *px = xmalloc((size_t)3 * W * H);
    for (size_t i = 0; i < (size_t)3 * W * H; i++)
        px[i] = (uint8_t)((i * 7 + (i / (3 * W)) * 3) ^ rnd() % 16);
    pic.data = px;

    uint8_t *ref = NULL, *refpix = NULL;
    size_t ref_size = 0;
    static const char *stripes[] = { NULL, "1", "2", "3", "100000" };
    static const unsigned masks[] = {
        0, DLIC_CPU_AVX2, DLIC_CPU_AVX2 | DLIC_CPU_AVXVNNI, ~0u,
    };
    for (unsigned mi = 0; mi < sizeof(masks) / sizeof(masks[0]); mi++)
        for (unsigned si = 0; si < 5; si++) {
            if (stripes[si])
                setenv("DLIC_STRIPE", stripes[si], 1);
            else
                unsetenv("DLIC_STRIPE");
            dlic_settings s;
            dlic_default_settings(&s);
            s.model = model;
            s.threads = 1 + (int)(si % 3);
            s.cpu_mask = masks[mi];
            dlic_context *c;
            assert_int_equal(dlic_open(&c, &s), DLIC_OK);
            uint8_t *out;
            size_t out_size;
            assert_int_equal(dlic_encode(c, &pic, &out, &out_size), DLIC_OK);
            dlic_picture dec;
            assert_int_equal(dlic_decode(c, out, out_size, &dec), DLIC_OK);
            assert_int_equal(dec.width, W);
            assert_int_equal(dec.height, H);
            if (!ref) {
                ref = out, ref_size = out_size;
                refpix = dec.data;
                dec.data = NULL;
            } else {
                assert_int_equal(out_size, ref_size);
                assert_memory_equal(out, ref, ref_size);
                assert_memory_equal(dec.data, refpix, (size_t)3 * W * H);
                dlic_free(out);
            }
            dlic_picture_free(&dec);
            dlic_close(&c);
        }
    unsetenv("DLIC_STRIPE");
    dlic_free(ref);
    free(refpix);
    free(px);
    dlic_model_free(&model);
}

#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_kernels),
        cmocka_unit_test(test_dispatch_order),
        cmocka_unit_test(test_transform_isas_threads_stripes),
        cmocka_unit_test(test_transform_channel_split),
#ifndef __EMSCRIPTEN__
        cmocka_unit_test(test_codec_stripes),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
