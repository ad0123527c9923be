/* Speed harness of `make bench-speed` (bench/speed.sh): times dlic_encode
 * and dlic_decode in memory, measures the int8 and i16 multiply-accumulate
 * peaks of one core with register-only vpdpbusd and vpdpwssd loops (the
 * WebAssembly counterpart: bench/wasm_peak.c), and reports peak RSS of a
 * decode in a process of its own.
 *
 *   speed peak
 *   speed time   [OPTIONS] IMAGE...    median encode/decode ms per image
 *   speed encode [OPTIONS] IMAGE OUT   (IMAGE "synth:WxH": a synthetic one)
 *   speed rss    [OPTIONS] STREAM      decode once, print ru_maxrss
 * OPTIONS: --weights FILE, --threads N, --cpu scalar|avx2|avxvnni|avx512,
 *          --runs N, --quality Q, --rdo 0|1 (dlic_settings.rdo) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "dlic/dlic.h"
#include "tools/cliutil.h"
#include "tools/imageio/imageio.h"


typedef struct opts {
    const char *weights;
    int threads, runs, quality, rdo;
    unsigned cpu_mask;
} opts;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what, int r)
{
    fprintf(stderr, "speed: %s: %s\n", what, r ? dlic_strerror(r) : "failed");
    exit(1);
}

/* ------------------------------------------------------------------ peak */

#if defined(__x86_64__) && defined(__GNUC__)
/* 12 independent accumulators, all in registers, cover the instruction's
 * latency times its throughput. Written in asm so that nothing else is
 * measured. PEAK_LOOP(insn) times 12 x iters of insn zmm1, zmm0, zmmN. */
#define PEAK_LOOP(insn)                                                           \
    __asm__ volatile("vpxord %%zmm0, %%zmm0, %%zmm0\n\t"                         \
                     "vpternlogd $0xff, %%zmm1, %%zmm1, %%zmm1\n\t"              \
                     "1:\n\t"                                                    \
                     insn " %%zmm1, %%zmm0, %%zmm2\n\t"                          \
                     insn " %%zmm1, %%zmm0, %%zmm3\n\t"                          \
                     insn " %%zmm1, %%zmm0, %%zmm4\n\t"                          \
                     insn " %%zmm1, %%zmm0, %%zmm5\n\t"                          \
                     insn " %%zmm1, %%zmm0, %%zmm6\n\t"                          \
                     insn " %%zmm1, %%zmm0, %%zmm7\n\t"                          \
                     insn " %%zmm1, %%zmm0, %%zmm8\n\t"                          \
                     insn " %%zmm1, %%zmm0, %%zmm9\n\t"                          \
                     insn " %%zmm1, %%zmm0, %%zmm10\n\t"                         \
                     insn " %%zmm1, %%zmm0, %%zmm11\n\t"                         \
                     insn " %%zmm1, %%zmm0, %%zmm12\n\t"                         \
                     insn " %%zmm1, %%zmm0, %%zmm13\n\t"                         \
                     "dec %0\n\t"                                                \
                     "jnz 1b\n\t"                                                \
                     "vzeroupper\n\t"                                            \
                     : "+r"(n)                                                    \
                     :                                                            \
                     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",    \
                       "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", \
                       "cc")

/* GMAC/s of vpdpbusd (u8 x s8, 64 multiply-adds an instruction) when i8,
 * else of vpdpwssd (s16 x s16, 32: the path of 12-bit activations). */
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static double peak_gmacs(int i8)
{
    const long iters = 50000000;
    long n = iters;
    const double t0 = now_ms();
    if (i8)
        PEAK_LOOP("vpdpbusd");
    else
        PEAK_LOOP("vpdpwssd");
    const double ms = now_ms() - t0;
    return (double)iters * 12 * (i8 ? 64 : 32) / (ms * 1e6);
}
#endif

/* --------------------------------------------------------------- helpers */

static const dlic_model *load_model(const opts *o)
{
    const dlic_model *m = NULL;
    int r;
    if (!o->weights) {
        if ((r = dlic_model_default(&m)))
            die("default model", r);
        return m;
    }
    uint8_t *data;
    size_t size;
    char err[IO_ERR_SIZE];
    if (io_read_file(o->weights, (size_t)1 << 30, &data, &size, err))
        die(err, 0);
    dlic_model *lm;
    if ((r = dlic_model_load(&lm, data, size)))
        die(o->weights, r);
    free(data);
    return lm;
}

static dlic_context *open_ctx(const opts *o, const dlic_model *m, int lite)
{
    dlic_settings s;
    dlic_default_settings(&s);
    s.lite = lite;
    s.model = m;
    s.threads = o->threads;
    s.cpu_mask = o->cpu_mask;
    s.quality = o->quality;
    s.rdo = o->rdo;
    s.max_pixels = 0;
    dlic_context *c;
    int r = dlic_open(&c, &s);
    if (r)
        die("dlic_open", r);
    return c;
}

/* MAC per padded pixel of the transforms in [t0, t1]. */
static double macs(const dlic_model *m, int t0, int t1)
{
    double n = 0;
    for (int t = t0; t <= t1; t++)
        for (unsigned i = 0; i < dlic_model_layer_count(m, t); i++) {
            dlic_layer_info li;
            if (!dlic_model_layer(m, t, i, &li))
                n += li.macs_per_pixel;
        }
    return n;
}

static void load_picture(const char *path, io_image *img, dlic_picture *pic)
{
    char err[IO_ERR_SIZE];
    memset(img, 0, sizeof(*img));
    unsigned w, h;
    if (sscanf(path, "synth:%ux%u", &w, &h) == 2) {
        /* Smooth gradients with some texture: a stand-in for a photo. */
        if (io_image_alloc(img, w, h, 3, NULL, err))
            die(err, 0);
        for (unsigned y = 0; y < h; y++)
            for (unsigned x = 0; x < w; x++) {
                uint8_t *p = img->data + y * img->stride + 3 * (size_t)x;
                p[0] = (uint8_t)(x * 255 / w);
                p[1] = (uint8_t)(y * 255 / h);
                p[2] = (uint8_t)((x ^ y) & 63) + 96;
            }
    } else {
        uint8_t *data;
        size_t size;
        if (io_read_file(path, IO_MAX_FILE_SIZE, &data, &size, err) ||
            io_read_image(data, size, NULL, img, err))
            die(err, 0);
        free(data);
    }
    *pic = (dlic_picture){
        .width = img->width, .height = img->height,
        .colour = img->channels == 3 ? DLIC_RGB : DLIC_GRAY,
        .stride = img->stride, .data = img->data,
    };
}

/* ------------------------------------------------------------------ modes */

static int do_time(const opts *o, int argc, char **argv)
{
    const dlic_model *m = load_model(o);
    dlic_context *c = open_ctx(o, m, 0);
    /* Both sides run the context's c_ctx and c_ep (SPEC §6.1), if any. */
    const double ctx = macs(m, DLIC_C_CTX, DLIC_C_EP);
    const double enc_mpp = macs(m, DLIC_G_A, DLIC_H_S) + ctx;
    const double dec_mpp = macs(m, DLIC_H_S, DLIC_G_S) + ctx;
    /* With g_s lite (SPEC §8.7) its decode is timed too, each run right
     * after the full one, so that load changes weigh on both alike. */
    const double lite_mpp = macs(m, DLIC_H_S, DLIC_H_S) + ctx + macs(m, DLIC_G_S_LITE,
                                                                      DLIC_G_S_LITE);
    dlic_context *cl = dlic_model_layer_count(m, DLIC_G_S_LITE) ? open_ctx(o, m, 1) : NULL;
    printf("# model %s M %u NZ %u: encode %.0f MAC/pixel, decode %.0f MAC/pixel",
           dlic_model_name(m), dlic_model_latent_channels(m), dlic_model_hyper_channels(m),
           enc_mpp, dec_mpp);
    if (cl)
        printf(", lite %.0f MAC/pixel", lite_mpp);
    printf("\n%-12s %5s %5s %9s %9s %9s %9s", "image", "w", "h", "enc_ms", "dec_ms",
           "enc_GMACs", "dec_GMACs");
    printf(cl ? " %9s %9s\n" : "\n", "lite_ms", "lite/full");
    double *te = calloc((size_t)o->runs, sizeof(double));
    double *td = calloc((size_t)o->runs, sizeof(double));
    double *tl = calloc((size_t)o->runs, sizeof(double));
    double *rl = calloc((size_t)o->runs, sizeof(double));
    if (!te || !td || !tl || !rl)
        die("memory", DLIC_ERR_NOMEM);
    for (int i = 0; i < argc; i++) {
        io_image img;
        dlic_picture pic, out;
        load_picture(argv[i], &img, &pic);
        uint8_t *stream = NULL;
        size_t size = 0;
        int r;
        for (int k = -1; k < o->runs; k++) {        /* k = -1: warm-up */
            free(stream);
            const double t0 = now_ms();
            if ((r = dlic_encode(c, &pic, &stream, &size)))
                die("dlic_encode", r);
            if (k >= 0)
                te[k] = now_ms() - t0;
        }
        for (int k = -1; k < o->runs; k++) {
            double t0 = now_ms();
            if ((r = dlic_decode(c, stream, size, &out)))
                die("dlic_decode", r);
            if (k >= 0)
                td[k] = now_ms() - t0;
            dlic_picture_free(&out);
            if (!cl)
                continue;
            t0 = now_ms();
            if ((r = dlic_decode(cl, stream, size, &out)))
                die("dlic_decode (lite)", r);
            if (k >= 0) {
                tl[k] = now_ms() - t0;
                rl[k] = tl[k] / td[k];
            }
            dlic_picture_free(&out);
        }
        const double me = median(te, o->runs), md = median(td, o->runs);
        const double px = (double)((pic.width + 63) / 64 * 64) * ((pic.height + 63) / 64 * 64);
        const char *name = strrchr(argv[i], '/');
        printf("%-12s %5u %5u %9.1f %9.1f %9.1f %9.1f", name ? name + 1 : argv[i],
               pic.width, pic.height, me, md, enc_mpp * px / me / 1e6, dec_mpp * px / md / 1e6);
        if (cl)
            printf(" %9.1f %9.3f", median(tl, o->runs), median(rl, o->runs));
        printf("\n");
        fflush(stdout);
        free(stream);
        io_image_free(&img);
    }
    free(te);
    free(td);
    free(tl);
    free(rl);
    dlic_close(&cl);
    dlic_close(&c);
    return 0;
}

static int do_encode(const opts *o, const char *in, const char *outpath)
{
    const dlic_model *m = load_model(o);
    dlic_context *c = open_ctx(o, m, 0);
    io_image img;
    dlic_picture pic;
    load_picture(in, &img, &pic);
    uint8_t *stream;
    size_t size;
    char err[IO_ERR_SIZE];
    int r = dlic_encode(c, &pic, &stream, &size);
    if (r)
        die("dlic_encode", r);
    if (io_write_file(outpath, stream, size, err))
        die(err, 0);
    free(stream);
    io_image_free(&img);
    dlic_close(&c);
    return 0;
}

static int do_rss(const opts *o, const char *path)
{
    const dlic_model *m = load_model(o);
    dlic_context *c = open_ctx(o, m, 0);
    uint8_t *data;
    size_t size;
    char err[IO_ERR_SIZE];
    if (io_read_file(path, IO_MAX_FILE_SIZE, &data, &size, err))
        die(err, 0);
    dlic_picture pic;
    const double t0 = now_ms();
    int r = dlic_decode(c, data, size, &pic);
    const double ms = now_ms() - t0;
    if (r)
        die("dlic_decode", r);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%ux%u decode %.0f ms peak_rss_kb %ld\n", pic.width, pic.height, ms, ru.ru_maxrss);
    dlic_picture_free(&pic);
    free(data);
    dlic_close(&c);
    return 0;
}

int main(int argc, char **argv)
{
    opts o = { NULL, 2, 5, 75, 1, ~0u };
    if (argc < 2)
        goto usage;
    const char *mode = argv[1];
    int i = 2;
    for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
        if (i + 1 >= argc)
            goto usage;
        const char *v = argv[++i];
        if (!strcmp(argv[i - 1], "--weights"))
            o.weights = v;
        else if (!strcmp(argv[i - 1], "--threads"))
            o.threads = atoi(v);
        else if (!strcmp(argv[i - 1], "--runs"))
            o.runs = atoi(v) > 0 ? atoi(v) : 1;
        else if (!strcmp(argv[i - 1], "--quality"))
            o.quality = atoi(v);
        else if (!strcmp(argv[i - 1], "--rdo"))
            o.rdo = atoi(v);
        else if (!strcmp(argv[i - 1], "--cpu")) {
            if (cli_parse_cpu(v, &o.cpu_mask))
                goto usage;
        } else
            goto usage;
    }
    if (!strcmp(mode, "peak")) {
#if defined(__x86_64__) && defined(__GNUC__)
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512vnni")) {
            printf("peak_gmacs_per_core %.1f\n", peak_gmacs(1));
            printf("peak_i16_gmacs_per_core %.1f\n", peak_gmacs(0));
            return 0;
        }
#endif
        printf("peak_gmacs_per_core 0\npeak_i16_gmacs_per_core 0\n");
        return 0;
    }
    if (!strcmp(mode, "time") && i < argc)
        return do_time(&o, argc - i, argv + i);
    if (!strcmp(mode, "encode") && i + 2 == argc)
        return do_encode(&o, argv[i], argv[i + 1]);
    if (!strcmp(mode, "rss") && i + 1 == argc)
        return do_rss(&o, argv[i]);
usage:
    fprintf(stderr, "usage: speed peak | time [OPTIONS] IMAGE... | "
                    "encode [OPTIONS] IMAGE|synth:WxH OUT | rss [OPTIONS] STREAM\n");
    return 2;
}
