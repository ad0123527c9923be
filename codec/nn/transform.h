/* Runs a transform (SPEC §5: a list of conv layers) over a channels-last
 * int16 tensor in horizontal stripes, each layer keeping only a window of
 * its input rows, and splits each step's output rows across threads. */
#ifndef DLIC_NN_TRANSFORM_H
#define DLIC_NN_TRANSFORM_H

#include <stddef.h>
#include <stdint.h>

#include "codec/nn/dsp.h"
#include "format/model.h"

#define DLIC_MAX_THREADS 256

typedef struct dlic_tensor {
    int16_t *data;              /* h x w x c, malloc'd */
    size_t h, w, c;
} dlic_tensor;

/* What a context keeps between runs: its worker threads and the weights
 * of its model packed for the kernels (on first use of each transform). */
typedef struct dlic_nn_engine dlic_nn_engine;

/* dsp and model must outlive the engine. DLIC_ERR_NOMEM on failure. */
int dlic_nn_engine_open(dlic_nn_engine **e, const dlic_nn_dsp *dsp,
                        const struct dlic_model *model, unsigned threads);
void dlic_nn_engine_close(dlic_nn_engine **e);

/* How to run layers, shared by every transform of one encode or decode. */
typedef struct dlic_nn_exec {
    const dlic_nn_dsp *dsp;
    unsigned threads;           /* 1..DLIC_MAX_THREADS */
    void (*progress)(void *opaque, int percent);
    void *opaque;
    unsigned done, total;       /* layers finished / planned, for progress */
    dlic_nn_engine *engine;     /* NULL: threads and packing per run */
    unsigned stripe;            /* rows of the coarsest tensor per step;
                                   0: automatic (bounded memory) */
} dlic_nn_exec;

/* Bytes of h * w * c int16 values in *bytes; DLIC_ERR_LIMIT on overflow. */
int dlic_tensor_bytes(size_t h, size_t w, size_t c, size_t *bytes);

/* Output shape of t on an h x w input, and in *work the bytes of the row
 * windows that dlic_transform_stream() holds with automatic stripes (the
 * kernels' per-thread scratch and packed weights come on top: see
 * dlic_transform_memory()). DLIC_ERR_LIMIT when a size overflows. */
int dlic_transform_shape(const dlic_transform *t, size_t h, size_t w,
                         size_t *oh, size_t *ow, size_t *oc, size_t *work);

/* Memory of a stream of t on an h x w input run by x, from the sizes that
 * dlic_nn_stream_open() allocates: in *work the row windows, the output
 * rows of a step, the kernels' per-thread scratch for x's threads and the
 * stream's own state; in *packed the weights packed for x->dsp, which
 * x->engine keeps after the run when t is one of its model's (else the
 * stream frees them). Worker threads are not counted. DLIC_ERR_INVALID_ARG
 * for a transform without layers, DLIC_ERR_LIMIT when a size overflows or
 * exceeds what the kernels index. */
int dlic_transform_memory(const dlic_nn_exec *x, const dlic_transform *t,
                          size_t h, size_t w, size_t *work, size_t *packed);

/* Output rows that one step of a stream of t on an h x w input run by x
 * makes (what dlic_nn_stream_pull() may compute beyond the rows asked
 * for). DLIC_ERR_INVALID_ARG or DLIC_ERR_LIMIT as dlic_transform_memory(). */
int dlic_transform_step_rows(const dlic_nn_exec *x, const dlic_transform *t,
                             size_t h, size_t w, size_t *rows);

/* Streaming form: input rows are asked for in order, 0 to h - 1, each
 * written by get_row into a w x cin buffer; output rows are handed to
 * put_rows in order, n rows of ow x oc at a time. Memory grows with the
 * width, not the area. A callback returning nonzero stops the run, which
 * returns that value; else DLIC_ERR_NOMEM or DLIC_ERR_LIMIT. */
typedef int (*dlic_get_row)(void *opaque, size_t y, int16_t *row);
typedef int (*dlic_put_rows)(void *opaque, size_t y, size_t n, const int16_t *rows);
int dlic_transform_stream(dlic_nn_exec *x, const dlic_transform *t, size_t h, size_t w,
                          dlic_get_row get_row, void *get_opaque,
                          dlic_put_rows put_rows, void *put_opaque);

/* The same as an object, so that two transforms can run interleaved (the
 * decoder pulls h_s rows from within g_s's get_row): open, then pull until
 * at least `rows` output rows have been put (any number of times, rows
 * growing), then close. pull returns what the run above would. */
typedef struct dlic_nn_stream dlic_nn_stream;
int dlic_nn_stream_open(dlic_nn_stream **s, dlic_nn_exec *x, const dlic_transform *t,
                        size_t h, size_t w, dlic_get_row get_row, void *get_opaque,
                        dlic_put_rows put_rows, void *put_opaque);
int dlic_nn_stream_pull(dlic_nn_stream *s, size_t rows);
/* The same without rounding up to whole steps: every layer computes only
 * the rows that `rows` output rows need, so get_row is asked for no input
 * row beyond their reach. For a consumer whose input rows depend on the
 * output (the checkerboard context of SPEC §6.1: c_ep's rows decide which
 * anchors can be decoded next). */
int dlic_nn_stream_pull_exact(dlic_nn_stream *s, size_t rows);
void dlic_nn_stream_close(dlic_nn_stream **s);

/* out = t(in), through dlic_transform_stream(). in->c must equal the first
 * layer's cin. On success out->data is malloc'd; on failure
 * (DLIC_ERR_NOMEM, DLIC_ERR_LIMIT) out is zeroed. Calls x->progress after
 * each layer. */
int dlic_transform_run(dlic_nn_exec *x, const dlic_transform *t,
                       const dlic_tensor *in, dlic_tensor *out);

/* Progress step: one more unit of x->total done. */
void dlic_nn_progress(dlic_nn_exec *x);

/* threads setting (0 = online cores) to a worker count. */
unsigned dlic_nn_threads(int setting);

#endif
