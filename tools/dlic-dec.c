/* dlic-dec: DLIC stream -> PNG or PPM/PGM (dwebp-style CLI). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dlic/dlic.h"
#include "tools/cliutil.h"
#include "tools/imageio/imageio.h"

static const char *const PROG = "dlic-dec";

enum out_format { OUT_AUTO = 0, OUT_PNG, OUT_PNM };

static void help(void)
{
    printf("Usage: %s [options] INPUT.dlic -o OUTPUT\n"
           "Decode a DLIC stream to PNG or binary PPM/PGM.\n"
           "The output format follows the extension of OUTPUT (.png, .ppm, .pgm,\n"
           ".pnm); '-' writes PNG to stdout (PPM with --ppm). INPUT may be '-'.\n"
           "Gray streams give gray PNG or PGM (P5); colour streams give RGB PNG\n"
           "or PPM (P6). An ICC profile in the stream goes into the PNG.\n"
           "\n"
           "Options:\n"
           "  -o FILE          output file\n"
           "  --ppm            write PPM/PGM whatever the extension\n"
           "  --png            write PNG whatever the extension\n"
           "  --weights FILE   use the model in FILE instead of the embedded one\n"
           "  --threads N      worker threads 1..256, 0 = all cores (default 0)\n"
           "  --cpu=LEVEL      limit SIMD code: scalar, avx2 or avx512 (default: best)\n"
           "  -v               print dimensions, time and model\n"
           "  -quiet           print nothing but errors\n"
           "  -h, --help       print this help\n"
           "  --version        print the version\n",
           PROG);
}

typedef struct dec_opts {
    const char *in, *out, *weights;
    int threads, verbose, quiet, format;
    unsigned cpu_mask;
    int cpu_set;
} dec_opts;

static int parse_args(int argc, char **argv, dec_opts *o)
{
    int only_files = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        int r;

        if (only_files || a[0] != '-' || !strcmp(a, "-")) {
            if (o->in)
                return cli_usage_error(PROG, "more than one input file ('%s')", a);
            o->in = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            only_files = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "-help")) {
            help();
            exit(0);
        } else if (!strcmp(a, "--version") || !strcmp(a, "-version")) {
            printf("%s %s\n", PROG, dlic_version());
            exit(0);
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            o->verbose = 1;
        } else if (!strcmp(a, "-quiet") || !strcmp(a, "--quiet")) {
            o->quiet = 1;
        } else if (!strcmp(a, "--ppm") || !strcmp(a, "-ppm") ||
                   !strcmp(a, "--pnm") || !strcmp(a, "-pnm")) {
            o->format = OUT_PNM;
        } else if (!strcmp(a, "--png") || !strcmp(a, "-png")) {
            o->format = OUT_PNG;
        } else if ((r = cli_opt_value(argc, argv, &i, "-o", &v)) != 0) {
            if (r < 0)
                return cli_usage_error(PROG, "-o needs a file name");
            if (o->out)
                return cli_usage_error(PROG, "more than one -o");
            o->out = v;
        } else if ((r = cli_opt_value(argc, argv, &i, "--weights", &v)) != 0) {
            if (r < 0)
                return cli_usage_error(PROG, "--weights needs a model file");
            o->weights = v;
        } else if ((r = cli_opt_value(argc, argv, &i, "--threads", &v)) != 0) {
            if (r < 0 || cli_parse_int(v, 0, 256, &o->threads))
                return cli_usage_error(PROG, "--threads needs a number 0..256");
        } else if ((r = cli_opt_value(argc, argv, &i, "--cpu", &v)) != 0) {
            if (r < 0 || cli_parse_cpu(v, &o->cpu_mask))
                return cli_usage_error(PROG, "--cpu must be scalar, avx2 or avx512");
            o->cpu_set = 1;
        } else {
            return cli_usage_error(PROG, "unknown option '%s'", a);
        }
    }
    if (!o->in)
        return cli_usage_error(PROG, "no input file");
    if (o->out && o->format == OUT_AUTO) {
        if (!strcmp(o->out, "-") || io_has_ext(o->out, "png"))
            o->format = OUT_PNG;
        else if (io_has_ext(o->out, "ppm") || io_has_ext(o->out, "pgm") ||
                 io_has_ext(o->out, "pnm"))
            o->format = OUT_PNM;
        else
            return cli_usage_error(PROG, "%s: unknown output extension "
                                   "(use .png, .ppm, .pgm or .pnm, or --png/--ppm)",
                                   o->out);
    }
    return 0;
}

int main(int argc, char **argv)
{
    dec_opts o = { 0 };
    char err[IO_ERR_SIZE];
    dlic_settings s;
    dlic_model *loaded = NULL;
    dlic_context *ctx = NULL;
    dlic_picture pic = { 0 };
    uint8_t *file = NULL, *out = NULL;
    size_t file_size = 0, out_size = 0;
    int ret = CLI_EXIT_FAIL, r;

    r = parse_args(argc, argv, &o);
    if (r)
        return r;
    const char *in_name = cli_name(o.in, 0);
    const char *out_name = o.out ? cli_name(o.out, 1) : NULL;
    if (o.out && !strcmp(o.out, "-") && isatty(STDOUT_FILENO)) {
        cli_error(PROG, out_name, "refusing to write binary data to a terminal");
        return CLI_EXIT_FAIL;
    }

    cli_progress prog = { PROG, "decoding", 0, 0 };
    if (cli_settings(PROG, o.weights, o.threads, o.cpu_set, o.cpu_mask, o.quiet,
                     &prog, &s, &loaded))
        return CLI_EXIT_FAIL;

    double t0 = cli_now();
    if (io_read_file(o.in, IO_MAX_FILE_SIZE, &file, &file_size, err)) {
        cli_error(PROG, in_name, "%s", err);
        goto done;
    }
    if (file_size == 0) {
        cli_error(PROG, in_name, "empty file");
        goto done;
    }
    r = dlic_open(&ctx, &s);
    if (r == DLIC_OK)
        r = dlic_decode(ctx, file, file_size, &pic);
    cli_progress_done(&prog);
    if (r != DLIC_OK) {
        dlic_stream_info info;
        const dlic_model *m = s.model;
        if (r == DLIC_ERR_MODEL_MISMATCH && (m || dlic_model_default(&m) == DLIC_OK) &&
            dlic_probe(file, file_size, &info) == DLIC_OK)
            cli_error(PROG, in_name, "%s (stream model %016llx, decoder model "
                      "%016llx '%s'; try --weights)", dlic_strerror(r),
                      (unsigned long long)info.model_id,
                      (unsigned long long)dlic_model_id(m), dlic_model_name(m));
        else
            cli_error(PROG, in_name, "%s", dlic_strerror(r));
        goto done;
    }
    double t1 = cli_now();

    io_image img = { 0 };
    img.width = pic.width;
    img.height = pic.height;
    img.channels = pic.colour == DLIC_GRAY ? 1 : 3;
    img.stride = pic.stride;
    img.data = pic.data;
    img.icc = (uint8_t *)(uintptr_t)pic.icc;    /* read-only use */
    img.icc_size = pic.icc_size;

    if (o.out) {
        r = o.format == OUT_PNM ? io_write_pnm(&img, &out, &out_size, err)
                                : io_write_png(&img, &out, &out_size, err);
        if (r || io_write_file(o.out, out, out_size, err)) {
            cli_error(PROG, out_name, "%s", err);
            goto done;
        }
    } else if (!o.quiet) {
        fprintf(stderr, "%s: no output file given (no -o): decoded, but the "
                        "result is discarded\n", PROG);
    }

    if (o.verbose && !o.quiet) {
        const dlic_model *m = s.model;
        if (!m && dlic_model_default(&m) != DLIC_OK)
            m = NULL;
        fprintf(stderr, "File:       %s (%zu bytes, %.4f bpp)\n", in_name, file_size,
                (double)file_size * 8.0 / ((double)pic.width * pic.height));
        fprintf(stderr, "Dimension:  %u x %u (%s%s)\n", (unsigned)pic.width,
                (unsigned)pic.height, pic.colour == DLIC_GRAY ? "gray" : "RGB",
                pic.icc ? ", ICC profile" : "");
        if (m)
            fprintf(stderr, "Model:      %s (id %016llx%s)\n", dlic_model_name(m),
                    (unsigned long long)dlic_model_id(m),
                    dlic_model_is_test(m) ? ", test model" : "");
        if (o.out)
            fprintf(stderr, "Output:     %s (%s, %zu bytes)\n", out_name,
                    o.format == OUT_PNM ? (img.channels == 1 ? "PGM" : "PPM") : "PNG",
                    out_size);
        fprintf(stderr, "Time:       %.3f s decoding, %.3f s total\n", t1 - t0,
                cli_now() - t0);
    }
    ret = 0;

done:
    free(out);
    dlic_picture_free(&pic);
    dlic_close(&ctx);
    free(file);
    dlic_model_free(&loaded);
    return ret;
}
