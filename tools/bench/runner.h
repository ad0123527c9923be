/*
 * The measuring loop of dlic-bench: a small pthread pool whose jobs are
 * (codec, image) pairs; a job sweeps the codec's qualities on its image,
 * taking cached points from the cache and measuring (then caching) the
 * others. DLIC runs with one thread inside each job, so -j N keeps N cores
 * busy whatever the codec.
 */
#ifndef DLIC_TOOLS_BENCH_RUNNER_H
#define DLIC_TOOLS_BENCH_RUNNER_H

#include <signal.h>
#include <stddef.h>

#include "tools/bench/codec.h"
#include "tools/bench/results.h"

#define BENCH_MAX_Q 32                  /* qualities per codec */

typedef struct bench_image {
    const char *path;
    char name[BENCH_KEY_SIZE / 2];      /* file name without folder */
    char key[BENCH_KEY_SIZE];           /* cache key, "name:bytes" */
    io_image img;                       /* 8-bit RGB */
} bench_image;

typedef struct bench_entry {            /* a codec selected for this run */
    const bench_codec *codec;
    char version[BENCH_VERSION_SIZE];
    int q[BENCH_MAX_Q];
    size_t nq;
} bench_entry;

typedef struct bench_run {
    bench_entry *codecs;
    size_t ncodecs;
    bench_image *images;
    size_t nimages;
    const dlic_model *model;
    int refine;                         /* dlic_settings.refine */
    int effort;                         /* dlic_settings.effort */
    bench_cache *cache;
    int jobs;
    int tty;                            /* stderr is a terminal */
    volatile sig_atomic_t *stop;        /* set by a signal: finish early */

    /* Filled by bench_run_all(): point (codec c, quality index k, image i)
       is pts[(c * BENCH_MAX_Q + k) * nimages + i], valid when have[] is set. */
    bench_point *pts;
    unsigned char *have;
    size_t measured, cached, failed;
} bench_run;

/* Runs every point; 0 when done (failed points are reported on stderr and
 * counted), -1 when out of memory or interrupted. */
int bench_run_all(bench_run *r);
void bench_run_free(bench_run *r);

/* Index into pts/have. */
size_t bench_pt_index(const bench_run *r, size_t c, size_t k, size_t i);

#endif /* DLIC_TOOLS_BENCH_RUNNER_H */
