/* How a transform runs: the dsp table, the threads and their engine, the
 * progress counter (exec.c). */
#ifndef DLIC_NN_EXEC_H
#define DLIC_NN_EXEC_H

#include "codec/nn/dsp.h"

#define DLIC_MAX_THREADS 256

typedef struct dlic_nn_engine dlic_nn_engine;    /* engine.h */

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

/* Progress step: one more unit of x->total done. */
void dlic_nn_progress(dlic_nn_exec *x);

/* threads setting (0 = online cores) to a worker count. */
unsigned dlic_nn_threads(int setting);

#endif
