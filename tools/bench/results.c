/* The measurement cache of dlic-bench; format in results.h. */
#include "tools/bench/results.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_MAGIC "# dlic-bench cache v1"

static int append(bench_cache *c, const bench_point *p)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 256;
        bench_point *np = realloc(c->pts, cap * sizeof(*np));
        if (!np)
            return -1;
        c->pts = np;
        c->cap = cap;
    }
    c->pts[c->n++] = *p;
    return 0;
}

/* Copies the next tab-separated field of *s into dst (size n). */
static int field(char **s, char *dst, size_t n)
{
    size_t len = strcspn(*s, "\t\n");
    if (len == 0 || len >= n)
        return -1;
    memcpy(dst, *s, len);
    dst[len] = 0;
    *s += len;
    if (**s == '\t')
        (*s)++;
    return 0;
}

static int parse_line(char *s, bench_point *p)
{
    char num[8][40];
    char *end;
    memset(p, 0, sizeof(*p));
    if (field(&s, p->codec, sizeof(p->codec)) ||
        field(&s, p->version, sizeof(p->version)) ||
        field(&s, num[0], sizeof(num[0])) ||
        field(&s, p->image, sizeof(p->image)))
        return -1;
    for (int i = 1; i < 7; i++)
        if (field(&s, num[i], sizeof(num[i])))
            return -1;
    p->quality = (int)strtol(num[0], &end, 10);
    if (*end)
        return -1;
    p->bytes = strtoull(num[1], &end, 10);
    p->pixels = strtoull(num[2], &end, 10);
    p->psnr = strtod(num[3], &end);
    p->msssim = strtod(num[4], &end);
    p->enc_ms = strtod(num[5], &end);
    p->dec_ms = strtod(num[6], &end);
    return p->bytes && p->pixels && isfinite(p->psnr) ? 0 : -1;
}

int bench_cache_open(bench_cache *c, const char *path)
{
    char line[1024];
    memset(c, 0, sizeof(*c));
    FILE *f = fopen(path, "r");
    int fresh = 1;
    if (f) {
        while (fgets(line, sizeof(line), f)) {
            bench_point p;
            if (line[0] == '#') {
                fresh = 0;
                continue;
            }
            if (parse_line(line, &p) == 0 && append(c, &p)) {
                fclose(f);
                free(c->pts);
                errno = ENOMEM;
                return -1;
            }
        }
        fclose(f);
    } else if (errno != ENOENT) {
        return -1;
    }
    c->f = fopen(path, "a");
    if (!c->f) {
        free(c->pts);
        return -1;
    }
    if (fresh)
        fprintf(c->f, "%s: codec, version, quality, image, bytes, pixels, "
                "psnr, msssim, enc_ms, dec_ms\n", CACHE_MAGIC);
    fflush(c->f);
    pthread_mutex_init(&c->lock, NULL);
    return 0;
}

void bench_cache_close(bench_cache *c)
{
    if (c->f)
        fclose(c->f);
    free(c->pts);
    pthread_mutex_destroy(&c->lock);
    memset(c, 0, sizeof(*c));
}

int bench_cache_get(bench_cache *c, const char *codec, const char *version,
                    int quality, const char *image, bench_point *out)
{
    int found = 0;
    pthread_mutex_lock(&c->lock);
    for (size_t i = c->n; i-- > 0;) {       /* newest first */
        const bench_point *p = &c->pts[i];
        if (p->quality == quality && !strcmp(p->codec, codec) &&
            !strcmp(p->image, image) && !strcmp(p->version, version)) {
            *out = *p;
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return found;
}

int bench_cache_put(bench_cache *c, const bench_point *p)
{
    int r = 0;
    pthread_mutex_lock(&c->lock);
    if (append(c, p))
        r = -1;
    if (fprintf(c->f, "%s\t%s\t%d\t%s\t%llu\t%llu\t%.6f\t%.8f\t%.3f\t%.3f\n",
                p->codec, p->version, p->quality, p->image,
                (unsigned long long)p->bytes, (unsigned long long)p->pixels,
                p->psnr, p->msssim, p->enc_ms, p->dec_ms) < 0 ||
        fflush(c->f))
        r = -1;
    pthread_mutex_unlock(&c->lock);
    return r;
}

double bench_bpp(const bench_point *p)
{
    return (double)p->bytes * 8.0 / (double)p->pixels;
}

double bench_msssim_db(double msssim)
{
    return msssim < 1 ? -10.0 * log10(1.0 - msssim) : 99.0;
}
