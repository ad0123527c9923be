/* dlic-enc: PNG/JPEG/WebP/PPM/PGM image -> DLIC stream (cwebp-style CLI). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dlic/dlic.h"
#include "tools/cliutil.h"
#include "tools/imageio/imageio.h"

static const char *const PROG = "dlic-enc";

static void help(void)
{
    printf("Usage: %s [options] INPUT -o OUTPUT.dlic\n"
           "Encode a PNG, JPEG, WebP or binary PPM/PGM image into a DLIC stream.\n"
           "INPUT and OUTPUT may be '-' for stdin and stdout.\n"
           "\n"
           "Options:\n"
           "  -o FILE          output file\n"
           "  -q N             quality 0..100 (default 75)\n"
           "  -e, --effort N   encoder effort 1..9 (default 5): 1-4 round the\n"
           "                   latent to the nearest (fastest), 5 rate-distortion\n"
           "                   optimised rounding, 6-9 also search for a better\n"
           "                   latent and hyper-latent per image (4, 10, 24 and\n"
           "                   64 iterations through float copies of the decoder:\n"
           "                   smaller files at the same quality, much slower;\n"
           "                   above about 2.3 megapixels encoded at 5)\n"
           "  --no-rdo         round the latent to the nearest at any effort\n"
           "  --refine N       the search's iteration count 1..1000, instead of\n"
           "                   the effort's\n"
           "  --metadata LIST  metadata to keep, comma-separated from all, none,\n"
           "                   icc and exif (default icc)\n"
           "  --weights FILE   use the model in FILE instead of the embedded one\n"
           "  --threads N      worker threads 1..256, 0 = all cores (default 0)\n"
           "  --cpu=LEVEL      limit SIMD code: scalar, avx2, avxvnni or avx512\n"
           "                   (default: best)\n"
           "  -v               print dimensions, size, bits per pixel, time and model\n"
           "  --print-psnr     decode the result and print bpp and RGB PSNR\n"
           "  -quiet           print nothing but errors\n"
           "  -h, --help       print this help\n"
           "  --version        print the version\n"
           "\n"
           "Alpha is dropped (with a warning); 16-bit input is rounded to 8 bits.\n"
           "The ICC profile of a PNG, JPEG or WebP input is kept, and its EXIF\n"
           "block with --metadata all or exif.\n"
           "The output is written atomically: on any error no output file is\n"
           "created or changed.\n",
           PROG);
}

/* Decode the stream just made and measure it against the input: PSNR with
 * peak 255 over every sample (RGB, or the gray channel), as cwebp does. */
static int stream_psnr(dlic_context *ctx, const dlic_picture *src,
                       const uint8_t *data, size_t size, double *psnr)
{
    dlic_picture dec = { 0 };
    int r = dlic_decode(ctx, data, size, &dec);
    if (r != DLIC_OK)
        return r;
    size_t ch = src->colour == DLIC_GRAY ? 1 : 3;
    double sse = 0;
    for (uint32_t y = 0; y < src->height; y++) {
        const uint8_t *a = src->data + y * src->stride;
        const uint8_t *b = dec.data + y * dec.stride;
        for (size_t i = 0; i < (size_t)src->width * ch; i++) {
            double d = (double)a[i] - b[i];
            sse += d * d;
        }
    }
    double mse = sse / ((double)src->width * src->height * ch);
    *psnr = mse > 0 ? 10.0 * log10(255.0 * 255.0 / mse) : 99.0;
    dlic_picture_free(&dec);
    return DLIC_OK;
}

typedef struct enc_opts {
    cli_common c;
    int quality, print_psnr, no_rdo, refine, effort;
} enc_opts;

static int parse_args(int argc, char **argv, enc_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        int r = cli_common_arg(PROG, argc, argv, &i, &o->c, help);

        if (r == 1)
            continue;
        if (r)
            return r;
        if (!strcmp(a, "--print-psnr") || !strcmp(a, "-print_psnr")) {
            o->print_psnr = 1;
        } else if (!strcmp(a, "--no-rdo")) {
            o->no_rdo = 1;
        } else if ((r = cli_opt_value(argc, argv, &i, "--refine", &v)) != 0) {
            if (r < 0 || cli_parse_int(v, 0, 1000, &o->refine))
                return cli_usage_error(PROG, "--refine needs an iteration count 0..1000");
        } else if ((r = cli_opt_value(argc, argv, &i, "--effort", &v)) != 0 ||
                   (r = cli_opt_value(argc, argv, &i, "-e", &v)) != 0) {
            if (r < 0 || cli_parse_int(v, 1, DLIC_EFFORT_MAX, &o->effort))
                return cli_usage_error(PROG, "--effort needs an effort 1..9");
        } else if ((r = cli_opt_value(argc, argv, &i, "-q", &v)) != 0) {
            if (r < 0 || cli_parse_int(v, 0, 100, &o->quality))
                return cli_usage_error(PROG, "-q needs a quality 0..100");
        } else {
            return cli_usage_error(PROG, "unknown option '%s'", a);
        }
    }
    if (!o->c.in)
        return cli_usage_error(PROG, "no input file");
    return 0;
}

static const char *colour_name(int colour)
{
    return colour == DLIC_GRAY ? "gray" : "RGB";
}

int main(int argc, char **argv)
{
    enc_opts o = { .quality = 75, .effort = DLIC_EFFORT_DEFAULT, .c.metadata = CLI_META_ICC };
    char err[IO_ERR_SIZE];
    dlic_settings s;
    dlic_model *loaded = NULL;
    dlic_context *ctx = NULL;
    io_image img = { 0 };
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

    cli_progress prog = { .prog = PROG, .label = "encoding" };
    if (cli_settings(PROG, &o.c, &prog, &s, &loaded))
        return CLI_EXIT_FAIL;
    s.quality = o.quality;
    s.rdo = !o.no_rdo;
    s.refine = o.refine;
    s.effort = o.effort;

    double t0 = cli_now();
    if (io_read_file(o.c.in, IO_MAX_FILE_SIZE, &file, &file_size, err)) {
        cli_error(PROG, in_name, "%s", err);
        goto done;
    }
    io_format fmt = io_detect(file, file_size);
    io_limits lim = { s.max_pixels };
    if (io_read_image(file, file_size, &lim, &img, err)) {
        cli_error(PROG, in_name, "%s", err);
        goto done;
    }
    free(file);
    file = NULL;
    if (img.had_alpha && !o.c.quiet)
        cli_error(PROG, in_name, "warning: alpha channel dropped");

    dlic_picture pic = { 0 };
    pic.width = img.width;
    pic.height = img.height;
    pic.colour = img.channels == 1 ? DLIC_GRAY : DLIC_RGB;
    pic.stride = img.stride;
    pic.data = img.data;
    if (o.c.metadata & CLI_META_ICC) {
        pic.icc = img.icc;
        pic.icc_size = img.icc_size;
    }
    if (o.c.metadata & CLI_META_EXIF) {
        pic.exif = img.exif;
        pic.exif_size = img.exif_size;
    }

    double t1 = cli_now();
    r = dlic_open(&ctx, &s);
    if (r == DLIC_OK)
        r = dlic_encode(ctx, &pic, &out, &out_size);
    if (r == DLIC_ERR_LIMIT && (s.effort > DLIC_EFFORT_DEFAULT || s.refine)) {
        /* too large for the search (DLIC_REFINE_MAX_MEMORY): effort 5 */
        dlic_close(&ctx);
        s.effort = DLIC_EFFORT_DEFAULT;
        s.refine = 0;
        r = dlic_open(&ctx, &s);
        if (r == DLIC_OK)
            r = dlic_encode(ctx, &pic, &out, &out_size);
        if (r == DLIC_OK && !o.c.quiet) {
            cli_progress_done(&prog);
            cli_error(PROG, in_name, "note: %ux%u is too large for the latent search of "
                      "effort %d (about 2.3 megapixels at most); encoded at effort %d",
                      (unsigned)pic.width, (unsigned)pic.height, o.effort,
                      DLIC_EFFORT_DEFAULT);
        }
    }
    cli_progress_done(&prog);
    if (r != DLIC_OK) {
        cli_error(PROG, in_name, "%s", dlic_strerror(r));
        goto done;
    }
    double t2 = cli_now();

    if (o.c.out) {
        if (io_write_file(o.c.out, out, out_size, err)) {
            cli_error(PROG, out_name, "%s", err);
            goto done;
        }
    } else if (!o.c.quiet) {
        fprintf(stderr, "%s: no output file given (no -o): encoded, but the "
                        "result is discarded\n", PROG);
    }

    if (o.print_psnr) {
        double psnr;
        r = stream_psnr(ctx, &pic, out, out_size, &psnr);
        if (r != DLIC_OK) {
            cli_error(PROG, in_name, "decoding for --print-psnr: %s", dlic_strerror(r));
            goto done;
        }
        printf("%s: %zu bytes, %.4f bpp, PSNR %.2f dB\n", in_name, out_size,
               (double)out_size * 8.0 / ((double)pic.width * pic.height), psnr);
    }

    if (o.c.verbose && !o.c.quiet) {
        const dlic_model *m = s.model;
        if (!m && dlic_model_default(&m) != DLIC_OK)
            m = NULL;
        double pixels = (double)img.width * img.height;
        fprintf(stderr, "File:       %s (%s)\n", in_name, io_format_name(fmt));
        fprintf(stderr, "Dimension:  %u x %u (%s%s%s)\n", (unsigned)img.width,
                (unsigned)img.height, colour_name(pic.colour),
                pic.icc ? ", ICC profile" : "", pic.exif ? ", EXIF" : "");
        fprintf(stderr, "Quality:    %d\n", o.quality);
        if (m)
            fprintf(stderr, "Model:      %s (id %016llx%s)\n", dlic_model_name(m),
                    (unsigned long long)dlic_model_id(m),
                    dlic_model_is_test(m) ? ", test model" : "");
        fprintf(stderr, "Output:     %zu bytes, %.4f bpp\n", out_size,
                (double)out_size * 8.0 / pixels);
        fprintf(stderr, "Time:       %.3f s encoding, %.3f s total\n", t2 - t1,
                cli_now() - t0);
    }
    ret = 0;

done:
    dlic_free(out);
    dlic_close(&ctx);
    io_image_free(&img);
    free(file);
    dlic_model_free(&loaded);
    return ret;
}
