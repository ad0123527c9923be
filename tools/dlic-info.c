/* dlic-info: describe a DLIC stream (header, chunks, model) or a model file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlic/dlic.h"
#include "tools/cliutil.h"
#include "tools/imageio/imageio.h"

static const char *const PROG = "dlic-info";

static const char *const TRANSFORM_NAMES[7] = { "g_a", "h_a", "h_s", "g_s",
                                                "c_ctx", "c_ep", "g_s lite" };

static void help(void)
{
    printf("Usage: %s [--weights MODEL] FILE.dlic\n"
           "       %s --model [MODEL]\n"
           "Print the header fields, model and chunk list of a DLIC stream and\n"
           "check its container (exit status 1 when it is invalid). With --model,\n"
           "describe a model file (default: the embedded model): its layers and\n"
           "multiply-accumulates per pixel.\n"
           "\n"
           "Options:\n"
           "  --weights FILE   compare the stream's model id with this model\n"
           "  --model [FILE]   describe a model instead of a stream\n"
           "  -h, --help       print this help\n"
           "  --version        print the version\n",
           PROG, PROG);
}

static int load_model(const char *path, dlic_model **loaded, const dlic_model **m)
{
    if (path) {
        if (cli_load_model(PROG, path, loaded))
            return -1;
        *m = *loaded;
        return 0;
    }
    int r = dlic_model_default(m);
    if (r != DLIC_OK) {
        cli_error(PROG, "embedded model", "%s", dlic_strerror(r));
        return -1;
    }
    return 0;
}

static int describe_model(const dlic_model *m)
{
    const dlic_model *def = NULL;
    double total[7] = { 0 };

    printf("Model:       %s\n", dlic_model_name(m));
    printf("Model id:    %016llx", (unsigned long long)dlic_model_id(m));
    if (dlic_model_default(&def) == DLIC_OK && def &&
        dlic_model_id(def) == dlic_model_id(m))
        printf(" (the embedded default model)");
    printf("\n");
    printf("Test model:  %s\n", dlic_model_is_test(m) ? "yes (not trained)" : "no");
    if (dlic_model_lite_id(m))
        printf("Lite id:     %016llx (g_s lite, SPEC 8.7)\n",
               (unsigned long long)dlic_model_lite_id(m));
    printf("M:           %u\n", dlic_model_latent_channels(m));
    printf("NZ:          %u\n", dlic_model_hyper_channels(m));
    for (int t = 0; t <= DLIC_G_S_LITE; t++) {
        unsigned n = dlic_model_layer_count(m, t);
        if (!n && t >= DLIC_C_CTX)      /* no checkerboard context, no lite */
            continue;
        printf("\n%s: %u layer%s\n", TRANSFORM_NAMES[t], n, n == 1 ? "" : "s");
        printf("  %2s %5s %5s %2s %6s %7s %16s %14s\n", "#", "cin", "cout", "k",
               "stride", "shuffle", "range", "MAC/pixel");
        for (unsigned i = 0; i < n; i++) {
            dlic_layer_info li;
            char range[32];
            if (dlic_model_layer(m, t, i, &li) != DLIC_OK) {
                cli_error(PROG, NULL, "cannot read layer %u of %s", i,
                          TRANSFORM_NAMES[t]);
                return -1;
            }
            snprintf(range, sizeof(range), "[%d, %d]", li.lo, li.hi);
            printf("  %2u %5u %5u %2u %6u %7u %16s %14.2f\n", i, li.cin, li.cout,
                   li.k, li.stride, li.shuffle, range, li.macs_per_pixel);
            total[t] += li.macs_per_pixel;
        }
        printf("  total MAC/pixel: %.2f\n", total[t]);
    }
    /* With a context (SPEC §6.1) both sides run c_ctx and c_ep. */
    const double ctx = total[DLIC_C_CTX] + total[DLIC_C_EP];
    if (ctx > 0) {
        printf("\nEncoder MAC/pixel (g_a + h_a + h_s + c_ctx + c_ep): %.2f\n",
               total[DLIC_G_A] + total[DLIC_H_A] + total[DLIC_H_S] + ctx);
        printf("Decoder MAC/pixel (h_s + c_ctx + c_ep + g_s): %.2f\n",
               total[DLIC_H_S] + ctx + total[DLIC_G_S]);
        if (total[DLIC_G_S_LITE] > 0)
            printf("Lite decoder MAC/pixel (h_s + c_ctx + c_ep + g_s lite): %.2f "
                   "(g_s lite %.1f%% of g_s)\n",
                   total[DLIC_H_S] + ctx + total[DLIC_G_S_LITE],
                   100.0 * total[DLIC_G_S_LITE] / total[DLIC_G_S]);
    } else {
        printf("\nEncoder MAC/pixel (g_a + h_a + h_s): %.2f\n",
               total[DLIC_G_A] + total[DLIC_H_A] + total[DLIC_H_S]);
        printf("Decoder MAC/pixel (h_s + g_s):       %.2f\n",
               total[DLIC_H_S] + total[DLIC_G_S]);
        if (total[DLIC_G_S_LITE] > 0)
            printf("Lite decoder MAC/pixel (h_s + g_s lite): %.2f (g_s lite "
                   "%.1f%% of g_s)\n", total[DLIC_H_S] + total[DLIC_G_S_LITE],
                   100.0 * total[DLIC_G_S_LITE] / total[DLIC_G_S]);
    }
    return 0;
}

static int describe_stream(const char *path, const dlic_model *m, int m_is_default)
{
    const char *name = cli_name(path, 0);
    char err[IO_ERR_SIZE];
    dlic_stream_info info;
    uint8_t *data;
    size_t size;

    if (io_read_file(path, IO_MAX_FILE_SIZE, &data, &size, err)) {
        cli_error(PROG, name, "%s", err);
        return CLI_EXIT_FAIL;
    }
    memset(&info, 0, sizeof(info));
    int r = size ? dlic_probe(data, size, &info) : DLIC_ERR_TRUNCATED;
    free(data);

    int have_head = info.nchunks > 0 && !strcmp(info.chunks[0].type, "HEAD");
    printf("File:        %s\n", name);
    printf("File size:   %zu bytes\n", size);
    if (have_head) {
        printf("Version:     %u.%u\n", info.version_major, info.version_minor);
        printf("Dimensions:  %u x %u\n", (unsigned)info.width, (unsigned)info.height);
        printf("Colour:      %s (%d)\n",
               info.colour == DLIC_RGB ? "RGB" : info.colour == DLIC_GRAY ? "gray"
                                                                          : "unknown",
               info.colour);
        printf("Bit depth:   %d\n", info.bit_depth);
        printf("Quality:     %d\n", info.quality);
        printf("Model id:    %016llx", (unsigned long long)info.model_id);
        if (m) {
            int match = info.model_id == dlic_model_id(m);
            printf(" (%s %s model '%s')", match ? "matches" : "does not match",
                   m_is_default ? "the embedded" : "the given", dlic_model_name(m));
        }
        printf("\n");
        if (info.width && info.height)
            printf("Bits/pixel:  %.4f\n",
                   (double)size * 8.0 / ((double)info.width * info.height));
    }
    if (info.nchunks) {
        printf("Chunks:      %u\n", info.nchunks);
        printf("  %-4s %10s %10s  %s\n", "type", "offset", "length", "check");
        for (unsigned i = 0; i < info.nchunks && i < DLIC_MAX_CHUNKS; i++) {
            const dlic_chunk_info *c = &info.chunks[i];
            char type[5];
            for (int k = 0; k < 4; k++)     /* the type may be garbage */
                type[k] = c->type[k] >= 0x20 && c->type[k] < 0x7F ? c->type[k] : '?';
            type[4] = '\0';
            printf("  %-4s %10llu %10lu  %s\n", type, (unsigned long long)c->offset,
                   (unsigned long)c->length, c->check_ok ? "ok" : "BAD");
        }
    }
    if (r != DLIC_OK) {
        printf("Status:      INVALID (%s)\n", size ? dlic_strerror(r) : "empty file");
        fflush(stdout);
        cli_error(PROG, name, "%s", size ? dlic_strerror(r) : "empty file");
        return CLI_EXIT_FAIL;
    }
    printf("Status:      OK\n");
    return 0;
}

int main(int argc, char **argv)
{
    const char *file = NULL, *weights = NULL;
    int model_mode = 0, only_files = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        int r;
        if (only_files || a[0] != '-' || !strcmp(a, "-")) {
            if (file)
                return cli_usage_error(PROG, "more than one file ('%s')", a);
            file = a;
        } else if (!strcmp(a, "--")) {
            only_files = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "-help")) {
            help();
            return 0;
        } else if (!strcmp(a, "--version") || !strcmp(a, "-version")) {
            printf("%s %s\n", PROG, dlic_version());
            return 0;
        } else if (!strcmp(a, "--model")) {
            model_mode = 1;
        } else if ((r = cli_opt_value(argc, argv, &i, "--weights", &v)) != 0) {
            if (r < 0)
                return cli_usage_error(PROG, "--weights needs a model file");
            weights = v;
        } else {
            return cli_usage_error(PROG, "unknown option '%s'", a);
        }
    }

    dlic_model *loaded = NULL;
    const dlic_model *m = NULL;
    int ret;
    if (model_mode) {
        if (file && weights)
            return cli_usage_error(PROG, "give the model either after --model "
                                   "or with --weights");
        if (load_model(file ? file : weights, &loaded, &m))
            return CLI_EXIT_FAIL;
        ret = describe_model(m) ? CLI_EXIT_FAIL : 0;
    } else {
        if (!file)
            return cli_usage_error(PROG, "no input file");
        /* Without --weights a broken embedded model only loses the match line. */
        if (weights) {
            if (load_model(weights, &loaded, &m))
                return CLI_EXIT_FAIL;
        } else if (dlic_model_default(&m) != DLIC_OK) {
            m = NULL;
        }
        ret = describe_stream(file, m, !weights);
    }
    dlic_model_free(&loaded);
    return ret;
}
