/* A transform on a whole tensor (transform.c), through stream.h. */
#ifndef DLIC_NN_TRANSFORM_H
#define DLIC_NN_TRANSFORM_H

#include "core/model.h"
#include "codec/nn/exec.h"
#include "codec/nn/tensor.h"

/* out = t(in), through dlic_transform_stream(). in->c must equal the first
 * layer's cin. On success out->data is malloc'd; on failure
 * (DLIC_ERR_NOMEM, DLIC_ERR_LIMIT) out is zeroed. Calls x->progress after
 * each layer. */
int dlic_transform_run(dlic_nn_exec *x, const dlic_transform *t,
                       const dlic_tensor *in, dlic_tensor *out);

#endif
