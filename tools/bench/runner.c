/* Job pool, progress line and the measurement of one point. */
#include "tools/bench/runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/bench/metrics.h"

typedef struct pool {
    bench_run *r;
    pthread_mutex_t lock;
    size_t next_job, njobs, jobs_done;
    size_t todo, done;                  /* points to measure, measured */
    double t0;
} pool;

size_t bench_pt_index(const bench_run *r, size_t c, size_t k, size_t i)
{
    return (c * BENCH_MAX_Q + k) * r->nimages + i;
}

static void fmt_time(char *buf, size_t n, double s)
{
    if (s < 60)
        snprintf(buf, n, "%.0fs", s);
    else
        snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
}

/* Caller holds the lock. */
static void progress(pool *p, const char *codec, const char *image, int q)
{
    if (!p->r->tty)
        return;
    double el = (bench_now_ms() - p->t0) / 1e3;
    char e[16], eta[16] = "?";
    fmt_time(e, sizeof(e), el);
    if (p->done > 0)
        fmt_time(eta, sizeof(eta), el / (double)p->done * (double)(p->todo - p->done));
    fprintf(stderr, "\r\033[Kdlic-bench: %zu/%zu points (%zu%%)  %s %s q=%d  %s, ETA %s",
            p->done, p->todo, p->todo ? 100 * p->done / p->todo : 100,
            codec, image, q, e, eta);
    fflush(stderr);
}

/* The source as an 8-bit RGB PNG, for external encoders. */
static int write_src_png(const io_image *img, const char *path, char *err)
{
    uint8_t *buf = NULL;
    size_t size = 0;
    if (io_write_png(img, &buf, &size, err))
        return -1;
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(buf, 1, size, f) == size;
    if (f && fclose(f))
        ok = 0;
    free(buf);
    return ok ? 0 : io_fail(err, "cannot write %s", path);
}

static int measure(const bench_entry *e, bench_job_env *env,
                   const bench_image *im, int q, bench_point *pt, char *err)
{
    bench_result res;
    memset(&res, 0, sizeof(res));
    if (e->codec->run(e->codec, env, &im->img, q, &res, err))
        return -1;
    const io_image *d = &res.decoded;
    int r = -1;
    if (d->width != im->img.width || d->height != im->img.height ||
        d->channels != 3) {
        io_fail(err, "decoded image is %ux%u with %d channels",
                (unsigned)d->width, (unsigned)d->height, d->channels);
        goto done;
    }
    memset(pt, 0, sizeof(*pt));
    snprintf(pt->codec, sizeof(pt->codec), "%s", e->codec->id);
    snprintf(pt->version, sizeof(pt->version), "%s", e->version);
    snprintf(pt->image, sizeof(pt->image), "%s", im->key);
    pt->quality = q;
    pt->bytes = res.bytes;
    pt->pixels = (uint64_t)d->width * d->height;
    pt->psnr = bench_psnr_rgb(im->img.data, im->img.stride, d->data, d->stride,
                              d->width, d->height);
    pt->msssim = bench_msssim_rgb(im->img.data, im->img.stride, d->data,
                                  d->stride, d->width, d->height);
    pt->enc_ms = res.enc_ms;
    pt->dec_ms = res.dec_ms;
    r = 0;
done:
    io_image_free(&res.decoded);
    return r;
}

/* Returns the number of points measured (not taken from the cache). */
static size_t run_job(pool *p, size_t job)
{
    bench_run *r = p->r;
    size_t c = job / r->nimages, i = job % r->nimages;
    const bench_entry *e = &r->codecs[c];
    const bench_image *im = &r->images[i];
    char tmpdir[4096] = "", src[4200] = "", err[IO_ERR_SIZE];
    bench_job_env env = { r->model, r->refine, r->effort, NULL, NULL };
    size_t measured = 0;

    for (size_t k = 0; k < e->nq && !*r->stop; k++) {
        size_t idx = bench_pt_index(r, c, k, i);
        if (bench_cache_get(r->cache, e->codec->id, e->version, e->q[k],
                            im->key, &r->pts[idx])) {
            r->have[idx] = 1;
            continue;
        }
        if (!tmpdir[0]) {
            const char *t = getenv("TMPDIR");
            snprintf(tmpdir, sizeof(tmpdir), "%s/dlic-bench.XXXXXX",
                     t && *t ? t : "/tmp");
            if (!mkdtemp(tmpdir)) {
                snprintf(err, sizeof(err), "cannot create a folder in %s",
                         t && *t ? t : "/tmp");
                tmpdir[0] = 0;
                goto fail_all;
            }
            env.tmpdir = tmpdir;
            if (e->codec->external) {
                snprintf(src, sizeof(src), "%s/src.png", tmpdir);
                if (write_src_png(&im->img, src, err))
                    goto fail_all;
                env.src_png = src;
            }
        }
        bench_point pt;
        int ok = measure(e, &env, im, e->q[k], &pt, err) == 0;
        measured++;
        pthread_mutex_lock(&p->lock);
        p->done++;
        if (ok) {
            r->pts[idx] = pt;
            r->have[idx] = 1;
            r->measured++;
            if (bench_cache_put(r->cache, &pt))
                fprintf(stderr, "%sdlic-bench: warning: cannot write the cache\n",
                        r->tty ? "\r\033[K" : "");
        } else if (!*r->stop) {
            r->failed++;
            fprintf(stderr, "%sdlic-bench: %s q=%d %s: %s\n",
                    r->tty ? "\r\033[K" : "", e->codec->id, e->q[k], im->name, err);
        }
        progress(p, e->codec->id, im->name, e->q[k]);
        pthread_mutex_unlock(&p->lock);
    }
    goto cleanup;
fail_all:
    pthread_mutex_lock(&p->lock);
    r->failed++;
    fprintf(stderr, "%sdlic-bench: %s %s: %s\n", r->tty ? "\r\033[K" : "",
            e->codec->id, im->name, err);
    pthread_mutex_unlock(&p->lock);
cleanup:
    if (src[0])
        unlink(src);
    if (tmpdir[0])
        rmdir(tmpdir);
    return measured;
}

static void *worker(void *arg)
{
    pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        size_t job = p->next_job++;
        pthread_mutex_unlock(&p->lock);
        if (job >= p->njobs || *p->r->stop)
            break;
        size_t measured = run_job(p, job);
        pthread_mutex_lock(&p->lock);
        p->jobs_done++;
        if (!p->r->tty && !*p->r->stop && measured) {
            const bench_run *r = p->r;
            fprintf(stderr, "dlic-bench: [%zu/%zu] %s %s\n", p->jobs_done,
                    p->njobs, r->codecs[job / r->nimages].codec->id,
                    r->images[job % r->nimages].name);
        }
        pthread_mutex_unlock(&p->lock);
    }
    return NULL;
}

int bench_run_all(bench_run *r)
{
    pool p;
    size_t n = r->ncodecs * BENCH_MAX_Q * r->nimages;
    memset(&p, 0, sizeof(p));
    r->pts = calloc(n ? n : 1, sizeof(*r->pts));
    r->have = calloc(n ? n : 1, 1);
    if (!r->pts || !r->have)
        return -1;
    p.r = r;
    p.njobs = r->ncodecs * r->nimages;
    bench_point tmp;
    for (size_t c = 0; c < r->ncodecs; c++)     /* count what is missing */
        for (size_t k = 0; k < r->codecs[c].nq; k++)
            for (size_t i = 0; i < r->nimages; i++) {
                if (bench_cache_get(r->cache, r->codecs[c].codec->id,
                                    r->codecs[c].version, r->codecs[c].q[k],
                                    r->images[i].key, &tmp))
                    r->cached++;
                else
                    p.todo++;
            }
    fprintf(stderr, "dlic-bench: %zu points to measure, %zu cached\n",
            p.todo, r->cached);
    pthread_mutex_init(&p.lock, NULL);
    p.t0 = bench_now_ms();

    int nt = r->jobs < 1 ? 1 : r->jobs;
    pthread_t th[64];
    int started = 0;
    if (nt > 64)
        nt = 64;
    for (int t = 1; t < nt; t++) {
        if (pthread_create(&th[started], NULL, worker, &p))
            break;
        started++;
    }
    worker(&p);                         /* the main thread works too */
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    if (r->tty && p.todo)
        fprintf(stderr, "\r\033[K");
    fprintf(stderr, "dlic-bench: measured %zu points in %.1f s\n",
            r->measured, (bench_now_ms() - p.t0) / 1e3);
    pthread_mutex_destroy(&p.lock);
    return *r->stop ? -1 : 0;
}

void bench_run_free(bench_run *r)
{
    free(r->pts);
    free(r->have);
    r->pts = NULL;
    r->have = NULL;
}
