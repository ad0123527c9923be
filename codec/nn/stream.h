/* Runs a transform (SPEC §5: a list of conv layers) over a channels-last
 * int16 tensor in horizontal stripes, each layer keeping only a window of
 * its input rows, and splits each step's output rows across threads
 * (stream.c). */
#ifndef DLIC_NN_STREAM_H
#define DLIC_NN_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "codec/nn/exec.h"
#include "codec/nn/tensor.h"

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

#endif
