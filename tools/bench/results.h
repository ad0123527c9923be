/*
 * Measurements of dlic-bench and their cache.
 *
 * The cache is a tab-separated text file in the output folder with one line
 * per measured (codec, codec version, quality, image) point. A run first
 * looks every point up there and measures only what is missing, appending
 * each new point as soon as it is measured (flushed), so an interrupted
 * run resumes where it stopped. The codec version includes the library or
 * tool version and, for DLIC, the model id; the image key is the file name
 * and byte size. Delete the file to measure everything again.
 */
#ifndef DLIC_TOOLS_BENCH_RESULTS_H
#define DLIC_TOOLS_BENCH_RESULTS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BENCH_ID_SIZE 24
#define BENCH_KEY_SIZE 160
#define BENCH_VER_SIZE 96

typedef struct bench_point {
    char codec[BENCH_ID_SIZE];
    char version[BENCH_VER_SIZE];
    int quality;
    char image[BENCH_KEY_SIZE];       /* "name:bytes" */
    uint64_t bytes, pixels;
    double psnr, msssim, enc_ms, dec_ms;
} bench_point;

typedef struct bench_cache {
    FILE *f;                    /* opened for appending */
    bench_point *pts;
    size_t n, cap;
    pthread_mutex_t lock;
} bench_cache;

/* Loads path (a missing file is an empty cache; malformed lines are
 * skipped) and opens it for appending. 0 on success, -1 with errno. */
int bench_cache_open(bench_cache *c, const char *path);
void bench_cache_close(bench_cache *c);

/* 1 and *out when the point is cached, else 0. Thread-safe. */
int bench_cache_get(bench_cache *c, const char *codec, const char *version,
                    int quality, const char *image, bench_point *out);

/* Records a new point in memory and in the file. 0, or -1 on a write
 * error. Thread-safe. */
int bench_cache_put(bench_cache *c, const bench_point *p);

/* Bits per pixel of a point; MS-SSIM in dB, -10 log10(1 - MS-SSIM). */
double bench_bpp(const bench_point *p);
double bench_msssim_db(double msssim);

#endif /* DLIC_TOOLS_BENCH_RESULTS_H */
