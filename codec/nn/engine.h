/* What a stream borrows from its context's engine (transform.h): the worker
 * pool, 64-byte aligned blocks kept from earlier streams, and the packed
 * weights of the model's transforms. Every function takes a NULL engine:
 * then blocks are plain allocations and packed weights are the caller's. */
#ifndef DLIC_NN_ENGINE_H
#define DLIC_NN_ENGINE_H

#include <stddef.h>

#include "core/model.h"
#include "codec/nn/dsp.h"
#include "codec/nn/exec.h"
#include "codec/nn/pool.h"

/* What a context keeps between runs: its worker threads and the weights
 * of its model packed for the kernels (on first use of each transform). */
/* dsp and model must outlive the engine. DLIC_ERR_NOMEM on failure. */
int dlic_nn_engine_open(dlic_nn_engine **e, const dlic_nn_dsp *dsp,
                        const struct dlic_model *model, unsigned threads);
void dlic_nn_engine_close(dlic_nn_engine **e);

/* The engine's worker pool; NULL for none (or no engine). */
dlic_pool *dlic_nn_engine_pool(const dlic_nn_engine *e);

/* A 64-byte aligned block of at least n bytes, or NULL; give it back with
 * dlic_nn_put_block(e, p, n). */
void *dlic_nn_get_block(dlic_nn_engine *e, size_t n);
void dlic_nn_put_block(dlic_nn_engine *e, void *p, size_t n);

/* Packed weights of every layer of t in packed[] (all NULL when dsp does
 * not pack): the engine's cached copy of each layer of its model (known
 * by its weights, so a transform of some of a model transform's layers
 * shares the cache), else
 * fresh copies also listed in own[], which the caller frees (own[i] is
 * NULL otherwise). DLIC_ERR_NOMEM or DLIC_ERR_LIMIT on failure, with own[]
 * holding what was made so far. */
int dlic_nn_get_packed(dlic_nn_engine *e, const dlic_nn_dsp *dsp,
                       const dlic_transform *t, const void **packed, void **own);

/* Bytes of all of t's packed weights for dsp in *bytes (0 when dsp does
 * not pack); DLIC_ERR_LIMIT on overflow. */
int dlic_nn_packed_bytes(const dlic_nn_dsp *dsp, const dlic_transform *t, size_t *bytes);

#endif
