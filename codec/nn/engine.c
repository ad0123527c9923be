/* The engine of a context: worker pool, block cache and packed weights,
 * kept between runs (transform.h, engine.h). */
#include <stdlib.h>

#include "core/common.h"
#include "codec/nn/engine.h"

/* Row windows, output and scratch buffers of finished streams, kept for
 * the next run of the context: fresh large blocks cost page faults every
 * time (about a tenth of a Kodak decode). */
#define CACHE_SLOTS 48

struct dlic_nn_engine {
    const dlic_nn_dsp *dsp;
    const struct dlic_model *model;
    dlic_pool *pool;
    void *packed[DLIC_MODEL_MAX_TRANSFORMS][DLIC_MODEL_MAX_LAYERS];
    void *cache[CACHE_SLOTS];
    size_t cache_size[CACHE_SLOTS];
};

static void *alloc64(size_t n)
{
    void *p = NULL;
    return posix_memalign(&p, 64, n ? n : 64) ? NULL : p;
}

/* The smallest cached block that fits, else a fresh one. */
void *dlic_nn_get_block(dlic_nn_engine *e, size_t n)
{
    int best = -1;
    for (int i = 0; e && i < CACHE_SLOTS; i++)
        if (e->cache[i] && e->cache_size[i] >= n &&
            (best < 0 || e->cache_size[i] < e->cache_size[best]))
            best = i;
    if (best < 0)
        return alloc64(n);
    void *p = e->cache[best];
    e->cache[best] = NULL;
    return p;
}

/* Into a free cache slot, else freed. */
void dlic_nn_put_block(dlic_nn_engine *e, void *p, size_t n)
{
    if (!p)
        return;
    for (int i = 0; e && i < CACHE_SLOTS; i++)
        if (!e->cache[i]) {
            e->cache[i] = p;
            e->cache_size[i] = n;
            return;
        }
    free(p);
}

dlic_pool *dlic_nn_engine_pool(const dlic_nn_engine *e)
{
    return e ? e->pool : NULL;
}

int dlic_nn_engine_open(dlic_nn_engine **e, const dlic_nn_dsp *dsp,
                        const struct dlic_model *model, unsigned threads)
{
    *e = NULL;
    dlic_nn_engine *n = calloc(1, sizeof(*n));
    DLIC_CHECK(!n, DLIC_ERR_NOMEM);
    n->dsp = dsp;
    n->model = model;
    if (threads > 1 && dlic_pool_open(&n->pool, threads)) {
        free(n);
        return DLIC_ERR_NOMEM;
    }
    *e = n;
    return DLIC_OK;
}

void dlic_nn_engine_close(dlic_nn_engine **e)
{
    if (!e || !*e)
        return;
    dlic_pool_close(&(*e)->pool);
    for (unsigned i = 0; i < DLIC_MODEL_MAX_TRANSFORMS; i++)
        for (unsigned j = 0; j < DLIC_MODEL_MAX_LAYERS; j++)
            free((*e)->packed[i][j]);
    for (unsigned i = 0; i < CACHE_SLOTS; i++)
        free((*e)->cache[i]);
    free(*e);
    *e = NULL;
}

/* Bytes of l packed for dsp (0 when dsp does not pack), for both the
 * packing and the memory estimate. */
static int packed_size(const dlic_nn_dsp *dsp, const dlic_layer *l, size_t *n)
{
    *n = dsp->pack ? dsp->packed_size(l) : 0;
    DLIC_CHECK(dsp->pack && !*n, DLIC_ERR_LIMIT);
    return DLIC_OK;
}

int dlic_nn_packed_bytes(const dlic_nn_dsp *dsp, const dlic_transform *t, size_t *bytes)
{
    size_t total = 0, n;
    for (unsigned i = 0; i < t->nlayers; i++) {
        DLIC_TRY(packed_size(dsp, &t->layer[i], &n));
        DLIC_CHECK(dlic_add_size(total, n, &total), DLIC_ERR_LIMIT);
    }
    *bytes = total;
    return DLIC_OK;
}

/* The engine's cache slot of layer l when l is one of its model's layers,
 * else NULL. A layer is known by its weights, which lie at one place in
 * the model file, so a transform made of some of a model transform's
 * layers (the decoder splits h_s for SPEC §6.1) shares their slots. */
static void **cache_slot(dlic_nn_engine *e, const dlic_layer *l)
{
    if (!e || !e->model)
        return NULL;
    for (unsigned t = 0; t < DLIC_MODEL_MAX_TRANSFORMS; t++)
        for (unsigned i = 0; i < e->model->t[t].nlayers; i++)
            if (e->model->t[t].layer[i].w == l->w)
                return &e->packed[t][i];
    return NULL;
}

int dlic_nn_get_packed(dlic_nn_engine *e, const dlic_nn_dsp *dsp,
                       const dlic_transform *t, const void **packed, void **own)
{
    for (unsigned i = 0; i < t->nlayers; i++) {
        own[i] = NULL;
        packed[i] = NULL;
    }
    for (unsigned i = 0; i < t->nlayers && dsp->pack; i++) {
        void **slot = cache_slot(e, &t->layer[i]);
        if (slot && *slot) {
            packed[i] = *slot;
            continue;
        }
        size_t n;
        DLIC_TRY(packed_size(dsp, &t->layer[i], &n));
        void *p = alloc64(n);
        DLIC_CHECK(!p, DLIC_ERR_NOMEM);
        dsp->pack(&t->layer[i], p);
        if (slot)
            *slot = p;
        else
            own[i] = p;
        packed[i] = p;
    }
    return DLIC_OK;
}
