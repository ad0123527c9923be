/* Persistent worker threads of one context: started once, woken for each
 * parallel step, so a layer costs a wake-up rather than a thread spawn. */
#ifndef DLIC_NN_POOL_H
#define DLIC_NN_POOL_H

typedef struct dlic_pool dlic_pool;

/* A pool of `threads` workers, the caller being worker 0. Threads that
 * cannot be created are simply not there (dlic_pool_threads() tells); only
 * DLIC_ERR_NOMEM is returned. */
int dlic_pool_open(dlic_pool **pool, unsigned threads);
void dlic_pool_close(dlic_pool **pool);
unsigned dlic_pool_threads(const dlic_pool *pool);

/* Run fn(opaque, i) for every i in [0, n), n <= dlic_pool_threads(), job i
 * on worker i; returns when all are done. pool may be NULL (then n = 1). */
void dlic_pool_run(dlic_pool *pool, unsigned n, void (*fn)(void *opaque, unsigned i),
                   void *opaque);

#endif
