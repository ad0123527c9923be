/* Runs a transform (SPEC §5: a list of conv layers) over a channels-last
 * int16 tensor, splitting each layer's output rows across threads. */
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

/* How to run layers, shared by every transform of one encode or decode. */
typedef struct dlic_nn_exec {
    const dlic_nn_dsp *dsp;
    unsigned threads;           /* 1..DLIC_MAX_THREADS */
    void (*progress)(void *opaque, int percent);
    void *opaque;
    unsigned done, total;       /* layers finished / planned, for progress */
} dlic_nn_exec;

/* Bytes of h * w * c int16 values in *bytes; DLIC_ERR_LIMIT on overflow. */
int dlic_tensor_bytes(size_t h, size_t w, size_t c, size_t *bytes);

/* Output shape of t on an h x w input, and in *work the most bytes that
 * dlic_transform_run() holds at once besides its input and (after it
 * returns) its output. DLIC_ERR_LIMIT when a size overflows. */
int dlic_transform_shape(const dlic_transform *t, size_t h, size_t w,
                         size_t *oh, size_t *ow, size_t *oc, size_t *work);

/* out = t(in). in->c must equal the first layer's cin. On success out->data
 * is malloc'd; on failure (DLIC_ERR_NOMEM, DLIC_ERR_LIMIT) out is zeroed.
 * Calls x->progress after each layer. */
int dlic_transform_run(dlic_nn_exec *x, const dlic_transform *t,
                       const dlic_tensor *in, dlic_tensor *out);

/* Progress step: one more unit of x->total done. */
void dlic_nn_progress(dlic_nn_exec *x);

/* threads setting (0 = online cores) to a worker count. */
unsigned dlic_nn_threads(int setting);

#endif
