/* Latent refinement (codec/enc/refine.h, gsgrad.h, egrad.h): the float
 * g_s against the integer one, its gradient and the entropy model's
 * against finite differences, its SIMD
 * convolution against the C one bit for bit, and
 * refinement through the public API (streams that decode, settings
 * checked, the memory limit). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "codec/enc/egrad.h"
#include "codec/enc/gsgrad.h"
#include "codec/enc/refine.h"
#include "codec/nn/cpu.h"
#include "codec/nn/dsp.h"
#include "codec/nn/exec.h"
#include "codec/nn/tensor.h"
#include "codec/nn/transform.h"
#include "dlic/dlic.h"
#include "format/model.h"
#include "tests/support/model_builder.h"

static uint64_t rng_state = 7;
static uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33);
}

static void synthetic(struct dlic_model *m, uint32_t seed)
{
    uint8_t *buf = NULL;
    size_t size = 0;
    assert_int_equal(mb_build(8, 4, 8, seed, &buf, &size), 0);
    assert_int_equal(dlic_model_parse(m, buf, size, 1), DLIC_OK);
    free(buf);
}

/* Picture of w x h holding the h x w x 3 pixels of t (clamped). */
static void to_picture(const dlic_tensor *t, size_t w, size_t h, dlic_picture *pic)
{
    *pic = (dlic_picture){ .width = (uint32_t)w, .height = (uint32_t)h, .colour = DLIC_RGB,
                           .stride = w * 3 };
    assert_non_null(pic->data = malloc(w * h * 3));
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w * 3; x++) {
            const int v = t->data[y * t->w * 3 + x];
            pic->data[y * w * 3 + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
}

/* On an integer latent the float copy of g_s gives the integer g_s's
 * pixels up to the roundings of SPEC §5.2 (a few units). */
static void test_float_matches_integer(void **state)
{
    (void)state;
    struct dlic_model m;
    synthetic(&m, 3);
    const size_t h = 3, w = 5, M = m.M;
    dlic_tensor YH = { malloc(h * w * M * sizeof(int16_t)), h, w, M }, X = { 0 };
    assert_non_null(YH.data);
    for (size_t i = 0; i < h * w * M; i++)
        YH.data[i] = (int16_t)((int)(rnd() % 201) - 100);
    dlic_nn_dsp dsp;
    dlic_nn_dsp_init(&dsp, 0);
    dlic_nn_exec x = { .dsp = &dsp, .threads = 1 };
    assert_int_equal(dlic_transform_run(&x, &m.t[DLIC_G_S], &YH, &X), DLIC_OK);
    assert_int_equal(X.h, h * 16);
    dlic_picture pic;
    to_picture(&X, X.w, X.h, &pic);
    for (unsigned threads = 1; threads <= 3; threads += 2) {
        dlic_gsgrad *g;
        assert_int_equal(dlic_gsgrad_open(&g, &m, h, w), DLIC_OK);
        float *in = dlic_gsgrad_input(g);
        for (size_t i = 0; i < h * w * M; i++)
            in[i] = YH.data[i];
        x.threads = threads;
        const double mse = dlic_gsgrad_run(g, &x, &pic, 1.0, NULL) / (X.h * X.w * 3.0);
        assert_true(mse < 4.0);
        /* and the output does differ from a wrong picture */
        for (size_t i = 0; i < h * w * M; i++)
            in[i] = YH.data[i];
        pic.data[0] ^= 0x80;
        assert_true(dlic_gsgrad_run(g, &x, &pic, 1.0, NULL) / (X.h * X.w * 3.0) > mse);
        pic.data[0] ^= 0x80;
        dlic_gsgrad_close(&g);
        assert_null(g);
    }
    free(pic.data);
    free(YH.data);
    free(X.data);
    dlic_model_release(&m);
}

/* The gradient against central differences of the SSE, at random
 * coordinates of a random latent, on a picture smaller than the output
 * (its padding carries no error); a few coordinates may sit on a clamp's
 * kink, and the differences carry the float sums' rounding. */
static void test_gradient(void **state)
{
    (void)state;
    struct dlic_model m;
    synthetic(&m, 5);
    const size_t h = 2, w = 3, M = m.M, n = h * w * M;
    dlic_picture pic = { .width = 45, .height = 29, .colour = DLIC_RGB, .stride = 45 * 3 };
    assert_non_null(pic.data = malloc(45 * 29 * 3));
    for (size_t i = 0; i < 45 * 29 * 3; i++)
        pic.data[i] = (uint8_t)rnd();
    float *y = malloc(n * sizeof(float)), *grad = malloc(n * sizeof(float));
    assert_true(y && grad);
    for (size_t i = 0; i < n; i++)
        y[i] = (float)((int)(rnd() % 2001) - 1000) / 10.0f;
    dlic_gsgrad *g;
    assert_int_equal(dlic_gsgrad_open(&g, &m, h, w), DLIC_OK);
    dlic_nn_dsp dsp;
    dlic_nn_dsp_init(&dsp, dlic_cpu_flags(~0u));
    dlic_nn_exec x = { .dsp = &dsp, .threads = 1 };
    memcpy(dlic_gsgrad_input(g), y, n * sizeof(float));
    const double scale = 0.5;
    dlic_gsgrad_run(g, &x, &pic, scale, grad);
    double gmax = 0;
    for (size_t i = 0; i < n; i++)
        gmax = fmax(gmax, fabs(grad[i]));
    unsigned good = 0, nonzero = 0;
    const unsigned tries = 40;
    for (unsigned t = 0; t < tries; t++) {
        const size_t i = rnd() % n;
        const float eps = 0.05f, keep = y[i];
        double sse[2];
        for (int s = 0; s < 2; s++) {
            y[i] = keep + (s ? eps : -eps);
            memcpy(dlic_gsgrad_input(g), y, n * sizeof(float));
            sse[s] = dlic_gsgrad_run(g, &x, &pic, scale, NULL);
        }
        y[i] = keep;
        const double fd = scale * (sse[1] - sse[0]) / (2 * eps);
        nonzero += grad[i] != 0.0f;
        /* the differences' float noise scales with the largest gradients,
         * not with this one */
        good += fabs(fd - grad[i]) <= 0.02 * fabs(fd) + 1e-3 * (1 + gmax);
    }
    assert_true(nonzero >= tries / 2);
    assert_true(good >= tries * 9 / 10);
    dlic_gsgrad_close(&g);
    free(y);
    free(grad);
    free(pic.data);
    dlic_model_release(&m);
}

/* The entropy model's gradients (egrad.h) against central differences of
 * a random linear function of MU and LS, with respect to the soft
 * hyper-latent and (with a context) to the anchors' latent, with and
 * without a context. */
static double egrad_loss(dlic_egrad *e, dlic_nn_exec *x, const float *z, size_t nz,
                         const float *yh, float *mu, float *ls, const float *cm,
                         const float *cl, size_t n)
{
    memcpy(dlic_egrad_z(e), z, nz * sizeof(float));
    dlic_egrad_hyper(e, x, mu, ls);
    dlic_egrad_context(e, x, yh, mu, ls);
    double L = 0;
    for (size_t i = 0; i < n; i++)
        L += (double)cm[i] * mu[i] + (double)cl[i] * ls[i];
    return L;
}

static void test_egrad_gradient(void **state)
{
    (void)state;
    for (int context = 0; context < 2; context++) {
        mb_config cfg;
        mb_model b;
        mb_config_default(&cfg, 8, 4, 8);
        cfg.seed = 11;
        assert_int_equal(mb_init(&b, &cfg), 0);
        if (context)
            assert_int_equal(mb_add_context(&b, 8, 13), 0);
        uint8_t *buf = NULL;
        size_t size = 0;
        assert_int_equal(mb_serialize(&b, &buf, &size), 0);
        mb_free(&b);
        struct dlic_model m;
        assert_int_equal(dlic_model_parse(&m, buf, size, 1), DLIC_OK);
        free(buf);
        assert_true(dlic_egrad_supported(&m));
        const size_t zh = 2, zw = 2, h = 8, w = 8, M = m.M;
        const size_t nz = zh * zw * m.NZ, n = h * w * M;
        dlic_egrad *e;
        assert_int_equal(dlic_egrad_open(&e, &m, zh, zw, h, w + 1), DLIC_ERR_INVALID_ARG);
        assert_null(e);
        assert_int_equal(dlic_egrad_open(&e, &m, zh, zw, h, w), DLIC_OK);
        float *z = malloc(nz * sizeof(float)), *gz = malloc(nz * sizeof(float));
        float *f[7];
        for (int i = 0; i < 7; i++)
            assert_non_null(f[i] = malloc(n * sizeof(float)));
        float *yh = f[0], *mu = f[1], *ls = f[2], *cm = f[3], *cl = f[4], *gyh = f[5];
        assert_true(z && gz);
        for (size_t i = 0; i < nz; i++)
            z[i] = (float)((int)(rnd() % 401) - 200) / 10.0f;
        for (size_t i = 0; i < n; i++) {
            yh[i] = (float)((int)(rnd() % 2001) - 1000) / 10.0f;
            cm[i] = (float)((int)(rnd() % 201) - 100) / 100.0f;
            cl[i] = (float)((int)(rnd() % 201) - 100) / 100.0f;
            gyh[i] = 0.0f;
        }
        dlic_nn_dsp dsp;
        dlic_nn_dsp_init(&dsp, dlic_cpu_flags(~0u));
        dlic_nn_exec x = { .dsp = &dsp, .threads = 1 };
        egrad_loss(e, &x, z, nz, yh, mu, ls, cm, cl, n);
        dlic_egrad_context_back(e, &x, cm, cl, gyh);
        dlic_egrad_hyper_back(e, &x, cm, cl);
        memcpy(gz, dlic_egrad_z(e), nz * sizeof(float));
        double gmax = 0;
        for (size_t i = 0; i < nz; i++)
            gmax = fmax(gmax, fabs(gz[i]));
        for (size_t i = 0; i < n; i++)
            gmax = fmax(gmax, fabs(gyh[i]));
        unsigned good = 0, nonzero = 0, anchors_nonzero = 0, non_anchors_zero = 1;
        const unsigned tries = 40;
        for (unsigned t = 0; t < tries; t++) {
            const int onz = t % 2 == 0 || !context;
            float *v = onz ? z : yh;
            const size_t i = rnd() % (onz ? nz : n);
            const double an = onz ? gz[i] : gyh[i];
            const float eps = 0.01f, keep = v[i];
            double L[2];
            for (int sgn = 0; sgn < 2; sgn++) {
                v[i] = keep + (sgn ? eps : -eps);
                L[sgn] = egrad_loss(e, &x, z, nz, yh, mu, ls, cm, cl, n);
            }
            v[i] = keep;
            const double fd = (L[1] - L[0]) / (2 * eps);
            nonzero += an != 0.0;
            good += fabs(fd - an) <= 0.03 * fabs(fd) + 1e-3 * (1 + gmax);
        }
        for (size_t i = 0; context && i < n; i++) {
            const size_t p = i / M;
            if (dlic_egrad_anchor(p / w, p % w))
                anchors_nonzero += gyh[i] != 0.0f;
            else
                non_anchors_zero &= gyh[i] == 0.0f;
        }
        /* a clamp's kink at the point itself (an output exactly at 0, as
         * the synthetic model's zero biases make at the borders) gives a
         * one-sided difference: some coordinates disagree at any eps */
        assert_true(nonzero >= tries / 2);
        assert_true(good >= tries * 3 / 4);
        assert_true(non_anchors_zero);
        assert_true(!context || anchors_nonzero > 0);
        dlic_egrad_close(&e);
        assert_null(e);
        for (int i = 0; i < 7; i++)
            free(f[i]);
        free(z);
        free(gz);
        dlic_model_release(&m);
    }
}

/* Every float convolution kernel against dlic_fconv_c(), bit for bit, on
 * sizes with and without tails of pixels (w % 4) and channels. */
static void test_fconv_kernels(void **state)
{
    (void)state;
    static const unsigned shapes[][5] = {   /* h, w, cin, cout, k */
        { 3, 8, 5, 16, 3 }, { 2, 7, 3, 12, 3 }, { 4, 9, 16, 40, 1 }, { 2, 5, 6, 35, 5 },
        { 1, 3, 2, 3, 3 }, { 2, 6, 7, 64, 3 }, { 3, 5, 4, 70, 1 },
    };
    static const struct {
        unsigned flag;
        dlic_fconv_fn fn;
    } kernels[] = { { DLIC_CPU_AVX2, dlic_fconv_avx2 }, { DLIC_CPU_AVX512, dlic_fconv_avx512 } };
    const unsigned flags = dlic_cpu_flags(~0u);
    if (!(flags & DLIC_CPU_AVX2))
        skip();
    for (size_t t = 0; t < sizeof(shapes) / sizeof(shapes[0]); t++) {
        const unsigned h = shapes[t][0], w = shapes[t][1], cin = shapes[t][2],
                       cout = shapes[t][3], k = shapes[t][4];
        const size_t nin = (size_t)(h + k - 1) * (w + k - 1) * cin, nw = (size_t)k * k * cin * cout;
        float *in = malloc(nin * sizeof(float)), *wt = malloc(nw * sizeof(float)),
              *bias = malloc(cout * sizeof(float)), *o1 = malloc(h * w * cout * sizeof(float)),
              *o2 = malloc(h * w * cout * sizeof(float));
        assert_true(in && wt && bias && o1 && o2);
        for (size_t i = 0; i < nin; i++)
            in[i] = (float)((int)(rnd() % 2001) - 1000) / 37.0f;
        for (size_t i = 0; i < nw; i++)
            wt[i] = (float)((int)(rnd() % 2001) - 1000) / 4099.0f;
        for (unsigned i = 0; i < cout; i++)
            bias[i] = (float)((int)(rnd() % 201) - 100) / 3.0f;
        for (int b = 0; b < 2; b++) {
            dlic_fconv_args a = { in, o1, h, w, cin, cout, k, wt, b ? bias : NULL };
            dlic_fconv_c(&a, 0, h);
            a.out = o2;
            for (size_t i = 0; i < sizeof(kernels) / sizeof(kernels[0]); i++) {
                if (!(flags & kernels[i].flag))
                    continue;
                memset(o2, 0xff, h * w * cout * sizeof(float));
                kernels[i].fn(&a, 0, 1);
                kernels[i].fn(&a, 1, h);
                assert_memory_equal(o1, o2, h * w * cout * sizeof(float));
            }
        }
        free(in);
        free(wt);
        free(bias);
        free(o1);
        free(o2);
    }
}

static void test_unsupported(void **state)
{
    (void)state;
    struct dlic_model m;
    synthetic(&m, 3);
    assert_true(dlic_gsgrad_supported(&m));
    dlic_layer *l = &m.t[DLIC_G_S].layer[0];
    l->stride = 2;
    assert_false(dlic_gsgrad_supported(&m));
    dlic_gsgrad *g = (dlic_gsgrad *)&m;
    assert_int_equal(dlic_gsgrad_open(&g, &m, 2, 2), DLIC_ERR_INVALID_ARG);
    assert_null(g);
    l->stride = 1;
    dlic_model_release(&m);
}

/* Through the API with the synthetic model: refinement gives a stream that
 * decodes to the picture's size, settings outside 0..1000 are refused, and
 * the memory limit counts refinement's buffers. */
static void test_api(void **state)
{
    (void)state;
    uint8_t *buf = NULL;
    size_t size = 0;
    assert_int_equal(mb_build(8, 4, 8, 9, &buf, &size), 0);
    dlic_model *model;
    assert_int_equal(dlic_model_load(&model, buf, size), DLIC_OK);
    dlic_settings s;
    dlic_default_settings(&s);
    s.model = model;
    s.threads = 2;
    dlic_context *ctx;
    s.refine = -1;
    assert_int_equal(dlic_open(&ctx, &s), DLIC_ERR_INVALID_ARG);
    s.refine = 1001;
    assert_int_equal(dlic_open(&ctx, &s), DLIC_ERR_INVALID_ARG);
    s.refine = 0;
    for (int e = -1; e <= DLIC_EFFORT_MAX + 1; e++) {
        s.effort = e;
        const int ok = e >= 1 && e <= DLIC_EFFORT_MAX;
        assert_int_equal(dlic_open(&ctx, &s), ok ? DLIC_OK : DLIC_ERR_INVALID_ARG);
        dlic_close(&ctx);
    }
    s.effort = DLIC_EFFORT_DEFAULT;

    dlic_picture pic = { .width = 70, .height = 50, .colour = DLIC_RGB, .stride = 210 };
    assert_non_null(pic.data = malloc(210 * 50));
    for (size_t i = 0; i < 210 * 50; i++)
        pic.data[i] = (uint8_t)(i % 210 + i / 210 * 3);
    uint8_t *out[2] = { NULL, NULL };
    size_t out_size[2];
    for (int r = 0; r < 2; r++) {
        s.refine = r ? 6 : 0;
        assert_int_equal(dlic_open(&ctx, &s), DLIC_OK);
        assert_int_equal(dlic_encode(ctx, &pic, &out[r], &out_size[r]), DLIC_OK);
        dlic_picture dec;
        assert_int_equal(dlic_decode(ctx, out[r], out_size[r], &dec), DLIC_OK);
        assert_int_equal(dec.width, 70);
        assert_int_equal(dec.height, 50);
        dlic_picture_free(&dec);
        dlic_close(&ctx);
    }
    /* effort 6 refines as many iterations as dlic_effort_iters() says,
     * with the same bytes for 1 and 3 threads (every float sum has one
     * order, whatever the split of the work) */
    uint8_t *eff[3] = { NULL, NULL, NULL };
    size_t eff_size[3];
    for (int r = 0; r < 3; r++) {
        s.effort = r ? 6 : DLIC_EFFORT_DEFAULT;
        s.refine = r ? 0 : (int)dlic_effort_iters(6);
        s.threads = r == 2 ? 1 : 3;
        assert_int_equal(dlic_open(&ctx, &s), DLIC_OK);
        assert_int_equal(dlic_encode(ctx, &pic, &eff[r], &eff_size[r]), DLIC_OK);
        dlic_close(&ctx);
    }
    assert_int_equal(eff_size[0], eff_size[1]);
    assert_memory_equal(eff[0], eff[1], eff_size[0]);
    assert_int_equal(eff_size[1], eff_size[2]);
    assert_memory_equal(eff[1], eff[2], eff_size[1]);
    for (int r = 0; r < 3; r++)
        free(eff[r]);
    s.effort = DLIC_EFFORT_DEFAULT;
    s.threads = 2;
    /* a limit that the plain encoder meets and refinement does not */
    s.max_memory = 1;
    for (;; s.max_memory *= 2) {
        s.refine = 0;
        assert_int_equal(dlic_open(&ctx, &s), DLIC_OK);
        uint8_t *o = NULL;
        size_t os;
        int r = dlic_encode(ctx, &pic, &o, &os);
        dlic_close(&ctx);
        dlic_free(o);
        if (r == DLIC_OK)
            break;
        assert_int_equal(r, DLIC_ERR_LIMIT);
    }
    s.refine = 6;
    assert_int_equal(dlic_open(&ctx, &s), DLIC_OK);
    uint8_t *o = NULL;
    size_t os = 1;
    assert_int_equal(dlic_encode(ctx, &pic, &o, &os), DLIC_ERR_LIMIT);
    assert_null(o);
    assert_int_equal(os, 0);
    dlic_close(&ctx);
    free(out[0]);
    free(out[1]);
    free(pic.data);
    dlic_model_free(&model);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float_matches_integer),
        cmocka_unit_test(test_gradient),
        cmocka_unit_test(test_egrad_gradient),
        cmocka_unit_test(test_fconv_kernels),
        cmocka_unit_test(test_unsupported),
        cmocka_unit_test(test_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
