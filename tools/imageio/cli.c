/* Helpers shared by the dlic-* command-line tools (see tools/cliutil.h). */
#include "tools/cliutil.h"
#include "tools/imageio/imageio.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *cli_name(const char *path, int output)
{
    if (!strcmp(path, "-"))
        return output ? "stdout" : "stdin";
    return path;
}

int cli_opt_value(int argc, char **argv, int *i, const char *name,
                  const char **value)
{
    const char *a = argv[*i];
    size_t n = strlen(name);

    if (strncmp(a, name, n))
        return 0;
    if (a[n] == '=') {
        *value = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 1;
}

int cli_parse_int(const char *s, long lo, long hi, int *out)
{
    char *end;
    long v;

    if (!s || !*s || (*s != '-' && (*s < '0' || *s > '9')))
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

int cli_parse_cpu(const char *s, unsigned *mask)
{
    if (!strcmp(s, "scalar") || !strcmp(s, "c"))
        *mask = 0;
    else if (!strcmp(s, "avx2"))
        *mask = DLIC_CPU_AVX2;
    else if (!strcmp(s, "avxvnni"))
        *mask = DLIC_CPU_AVX2 | DLIC_CPU_AVXVNNI;
    else if (!strcmp(s, "avx512"))
        *mask = ~0u;
    else
        return -1;
    return 0;
}

int cli_parse_metadata(const char *s, unsigned *mask)
{
    unsigned m = 0;

    for (;;) {
        size_t n = strcspn(s, ",");
        if (n == 3 && !strncmp(s, "all", n))
            m = CLI_META_ALL;
        else if (n == 4 && !strncmp(s, "none", n))
            m = 0;
        else if (n == 3 && !strncmp(s, "icc", n))
            m |= CLI_META_ICC;
        else if (n == 4 && !strncmp(s, "exif", n))
            m |= CLI_META_EXIF;
        else
            return -1;
        if (!s[n])
            break;
        s += n + 1;
    }
    *mask = m;
    return 0;
}

void cli_error(const char *prog, const char *name, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prog);
    if (name)
        fprintf(stderr, "%s: ", name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_usage_error(const char *prog, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (try '%s --help')\n", prog);
    return CLI_EXIT_USAGE;
}

int cli_load_model(const char *prog, const char *path, dlic_model **model)
{
    char err[IO_ERR_SIZE];
    uint8_t *data;
    size_t size;
    int r;

    *model = NULL;
    if (io_read_file(path, CLI_MAX_MODEL_SIZE, &data, &size, err)) {
        cli_error(prog, cli_name(path, 0), "%s", err);
        return -1;
    }
    r = dlic_model_load(model, data, size);
    free(data);
    if (r != DLIC_OK) {
        cli_error(prog, cli_name(path, 0), "%s", dlic_strerror(r));
        return -1;
    }
    return 0;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cli_progress_cb(void *opaque, int percent)
{
    cli_progress *p = opaque;
    if (percent < 0)
        percent = 0;
    if (percent > 100)
        percent = 100;
    if (p->shown && percent == p->last)
        return;
    p->last = percent;
    p->shown = 1;
    fprintf(stderr, "\r%s: %s %3d%%%s\033[K", p->prog, p->label, percent, p->detail);
    fflush(stderr);
}

void cli_search_cb(void *opaque, int iteration, int iterations, double bpp, double psnr)
{
    cli_progress *p = opaque;
    snprintf(p->detail, sizeof(p->detail), " (search %d/%d: %.4f bpp, %.2f dB)", iteration,
             iterations, bpp, psnr);
    p->shown = 0;                       /* redraw with the new detail */
    cli_progress_cb(p, p->last);
}

void cli_progress_done(cli_progress *p)
{
    if (p->shown) {
        fputs("\r\033[K", stderr);      /* erase the progress line */
        fflush(stderr);
        p->shown = 0;
    }
}

int cli_common_arg(const char *prog, int argc, char **argv, int *i,
                   cli_common *c, void (*help)(void))
{
    const char *a = argv[*i], *v = NULL;
    int r;

    if (c->only_files || a[0] != '-' || !strcmp(a, "-")) {
        if (c->in)
            return cli_usage_error(prog, "more than one input file ('%s')", a);
        c->in = a;
    } else if (!strcmp(a, "--")) {
        c->only_files = 1;
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "-help")) {
        help();
        exit(0);
    } else if (!strcmp(a, "--version") || !strcmp(a, "-version")) {
        printf("%s %s\n", prog, dlic_version());
        exit(0);
    } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
        c->verbose = 1;
    } else if (!strcmp(a, "-quiet") || !strcmp(a, "--quiet")) {
        c->quiet = 1;
    } else if ((r = cli_opt_value(argc, argv, i, "-o", &v)) != 0) {
        if (r < 0)
            return cli_usage_error(prog, "-o needs a file name");
        if (c->out)
            return cli_usage_error(prog, "more than one -o");
        c->out = v;
    } else if ((r = cli_opt_value(argc, argv, i, "--weights", &v)) != 0) {
        if (r < 0)
            return cli_usage_error(prog, "--weights needs a model file");
        c->weights = v;
    } else if ((r = cli_opt_value(argc, argv, i, "--threads", &v)) != 0) {
        if (r < 0 || cli_parse_int(v, 0, 256, &c->threads))
            return cli_usage_error(prog, "--threads needs a number 0..256");
    } else if ((r = cli_opt_value(argc, argv, i, "--cpu", &v)) != 0) {
        if (r < 0 || cli_parse_cpu(v, &c->cpu_mask))
            return cli_usage_error(prog, "--cpu must be scalar, avx2, avxvnni or avx512");
        c->cpu_set = 1;
    } else if ((r = cli_opt_value(argc, argv, i, "--metadata", &v)) != 0 ||
               (r = cli_opt_value(argc, argv, i, "-metadata", &v)) != 0) {
        if (r < 0 || cli_parse_metadata(v, &c->metadata))
            return cli_usage_error(prog, "--metadata needs a list of all, "
                                   "none, icc, exif (comma-separated)");
    } else {
        return 0;
    }
    return 1;
}

int cli_settings(const char *prog, const cli_common *c, cli_progress *progress,
                 dlic_settings *s, dlic_model **loaded)
{
    dlic_default_settings(s);
    s->threads = c->threads;
    if (c->cpu_set)
        s->cpu_mask = c->cpu_mask;
    *loaded = NULL;
    if (c->weights) {
        if (cli_load_model(prog, c->weights, loaded))
            return 1;
        s->model = *loaded;
    }
    if (progress && !c->quiet && isatty(STDERR_FILENO)) {
        s->progress = cli_progress_cb;
        s->search_progress = cli_search_cb;
        s->progress_opaque = progress;
    }
    return 0;
}
