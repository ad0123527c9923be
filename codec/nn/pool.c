/* Worker pool (pool.h): one mutex, a generation counter that wakes the
 * workers and a countdown that wakes the caller. */
#include <pthread.h>
#include <stdlib.h>

#include "core/common.h"
#include "codec/nn/pool.h"

typedef struct worker {
    dlic_pool *pool;
    unsigned id;
    pthread_t tid;
} worker;

struct dlic_pool {
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    unsigned long gen;          /* bumped for every run */
    unsigned n, pending;        /* jobs of this run; workers not yet done */
    int quit;
    void (*fn)(void *opaque, unsigned i);
    void *opaque;
    unsigned nworkers;          /* started threads: ids 1..nworkers */
    worker w[];
};

static void *loop(void *arg)
{
    worker *me = arg;
    dlic_pool *p = me->pool;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->gen == seen && !p->quit)
            pthread_cond_wait(&p->wake, &p->mu);
        if (p->quit)
            break;
        seen = p->gen;
        if (me->id >= p->n)
            continue;
        pthread_mutex_unlock(&p->mu);
        p->fn(p->opaque, me->id);
        pthread_mutex_lock(&p->mu);
        if (--p->pending == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int dlic_pool_open(dlic_pool **pool, unsigned threads)
{
    *pool = NULL;
    if (threads < 1)
        threads = 1;
    dlic_pool *p = calloc(1, sizeof(*p) + (size_t)threads * sizeof(worker));
    DLIC_CHECK(!p, DLIC_ERR_NOMEM);
    if (pthread_mutex_init(&p->mu, NULL)) {
        free(p);
        return DLIC_ERR_NOMEM;
    }
    if (pthread_cond_init(&p->wake, NULL)) {
        pthread_mutex_destroy(&p->mu);
        free(p);
        return DLIC_ERR_NOMEM;
    }
    if (pthread_cond_init(&p->done, NULL)) {
        pthread_cond_destroy(&p->wake);
        pthread_mutex_destroy(&p->mu);
        free(p);
        return DLIC_ERR_NOMEM;
    }
    /* Worker ids must be contiguous: stop at the first failure. */
    for (unsigned i = 1; i < threads; i++) {
        p->w[i] = (worker){ p, i, 0 };
        if (pthread_create(&p->w[i].tid, NULL, loop, &p->w[i]))
            break;
        p->nworkers = i;
    }
    *pool = p;
    return DLIC_OK;
}

void dlic_pool_close(dlic_pool **pool)
{
    dlic_pool *p = pool ? *pool : NULL;
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 1; i <= p->nworkers; i++)
        pthread_join(p->w[i].tid, NULL);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mu);
    free(p);
    *pool = NULL;
}

unsigned dlic_pool_threads(const dlic_pool *pool)
{
    return pool ? pool->nworkers + 1 : 1;
}

void dlic_pool_run(dlic_pool *p, unsigned n, void (*fn)(void *opaque, unsigned i),
                   void *opaque)
{
    if (!p || n <= 1) {
        for (unsigned i = 0; i < n; i++)
            fn(opaque, i);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->opaque = opaque;
    p->n = n;
    p->pending = n - 1;
    p->gen++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    fn(opaque, 0);
    pthread_mutex_lock(&p->mu);
    while (p->pending)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
