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
           "or PPM (P6). The stream's ICC profile and EXIF block go into a PNG.\n"
           "\n"
           "Options:\n"
           "  -o FILE          output file\n"
           "  --ppm            write PPM/PGM whatever the extension\n"
           "  --png            write PNG whatever the extension\n"
           "  --png-small      a smaller PNG (zlib level 6, a filter chosen per\n"
           "                   row: libpng's defaults), slower to write; the\n"
           "                   default is made for speed (level 3, Average\n"
           "                   filter, about 8%% larger)\n"
           "  --metadata LIST  metadata to write to a PNG, comma-separated from\n"
           "                   all, none, icc and exif (default all)\n"
           "  --weights FILE   use the model in FILE instead of the embedded one\n"
           "  --lite           synthesise with the model's lite transform (g_s lite,\n"
           "                   SPEC 8.7): about 2.5x faster, somewhat lower\n"
           "                   quality; the same streams\n"
           "  --threads N      worker threads 1..256, 0 = all cores (default 0)\n"
           "  --cpu=LEVEL      limit SIMD code: scalar, avx2, avxvnni or avx512\n"
           "                   (default: best)\n"
           "  -v               print dimensions, time and model\n"
           "  -quiet           print nothing but errors\n"
           "  -h, --help       print this help\n"
           "  --version        print the version\n",
           PROG);
}

typedef struct dec_opts {
    cli_common c;
    int format, png_small, lite;
} dec_opts;

static int parse_args(int argc, char **argv, dec_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r = cli_common_arg(PROG, argc, argv, &i, &o->c, help);

        if (r == 1)
            continue;
        if (r)
            return r;
        if (!strcmp(a, "--ppm") || !strcmp(a, "-ppm") ||
            !strcmp(a, "--pnm") || !strcmp(a, "-pnm")) {
            o->format = OUT_PNM;
        } else if (!strcmp(a, "--png") || !strcmp(a, "-png")) {
            o->format = OUT_PNG;
        } else if (!strcmp(a, "--png-small")) {
            o->png_small = 1;
        } else if (!strcmp(a, "--lite")) {
            o->lite = 1;
        } else {
            return cli_usage_error(PROG, "unknown option '%s'", a);
        }
    }
    if (!o->c.in)
        return cli_usage_error(PROG, "no input file");
    if (o->c.out && o->format == OUT_AUTO) {
        if (!strcmp(o->c.out, "-") || io_has_ext(o->c.out, "png"))
            o->format = OUT_PNG;
        else if (io_has_ext(o->c.out, "ppm") || io_has_ext(o->c.out, "pgm") ||
                 io_has_ext(o->c.out, "pnm"))
            o->format = OUT_PNM;
        else
            return cli_usage_error(PROG, "%s: unknown output extension "
                                   "(use .png, .ppm, .pgm or .pnm, or --png/--ppm)",
                                   o->c.out);
    }
    return 0;
}

int main(int argc, char **argv)
{
    dec_opts o = { .c.metadata = CLI_META_ALL };
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
    const char *in_name = cli_name(o.c.in, 0);
    const char *out_name = o.c.out ? cli_name(o.c.out, 1) : NULL;
    if (o.c.out && !strcmp(o.c.out, "-") && isatty(STDOUT_FILENO)) {
        cli_error(PROG, out_name, "refusing to write binary data to a terminal");
        return CLI_EXIT_FAIL;
    }

    cli_progress prog = { .prog = PROG, .label = "decoding" };
    if (cli_settings(PROG, &o.c, &prog, &s, &loaded))
        return CLI_EXIT_FAIL;
    s.lite = o.lite;
    if (o.lite) {
        const dlic_model *m = s.model;
        if (!m && dlic_model_default(&m) != DLIC_OK)
            m = NULL;
        if (m && dlic_model_layer_count(m, DLIC_G_S_LITE) == 0) {
            cli_error(PROG, o.c.weights ? cli_name(o.c.weights, 0) : "model",
                      "--lite: the model '%s' has no lite transform (g_s lite)",
                      dlic_model_name(m));
            dlic_model_free(&loaded);
            return CLI_EXIT_FAIL;
        }
    }

    double t0 = cli_now();
    if (io_read_file(o.c.in, IO_MAX_FILE_SIZE, &file, &file_size, err)) {
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
    if (o.c.metadata & CLI_META_ICC) {            /* read-only use below */
        img.icc = (uint8_t *)(uintptr_t)pic.icc;
        img.icc_size = pic.icc_size;
    }
    if (o.c.metadata & CLI_META_EXIF) {
        img.exif = (uint8_t *)(uintptr_t)pic.exif;
        img.exif_size = pic.exif_size;
    }

    if (o.c.out) {
        r = o.format == OUT_PNM ? io_write_pnm(&img, &out, &out_size, err)
                                : io_write_png_small(&img, o.png_small, &out, &out_size, err);
        if (r || io_write_file(o.c.out, out, out_size, err)) {
            cli_error(PROG, out_name, "%s", err);
            goto done;
        }
    } else if (!o.c.quiet) {
        fprintf(stderr, "%s: no output file given (no -o): decoded, but the "
                        "result is discarded\n", PROG);
    }

    if (o.c.verbose && !o.c.quiet) {
        const dlic_model *m = s.model;
        if (!m && dlic_model_default(&m) != DLIC_OK)
            m = NULL;
        fprintf(stderr, "File:       %s (%zu bytes, %.4f bpp)\n", in_name, file_size,
                (double)file_size * 8.0 / ((double)pic.width * pic.height));
        fprintf(stderr, "Dimension:  %u x %u (%s%s%s)\n", (unsigned)pic.width,
                (unsigned)pic.height, pic.colour == DLIC_GRAY ? "gray" : "RGB",
                pic.icc ? ", ICC profile" : "", pic.exif ? ", EXIF" : "");
        if (m)
            fprintf(stderr, "Model:      %s (id %016llx%s%s)\n", dlic_model_name(m),
                    (unsigned long long)dlic_model_id(m),
                    dlic_model_is_test(m) ? ", test model" : "",
                    o.lite ? ", lite synthesis" : "");
        if (o.c.out)
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
