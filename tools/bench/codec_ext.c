/* External encoders and decoders run as subprocesses through files in the
 * job's temporary folder; the size is that of the real output file. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/bench/codec.h"

extern char **environ;

/* Command templates: "%i" input file, "%o" output file, "%q" quality. */
#define MAX_ARGS 24

typedef struct ext_spec {
    const char *id;
    const char *ext;                        /* compressed file extension */
    const char *enc[MAX_ARGS], *dec[MAX_ARGS];
    const char *version[4];                 /* command printing a version */
} ext_spec;

static const ext_spec SPECS[] = {
    { "bpg", "bpg",
      { "bpgenc", "-q", "%q", "-f", "444", "-o", "%o", "%i", NULL },
      { "bpgdec", "-o", "%o", "%i", NULL },
      { "bpgenc", "-h", NULL } },
    /* YCbCr (BT.601 full range) 4:4:4; libheif 1.15 ignores
       --matrix_coefficients=0 (RGB) for lossy coding. tune=psnr turns off
       x265's psycho-visual tools, which cost PSNR. */
    { "heif", "heic",
      { "heif-enc", "-q", "%q", "-p", "chroma=444", "-p", "preset=slow",
        "-p", "tune=psnr", "-o", "%o", "%i", NULL },
      { "heif-convert", "--quiet", "%i", "%o", NULL },
      { "heif-enc", "--help", NULL } },
    { "avif", "avif",
      { "avifenc", "-j", "1", "-s", "6", "-y", "444", "--min", "%q", "--max",
        "%q", "%i", "%o", NULL },
      { "avifdec", "-j", "1", "%i", "%o", NULL },
      { "avifenc", "--version", NULL } },
    { "jxl", "jxl",
      { "cjxl", "%i", "%o", "-q", "%q", "-e", "7", "--num_threads=1",
        "--quiet", NULL },
      { "djxl", "%i", "%o", "--num_threads=1", "--quiet", NULL },
      { "cjxl", "--version", NULL } },
};

static const ext_spec *find_spec(const char *id)
{
    for (size_t i = 0; i < sizeof(SPECS) / sizeof(SPECS[0]); i++)
        if (!strcmp(SPECS[i].id, id))
            return &SPECS[i];
    return NULL;
}

int bench_on_path(const char *name)
{
    const char *path = getenv("PATH");
    char buf[4096];
    if (!path)
        return 0;
    while (*path) {
        size_t n = strcspn(path, ":");
        if (n > 0 && n + strlen(name) + 2 < sizeof(buf)) {
            snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, name);
            if (access(buf, X_OK) == 0)
                return 1;
        }
        path += n;
        if (*path == ':')
            path++;
    }
    return 0;
}

/* Runs argv with stdin from /dev/null and stdout+stderr into log (or
 * /dev/null). Returns the exit status, or -1 when it could not start or
 * was killed. */
static int run_cmd(char *const argv[], const char *log)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int status;

    if (posix_spawn_file_actions_init(&fa))
        return -1;
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log ? log : "/dev/null",
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    int r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r)
        return -1;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Expands a template into argv (strings in store, NUL-separated). */
static int expand(const char *const *tpl, const char *in, const char *out,
                  int quality, char *store, size_t store_size, char **argv)
{
    size_t used = 0;
    int n = 0;
    for (; tpl[n]; n++) {
        const char *t = tpl[n];
        char q[16];
        snprintf(q, sizeof(q), "%d", quality);
        const char *v = !strcmp(t, "%i") ? in : !strcmp(t, "%o") ? out :
                        !strcmp(t, "%q") ? q : t;
        size_t len = strlen(v) + 1;
        if (used + len > store_size || n + 1 >= MAX_ARGS)
            return -1;
        memcpy(store + used, v, len);
        argv[n] = store + used;
        used += len;
    }
    argv[n] = NULL;
    return 0;
}

/* First line of the log that holds a digit, trimmed, as version text. */
static void first_version_line(const char *log, char *out, size_t size)
{
    FILE *f = fopen(log, "r");
    char line[256];
    out[0] = 0;
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        if (!strpbrk(line, "0123456789"))
            continue;
        /* Collapse blanks; stop at a parenthesis (avifenc lists every
           codec library there) or the end of the line. */
        char *s = line, *d = line;
        for (char *p = line; *p && !strchr("(\r\n", *p); p++)
            if (!(*p == ' ' || *p == '\t') || (d > line && d[-1] != ' '))
                *d++ = *p == '\t' ? ' ' : *p;
        while (d > line && d[-1] == ' ')
            d--;
        *d = 0;
        size_t len = strlen(s);
        if (len >= size)
            len = size - 1;
        memcpy(out, s, len);
        out[len] = 0;
        break;
    }
    fclose(f);
}

int bench_ext_probe(const bench_codec *c, const dlic_model *model,
                    char version[BENCH_VERSION_SIZE])
{
    const ext_spec *sp = find_spec(c->id);
    (void)model;
    if (!sp || !bench_on_path(sp->enc[0]) || !bench_on_path(sp->dec[0]))
        return -1;
    char dir[] = "/tmp/dlic-bench-probe.XXXXXX", log[64], store[256];
    char *argv[MAX_ARGS], text[BENCH_VERSION_SIZE - 16];
    if (!mkdtemp(dir))
        return -1;
    snprintf(log, sizeof(log), "%s/log", dir);
    if (expand(sp->version, "", "", 0, store, sizeof(store), argv) == 0)
        run_cmd(argv, log);                 /* "-h" exits nonzero for some */
    first_version_line(log, text, sizeof(text));
    unlink(log);
    rmdir(dir);
    snprintf(version, BENCH_VERSION_SIZE, "%s: %s", c->id,
             text[0] ? text : "unknown version");
    return 0;
}

int bench_ext_run(const bench_codec *c, const bench_job_env *env,
                  const io_image *src, int quality, bench_result *res,
                  char *err)
{
    const ext_spec *sp = find_spec(c->id);
    char comp[4096], png[4096], log[4096], store[8192], msg[120] = "";
    char *argv[MAX_ARGS];
    struct stat st;
    uint8_t *data = NULL;
    size_t size = 0;

    if (!sp || !env->src_png)
        return io_fail(err, "internal error: no external codec '%s'", c->id);
    snprintf(comp, sizeof(comp), "%s/q%d.%s", env->tmpdir, quality, sp->ext);
    snprintf(png, sizeof(png), "%s/q%d.dec.png", env->tmpdir, quality);
    snprintf(log, sizeof(log), "%s/log", env->tmpdir);

    if (expand(sp->enc, env->src_png, comp, quality, store, sizeof(store), argv))
        return io_fail(err, "%s: command line too long", sp->enc[0]);
    double t0 = bench_now_ms();
    int r = run_cmd(argv, log);
    double t1 = bench_now_ms();
    if (r != 0 || stat(comp, &st) != 0) {
        first_version_line(log, msg, sizeof(msg));
        io_fail(err, "%s -q %d failed (exit %d)%s%s", sp->enc[0], quality, r,
                msg[0] ? ": " : "", msg);
        goto fail;
    }
    if (expand(sp->dec, comp, png, quality, store, sizeof(store), argv)) {
        io_fail(err, "%s: command line too long", sp->dec[0]);
        goto fail;
    }
    r = run_cmd(argv, log);
    double t2 = bench_now_ms();
    if (r != 0) {
        io_fail(err, "%s failed (exit %d)", sp->dec[0], r);
        goto fail;
    }
    if (io_read_file(png, IO_MAX_FILE_SIZE, &data, &size, err) ||
        io_read_png(data, size, NULL, &res->decoded, err))
        goto fail;
    res->bytes = (size_t)st.st_size;
    res->enc_ms = t1 - t0;
    res->dec_ms = t2 - t1;
    free(data);
    unlink(comp);
    unlink(png);
    unlink(log);
    (void)src;
    return 0;
fail:
    free(data);
    unlink(comp);
    unlink(png);
    unlink(log);
    return -1;
}
