/* The context behind the public API's opaque dlic_context, shared by the
 * decoding side (codec/lib.c) and the encoder's entry point
 * (codec/lib_enc.c), so that a decoder-only build leaves the encoder out. */
#ifndef DLIC_CONTEXT_H
#define DLIC_CONTEXT_H

#include "codec/nn/dsp.h"
#include "codec/nn/engine.h"
#include "codec/nn/exec.h"
#include "dlic/dlic.h"

struct dlic_context {
    dlic_settings s;
    const dlic_model *model;
    dlic_nn_dsp dsp;
    unsigned threads;
    dlic_nn_engine *engine;     /* worker threads, packed weights */
    int failed;                 /* sticky: a fatal error happened (libspng) */
};

static inline dlic_nn_exec dlic_context_exec(const dlic_context *c)
{
    return (dlic_nn_exec){
        .dsp = &c->dsp, .threads = c->threads,
        .progress = c->s.progress, .opaque = c->s.progress_opaque,
        .engine = c->engine,
    };
}

/* Running out of memory part-way is the one failure after which we no
 * longer vouch for the context; bad input and limits leave it usable. */
static inline int dlic_context_note(dlic_context *c, int r)
{
    if (r == DLIC_ERR_NOMEM)
        c->failed = 1;
    return r;
}

#endif
