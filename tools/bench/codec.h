/*
 * The interface of the codecs dlic-bench compares (codecs.h lists them).
 * Each one turns an RGB image and a quality
 * setting into a compressed size and a decoded RGB image, with the time
 * spent encoding and decoding. In-process codecs (DLIC, libjpeg-turbo,
 * libwebp) time the library calls; external ones (bpgenc, heif-enc, avifenc,
 * cjxl) run as subprocesses through temporary files and time the process,
 * start-up and PNG I/O included.
 */
#ifndef DLIC_TOOLS_BENCH_CODEC_H
#define DLIC_TOOLS_BENCH_CODEC_H

#include <stddef.h>

#include "dlic/dlic.h"
#include "tools/imageio/imageio.h"

#define BENCH_VERSION_SIZE 96

typedef struct bench_job_env {
    const dlic_model *model;    /* DLIC model (NULL: embedded) */
    int refine;                 /* DLIC latent refinement iterations */
    int effort;                 /* DLIC encoder effort 1..9 */
    const char *tmpdir;         /* private to this job, exists */
    const char *src_png;        /* the source written as 8-bit RGB PNG, for
                                   external encoders (NULL if not needed) */
} bench_job_env;

typedef struct bench_result {
    size_t bytes;               /* compressed file size */
    io_image decoded;           /* 8-bit RGB, same size as the source */
    double enc_ms, dec_ms;
} bench_result;

typedef struct bench_codec bench_codec;

struct bench_codec {
    const char *id;             /* name on the command line and in files */
    const char *label;          /* name in tables and plots */
    const char *qualities;      /* default sweep, "q1,q2,..." */
    int external;               /* needs env->src_png */
    /* 0 when usable; fills version (part of the cache key). */
    int (*probe)(const bench_codec *c, const dlic_model *model,
                 char version[BENCH_VERSION_SIZE]);
    /* 0 on success; on failure -1 with a reason in err[IO_ERR_SIZE]. */
    int (*run)(const bench_codec *c, const bench_job_env *env,
               const io_image *src, int quality, bench_result *res,
               char *err);
};

/* Per-codec implementations (codec_*.c). */
int bench_dlic_probe(const bench_codec *c, const dlic_model *model,
                     char version[BENCH_VERSION_SIZE]);
int bench_dlic_run(const bench_codec *c, const bench_job_env *env,
                   const io_image *src, int quality, bench_result *res,
                   char *err);
int bench_jpeg_probe(const bench_codec *c, const dlic_model *model,
                     char version[BENCH_VERSION_SIZE]);
int bench_jpeg_run(const bench_codec *c, const bench_job_env *env,
                   const io_image *src, int quality, bench_result *res,
                   char *err);
int bench_webp_probe(const bench_codec *c, const dlic_model *model,
                     char version[BENCH_VERSION_SIZE]);
int bench_webp_run(const bench_codec *c, const bench_job_env *env,
                   const io_image *src, int quality, bench_result *res,
                   char *err);
int bench_ext_probe(const bench_codec *c, const dlic_model *model,
                    char version[BENCH_VERSION_SIZE]);
int bench_ext_run(const bench_codec *c, const bench_job_env *env,
                  const io_image *src, int quality, bench_result *res,
                  char *err);

/* 1 when an executable named name is found on PATH (codec_ext.c). */
int bench_on_path(const char *name);

/* Milliseconds on a monotonic clock (codec.c). */
double bench_now_ms(void);

#endif /* DLIC_TOOLS_BENCH_CODEC_H */
