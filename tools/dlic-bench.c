/* dlic-bench: rate-distortion and speed of DLIC against JPEG, WebP,
 * BPG/HEVC, AVIF and JPEG XL on a folder of images, with BD-rates and plots.
 * The parts live in tools/bench/. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dlic/dlic.h"
#include "tools/bench/codecs.h"
#include "tools/bench/report.h"
#include "tools/bench/runner.h"
#include "tools/cliutil.h"
#include "tools/imageio/imageio.h"

static const char *const PROG = "dlic-bench";

#define DEFAULT_CODECS "dlic,jpeg,jpeg444,webp,hevc,avif,jxl"
#define MAX_IMAGES 4096

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void help(void)
{
    size_t n;
    const bench_codec *c = bench_codecs(&n);
    printf("Usage: %s [options] [DIR]\n"
           "Rate-distortion and speed of DLIC against JPEG, WebP, BPG/HEVC, AVIF and\n"
           "JPEG XL on the PNG/JPEG/WebP/PPM images of DIR (default ../shared/data/kodak),\n"
           "with Bjontegaard delta rates and plots. Results are cached in the output\n"
           "folder, so an interrupted run resumes.\n"
           "\n"
           "Options:\n"
           "  --codecs LIST        comma-separated codecs (default " DEFAULT_CODECS ")\n"
           "  --qualities C=LIST   qualities of codec C, e.g. webp=10,50,90 (repeatable)\n"
           "  --images N           use the first N images (sorted by name)\n"
           "  --weights FILE       DLIC model file instead of the embedded one\n"
           "  --effort N           DLIC encoder effort 1..9 (dlic-enc --effort;\n"
           "                       default 5)\n"
           "  --refine N           DLIC encodes with N iterations of latent\n"
           "                       refinement (dlic-enc --refine; default 0: the\n"
           "                       effort's)\n"
           "  -j N                 images measured in parallel (default: all cores)\n"
           "  --out DIR            output folder (default build/bench)\n"
           "  --no-plot            do not run gnuplot\n"
           "  --speed              add encode/decode times to the summary\n"
           "  -h, --help           print this help\n"
           "  --version            print the version\n"
           "\n"
           "Codecs (hevc = bpg when bpgenc is on PATH, else heif):\n", PROG);
    for (size_t i = 0; i < n; i++)
        printf("  %-9s %-34s q %s\n", c[i].id, c[i].label, c[i].qualities);
    printf("External codecs missing from PATH are skipped with a note.\n");
}

typedef struct bench_opts {
    const char *dir, *out, *weights, *codecs;
    const char *qual[16];
    int nqual, images, jobs, plot, speed, refine, effort;
} bench_opts;

static int parse_args(int argc, char **argv, bench_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        int r;
        if (a[0] != '-') {
            if (o->dir)
                return cli_usage_error(PROG, "more than one folder ('%s')", a);
            o->dir = a;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help();
            exit(0);
        } else if (!strcmp(a, "--version")) {
            printf("%s %s\n", PROG, dlic_version());
            exit(0);
        } else if (!strcmp(a, "--no-plot")) {
            o->plot = 0;
        } else if (!strcmp(a, "--speed")) {
            o->speed = 1;
        } else if ((r = cli_opt_value(argc, argv, &i, "--codecs", &v)) != 0) {
            if (r < 0)
                return cli_usage_error(PROG, "--codecs needs a list");
            o->codecs = v;
        } else if ((r = cli_opt_value(argc, argv, &i, "--qualities", &v)) != 0) {
            if (r < 0 || !strchr(v, '='))
                return cli_usage_error(PROG, "--qualities needs CODEC=LIST");
            if (o->nqual == 16)
                return cli_usage_error(PROG, "too many --qualities");
            o->qual[o->nqual++] = v;
        } else if ((r = cli_opt_value(argc, argv, &i, "--images", &v)) != 0) {
            if (r < 0 || cli_parse_int(v, 1, MAX_IMAGES, &o->images))
                return cli_usage_error(PROG, "--images needs a number 1..%d", MAX_IMAGES);
        } else if ((r = cli_opt_value(argc, argv, &i, "--weights", &v)) != 0) {
            if (r < 0)
                return cli_usage_error(PROG, "--weights needs a model file");
            o->weights = v;
        } else if ((r = cli_opt_value(argc, argv, &i, "--refine", &v)) != 0) {
            if (r < 0 || cli_parse_int(v, 0, 1000, &o->refine))
                return cli_usage_error(PROG, "--refine needs an iteration count 0..1000");
        } else if ((r = cli_opt_value(argc, argv, &i, "--effort", &v)) != 0) {
            if (r < 0 || cli_parse_int(v, 1, DLIC_EFFORT_MAX, &o->effort))
                return cli_usage_error(PROG, "--effort needs an effort 1..9");
        } else if ((r = cli_opt_value(argc, argv, &i, "-j", &v)) != 0) {
            if (r < 0 || cli_parse_int(v, 1, 64, &o->jobs))
                return cli_usage_error(PROG, "-j needs a number 1..64");
        } else if ((r = cli_opt_value(argc, argv, &i, "--out", &v)) != 0) {
            if (r < 0)
                return cli_usage_error(PROG, "--out needs a folder");
            o->out = v;
        } else {
            return cli_usage_error(PROG, "unknown option '%s'", a);
        }
    }
    return 0;
}

/* "10,20,30" into q[]; 0 on success. */
static int parse_qualities(const char *s, int *q, size_t *n)
{
    *n = 0;
    while (*s) {
        char num[16];
        size_t len = strcspn(s, ",");
        if (len == 0 || len >= sizeof(num) || *n == BENCH_MAX_Q)
            return -1;
        memcpy(num, s, len);
        num[len] = 0;
        if (cli_parse_int(num, -1000, 1000, &q[(*n)++]))
            return -1;
        s += len;
        if (*s == ',' && !*++s)
            return -1;
    }
    return *n ? 0 : -1;
}

/* Selects, probes and configures the codecs; unavailable ones are skipped
 * with a note. Returns the count, or -1 after a usage error. */
static int select_codecs(const bench_opts *o, const dlic_model *model,
                         bench_entry *out, size_t max)
{
    const char *s = o->codecs;
    size_t n = 0;
    while (*s) {
        char id[32];
        size_t len = strcspn(s, ",");
        if (len == 0 || len >= sizeof(id))
            return cli_usage_error(PROG, "bad --codecs list '%s'", o->codecs), -1;
        memcpy(id, s, len);
        id[len] = 0;
        s += len + (s[len] == ',');
        const bench_codec *c = bench_codec_find(id);
        if (!c)
            return cli_usage_error(PROG, "unknown codec '%s'", id), -1;
        int dup = 0;
        for (size_t i = 0; i < n; i++)
            dup |= out[i].codec == c;
        if (dup)
            continue;
        if (n == max)
            return cli_usage_error(PROG, "too many codecs"), -1;
        bench_entry *e = &out[n];
        memset(e, 0, sizeof(*e));
        e->codec = c;
        const int is_dlic = !strncmp(c->id, "dlic", 4);
        if (c->probe(c, model, e->version)) {
            fprintf(stderr, "%s: note: skipping %s (%s): %s\n", PROG, c->id, c->label,
                    is_dlic ? "the model has no lite transform (g_s lite)"
                            : "its encoder or decoder is not on PATH");
            continue;
        }
        /* other efforts and refined streams are other points: cached apart */
        if (is_dlic && o->effort != DLIC_EFFORT_DEFAULT) {
            const size_t l = strlen(e->version);
            snprintf(e->version + l, sizeof(e->version) - l, " effort %d", o->effort);
        }
        if (is_dlic && o->refine) {
            const size_t l = strlen(e->version);
            snprintf(e->version + l, sizeof(e->version) - l, " refine %d", o->refine);
        }
        const char *q = c->qualities;
        for (int i = 0; i < o->nqual; i++) {
            size_t l = strcspn(o->qual[i], "=");
            if ((l == strlen(c->id) && !strncmp(o->qual[i], c->id, l)) ||
                (l == 4 && !strncmp(o->qual[i], "hevc", 4) &&
                 (!strcmp(c->id, "bpg") || !strcmp(c->id, "heif"))))
                q = o->qual[i] + l + 1;
        }
        if (parse_qualities(q, e->q, &e->nq))
            return cli_usage_error(PROG, "bad quality list '%s' for %s", q, c->id), -1;
        n++;
    }
    for (int i = 0; i < o->nqual; i++) {
        char id[32];
        size_t l = strcspn(o->qual[i], "=");
        snprintf(id, sizeof(id), "%.*s", (int)(l < 31 ? l : 31), o->qual[i]);
        if (!bench_codec_find(id))
            return cli_usage_error(PROG, "--qualities: unknown codec '%s'", id), -1;
    }
    return (int)n;
}

static int is_image_name(const char *name)
{
    static const char *const ext[] = { "png", "ppm", "pnm", "pgm", "jpg",
                                       "jpeg", "webp" };
    if (name[0] == '.')
        return 0;
    for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
        if (io_has_ext(name, ext[i]))
            return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists and loads the images of dir as 8-bit RGB. */
static int load_images(const char *dir, int limit, bench_image **out,
                       size_t *count)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    char err[IO_ERR_SIZE];

    if (!d) {
        cli_error(PROG, dir, "%s", strerror(errno));
        return -1;
    }
    while ((de = readdir(d))) {
        if (!is_image_name(de->d_name))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(names, cap * sizeof(*nn));
            if (!nn)
                break;
            names = nn;
        }
        if (!(names[n] = strdup(de->d_name)))
            break;
        n++;
    }
    closedir(d);
    if (n == 0) {
        cli_error(PROG, dir, "no PNG, JPEG, WebP or PPM images");
        free(names);
        return -1;
    }
    qsort(names, n, sizeof(*names), cmp_str);
    size_t total = n;
    if (limit > 0 && (size_t)limit < n)
        n = (size_t)limit;
    bench_image *im = calloc(n, sizeof(*im));
    int ret = im ? 0 : -1;
    for (size_t i = 0; i < n && ret == 0; i++) {
        char *path = malloc(strlen(dir) + strlen(names[i]) + 2);
        uint8_t *data = NULL;
        size_t size = 0;
        io_image src = { 0 };
        if (!path) {
            ret = -1;
            break;
        }
        sprintf(path, "%s/%s", dir, names[i]);
        im[i].path = path;
        snprintf(im[i].name, sizeof(im[i].name), "%s", names[i]);
        if (io_read_file(path, IO_MAX_FILE_SIZE, &data, &size, err) ||
            io_read_image(data, size, NULL, &src, err)) {
            cli_error(PROG, path, "%s", err);
            free(data);
            ret = -1;
            break;
        }
        free(data);
        snprintf(im[i].key, sizeof(im[i].key), "%s:%zu", im[i].name, size);
        if (src.channels == 3) {
            im[i].img = src;
            continue;
        }
        /* Gray: measured as RGB with R = G = B. */
        if (io_image_alloc(&im[i].img, src.width, src.height, 3, NULL, err)) {
            cli_error(PROG, path, "%s", err);
            io_image_free(&src);
            ret = -1;
            break;
        }
        for (uint32_t y = 0; y < src.height; y++)
            for (uint32_t x = 0; x < src.width; x++)
                memset(im[i].img.data + y * im[i].img.stride + 3 * (size_t)x,
                       src.data[y * src.stride + x], 3);
        im[i].img.icc = NULL;
        io_image_free(&src);
    }
    for (size_t i = 0; i < total; i++)
        free(names[i]);
    free(names);
    *out = im;
    *count = n;
    return ret;
}

static void free_images(bench_image *im, size_t n)
{
    for (size_t i = 0; im && i < n; i++) {
        free((char *)im[i].path);
        io_image_free(&im[i].img);
    }
    free(im);
}

static int mkdir_p(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0777) && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
}

static char *join_args(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = malloc(len);
    if (!s)
        return NULL;
    s[0] = 0;
    for (int i = 0; i < argc; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

int main(int argc, char **argv)
{
    bench_opts o = { .effort = DLIC_EFFORT_DEFAULT };
    bench_entry codecs[16];
    bench_image *images = NULL;
    size_t nimages = 0;
    dlic_model *loaded = NULL;
    bench_cache cache;
    bench_run run;
    int ret = CLI_EXIT_FAIL;

    o.plot = 1;
    o.codecs = DEFAULT_CODECS;
    int r = parse_args(argc, argv, &o);
    if (r)
        return r;
    if (!o.dir)
        o.dir = "../shared/data/kodak";
    if (!o.out)
        o.out = "build/bench";
    if (!o.jobs) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        o.jobs = nc < 1 ? 1 : nc > 64 ? 64 : (int)nc;
    }
    if (o.weights && cli_load_model(PROG, o.weights, &loaded))
        return CLI_EXIT_FAIL;
    int nc = select_codecs(&o, loaded, codecs, sizeof(codecs) / sizeof(codecs[0]));
    if (nc < 0) {
        dlic_model_free(&loaded);
        return CLI_EXIT_USAGE;
    }
    if (nc == 0) {
        fprintf(stderr, "%s: no codec available\n", PROG);
        goto done;
    }
    if (o.plot && !bench_on_path("gnuplot")) {
        fprintf(stderr, "%s: note: gnuplot is not on PATH: no plots\n", PROG);
        o.plot = 0;
    }
    if (load_images(o.dir, o.images, &images, &nimages))
        goto done;
    if (mkdir_p(o.out)) {
        cli_error(PROG, o.out, "cannot create the folder: %s", strerror(errno));
        goto done;
    }
    char cache_path[4200];
    snprintf(cache_path, sizeof(cache_path), "%s/cache.tsv", o.out);
    if (bench_cache_open(&cache, cache_path)) {
        cli_error(PROG, cache_path, "%s", strerror(errno));
        goto done;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    memset(&run, 0, sizeof(run));
    run.codecs = codecs;
    run.ncodecs = (size_t)nc;
    run.images = images;
    run.nimages = nimages;
    run.model = loaded;
    run.refine = o.refine;
    run.effort = o.effort;
    run.cache = &cache;
    run.jobs = o.jobs;
    run.tty = isatty(STDERR_FILENO);
    run.stop = &g_stop;
    fprintf(stderr, "%s: %zu images, %d codecs, %d jobs, results in %s\n",
            PROG, nimages, nc, o.jobs, o.out);
    if (bench_run_all(&run)) {
        if (g_stop)
            fprintf(stderr, "%s: interrupted; measured points are cached in %s, "
                    "run again to resume\n", PROG, cache_path);
        else
            fprintf(stderr, "%s: out of memory\n", PROG);
        ret = g_stop ? 130 : CLI_EXIT_FAIL;
    } else {
        char *cmd = join_args(argc, argv);
        bench_report_opts ro = { o.out, o.dir, cmd, o.speed, o.plot };
        if (bench_report(&run, &ro) == 0)
            ret = run.failed ? CLI_EXIT_FAIL : 0;
        if (run.failed)
            fprintf(stderr, "%s: %zu points failed\n", PROG, run.failed);
        free(cmd);
    }
    bench_run_free(&run);
    bench_cache_close(&cache);
done:
    free_images(images, nimages);
    dlic_model_free(&loaded);
    return ret;
}
