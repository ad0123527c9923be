/* Striped execution of a transform (SPEC §5), on the plan of plan.c, and
 * the memory it holds (dlic_transform_memory), from the same sizes.
 *
 * Each layer keeps a ring of its input rows. The last layer is asked for
 * its output rows one step at a time; a layer that lacks input rows asks
 * the layer before it for them (pull), down to the caller's get_row. Every
 * output value depends only on the input, so the result is the same for any
 * stripe height and any split of a step's rows, or of its output channels,
 * across threads. */
#include <stdlib.h>

#include "core/common.h"
#include "codec/nn/engine.h"
#include "codec/nn/exec.h"
#include "codec/nn/plan.h"
#include "codec/nn/pool.h"
#include "codec/nn/stream.h"
#include "codec/nn/tensor.h"

/* Below this many MACs per thread a step runs on fewer threads: waking a
 * worker would cost more than it saves. */
#define MIN_MACS_PER_THREAD (1u << 18)

typedef struct lstate {
    const dlic_layer *l;
    const dlic_lplan *p;
    int16_t *ring;              /* input rows, slot r % p->ring */
    size_t ring_bytes;
    size_t avail;               /* input rows [0, avail) have been made */
    size_t next;                /* next V row to compute */
    const void *packed;
} lstate;

struct dlic_nn_stream {
    dlic_nn_exec *x;
    const dlic_nn_dsp *dsp;
    dlic_pool *pool, *own_pool;
    unsigned threads;
    dlic_plan P;
    lstate S[DLIC_MODEL_MAX_LAYERS];
    void *own[DLIC_MODEL_MAX_LAYERS];  /* packed weights not cached */
    int16_t *out;               /* last layer's output rows of one step */
    size_t out_bytes;
    uint8_t *scratch;           /* threads x sstride bytes */
    size_t sstride, scratch_bytes;
    dlic_nn_engine *engine;     /* block cache, or NULL */
    dlic_get_row get_row;
    void *get_opaque;
    dlic_put_rows put_rows;
    void *put_opaque;
    int err;                    /* sticky: a callback failed */
};

typedef struct step {
    const dlic_conv_args *a;
    dlic_conv_fn fn;
    size_t y0, n;
    unsigned parts;
    int by_channel;             /* split the channels, not the rows */
    uint8_t *scratch;
    size_t sstride;
} step;

static void step_job(void *opaque, unsigned i)
{
    const step *s = opaque;
    uint8_t *scratch = s->scratch ? s->scratch + i * s->sstride : NULL;
    if (s->by_channel) {
        dlic_conv_args a = *s->a;
        a.part = i, a.parts = s->parts;
        s->fn(&a, (unsigned)s->y0, (unsigned)(s->y0 + s->n), scratch);
        return;
    }
    const size_t a = s->y0 + s->n * i / s->parts, b = s->y0 + s->n * (i + 1) / s->parts;
    s->fn(s->a, (unsigned)a, (unsigned)b, scratch);
}

static int produce(dlic_nn_stream *R, unsigned i, size_t target);

/* Make input rows [0, need) of layer i available in its ring. */
static int ensure_input(dlic_nn_stream *R, unsigned i, size_t need)
{
    lstate *S = &R->S[i];
    if (S->avail >= need)
        return DLIC_OK;
    if (i == 0) {
        const size_t row = S->p->w * S->p->c;
        for (; S->avail < need; S->avail++)
            DLIC_TRY(R->get_row(R->get_opaque, S->avail,
                                S->ring + (S->avail % S->p->ring) * row));
        return DLIC_OK;
    }
    const unsigned sh = R->S[i - 1].l->shuffle;
    return produce(R, i - 1, (need + sh - 1) / sh);
}

/* Compute V rows of layer i up to target (exclusive). */
static int produce(dlic_nn_stream *R, unsigned i, size_t target)
{
    lstate *S = &R->S[i];
    const dlic_layer *l = S->l;
    const dlic_lplan *p = S->p;
    const unsigned last = i + 1 == R->P.n, pad = (l->k - 1) / 2;
    while (S->next < target) {
        const size_t y0 = S->next;
        const size_t n = target - y0 < p->chunk ? target - y0 : p->chunk;
        size_t need = (y0 + n - 1) * l->stride + pad + 1;
        DLIC_TRY(ensure_input(R, i, need < p->h ? need : p->h));

        dlic_conv_args a = {
            .l = l, .src = S->ring, .h = (unsigned)p->h, .w = (unsigned)p->w,
            .ho = (unsigned)p->ho, .wo = (unsigned)p->wo, .packed = S->packed,
            .src_row0 = 0, .src_rows = (unsigned)p->ring,
        };
        if (last) {
            a.dst = R->out;
            a.dst_row0 = (unsigned)(y0 * l->shuffle);
            a.dst_rows = (unsigned)(p->chunk * l->shuffle);
        } else {
            a.dst = R->S[i + 1].ring;
            a.dst_rows = (unsigned)R->S[i + 1].p->ring;
        }
        const double macs = (double)n * p->wo * l->cout * l->k * l->k * l->cin;
        unsigned parts = R->threads;
        if (macs / MIN_MACS_PER_THREAD < parts)
            parts = (unsigned)(macs / MIN_MACS_PER_THREAD);
        if (parts < 1)
            parts = 1;
        /* A step of fewer rows than threads (the checkerboard decoder pulls
         * c_ctx and c_ep row by row) splits its output channels instead. */
        step st = {
            &a, R->dsp->conv[dlic_conv_kidx(l->k)][l->stride - 1], y0, n, parts,
            parts > n, R->scratch, R->sstride,
        };
        dlic_pool_run(R->pool, parts, step_job, &st);

        S->next = y0 + n;
        if (S->next == p->ho)
            dlic_nn_progress(R->x);
        if (last)
            DLIC_TRY(R->put_rows(R->put_opaque, y0 * l->shuffle, n * l->shuffle, R->out));
        else
            R->S[i + 1].avail = S->next * l->shuffle;
    }
    return DLIC_OK;
}

void dlic_nn_stream_close(dlic_nn_stream **s)
{
    dlic_nn_stream *R = s ? *s : NULL;
    if (!R)
        return;
    dlic_nn_put_block(R->engine, R->scratch, R->scratch_bytes);
    dlic_nn_put_block(R->engine, R->out, R->out_bytes);
    for (unsigned i = 0; i < R->P.n; i++) {
        dlic_nn_put_block(R->engine, R->S[i].ring, R->S[i].ring_bytes);
        free(R->own[i]);
    }
    dlic_pool_close(&R->own_pool);
    free(R);
    *s = NULL;
}

/* The plan of a stream of t on an h x w input run by x, within what the
 * kernels index with unsigned (model shapes keep dims far below). */
static int stream_plan(const dlic_nn_exec *x, const dlic_transform *t, size_t h, size_t w,
                       dlic_plan *P)
{
    DLIC_CHECK(!t->nlayers, DLIC_ERR_INVALID_ARG);
    DLIC_CHECK(h > UINT32_MAX / 4 || w > UINT32_MAX / 4, DLIC_ERR_LIMIT);
    DLIC_TRY(dlic_plan_make(t, h, w, x->stripe, P));
    const dlic_lplan *last = &P->L[t->nlayers - 1];
    DLIC_CHECK(last->oh > UINT32_MAX / 4 || last->ow > UINT32_MAX / 4, DLIC_ERR_LIMIT);
    return DLIC_OK;
}

/* Threads of a step: those of the pool, at most x->threads. */
static unsigned stream_threads(const dlic_nn_exec *x, const dlic_pool *pool)
{
    const unsigned n = dlic_pool_threads(pool), cap = x->threads ? x->threads : 1;
    return n < cap ? n : cap;
}

/* The blocks a stream on plan P takes: a ring per layer, the last layer's
 * output rows of one step and `threads` scratch areas of sstride bytes.
 * They size both the allocations and dlic_transform_memory(). */
typedef struct blocks {
    size_t ring[DLIC_MODEL_MAX_LAYERS];
    size_t out, sstride, scratch;
    size_t total;               /* all of the above */
} blocks;

static int stream_blocks(const dlic_transform *t, const dlic_plan *P,
                         const dlic_nn_dsp *dsp, unsigned threads, blocks *B)
{
    size_t total = 0;
    B->sstride = 0;
    for (unsigned i = 0; i < t->nlayers; i++) {
        const dlic_lplan *L = &P->L[i];
        DLIC_TRY(dlic_tensor_bytes(L->ring, L->w, L->c, &B->ring[i]));
        DLIC_CHECK(dlic_add_size(total, B->ring[i], &total), DLIC_ERR_LIMIT);
        if (dsp->scratch_size) {
            const size_t sz = dsp->scratch_size(&t->layer[i], (unsigned)L->w);
            DLIC_CHECK(sz > SIZE_MAX - 64, DLIC_ERR_LIMIT);
            if ((sz + 63) / 64 * 64 > B->sstride)
                B->sstride = (sz + 63) / 64 * 64;
        }
    }
    const dlic_lplan *last = &P->L[t->nlayers - 1];
    DLIC_TRY(dlic_tensor_bytes(last->chunk * t->layer[t->nlayers - 1].shuffle,
                               last->ow, last->oc, &B->out));
    DLIC_CHECK(dlic_mul_size(B->sstride, threads, &B->scratch) ||
               dlic_add_size(total, B->out, &total) ||
               dlic_add_size(total, B->scratch, &total), DLIC_ERR_LIMIT);
    B->total = total;
    return DLIC_OK;
}

int dlic_transform_memory(const dlic_nn_exec *x, const dlic_transform *t,
                          size_t h, size_t w, size_t *work, size_t *packed)
{
    dlic_plan P;
    blocks B;
    DLIC_TRY(stream_plan(x, t, h, w, &P));
    /* Without an engine a stream starts a pool of (at most) x->threads. */
    const unsigned threads = x->engine ? stream_threads(x, dlic_nn_engine_pool(x->engine))
                                       : x->threads ? x->threads : 1;
    DLIC_TRY(stream_blocks(t, &P, x->dsp, threads, &B));
    DLIC_CHECK(dlic_add_size(B.total, sizeof(dlic_nn_stream), work), DLIC_ERR_LIMIT);
    return dlic_nn_packed_bytes(x->dsp, t, packed);
}

int dlic_transform_step_rows(const dlic_nn_exec *x, const dlic_transform *t,
                             size_t h, size_t w, size_t *rows)
{
    dlic_plan P;
    DLIC_TRY(stream_plan(x, t, h, w, &P));
    const dlic_lplan *last = &P.L[t->nlayers - 1];
    DLIC_CHECK(dlic_mul_size(last->chunk, t->layer[t->nlayers - 1].shuffle, rows),
               DLIC_ERR_LIMIT);
    return DLIC_OK;
}

int dlic_nn_stream_open(dlic_nn_stream **s, dlic_nn_exec *x, const dlic_transform *t,
                        size_t h, size_t w, dlic_get_row get_row, void *get_opaque,
                        dlic_put_rows put_rows, void *put_opaque)
{
    *s = NULL;
    dlic_plan P;
    DLIC_TRY(stream_plan(x, t, h, w, &P));
    dlic_nn_stream *R = calloc(1, sizeof(*R));
    DLIC_CHECK(!R, DLIC_ERR_NOMEM);
    *s = R;     /* from here on, dlic_nn_stream_close() cleans up */
    R->x = x, R->dsp = x->dsp, R->engine = x->engine, R->P = P;
    R->get_row = get_row, R->get_opaque = get_opaque;
    R->put_rows = put_rows, R->put_opaque = put_opaque;

    int r = DLIC_OK;
    if (dlic_nn_engine_pool(x->engine))
        R->pool = dlic_nn_engine_pool(x->engine);
    else if (!x->engine && x->threads > 1 && !(r = dlic_pool_open(&R->own_pool, x->threads)))
        R->pool = R->own_pool;
    R->threads = stream_threads(x, R->pool);

    const void *packed[DLIC_MODEL_MAX_LAYERS];
    blocks B;
    if (!r)
        r = dlic_nn_get_packed(x->engine, R->dsp, t, packed, R->own);
    if (!r)
        r = stream_blocks(t, &R->P, R->dsp, R->threads, &B);
    for (unsigned i = 0; !r && i < t->nlayers; i++) {
        R->S[i] = (lstate){ .l = &t->layer[i], .p = &R->P.L[i], .packed = packed[i],
                            .ring_bytes = B.ring[i] };
        if (!(R->S[i].ring = dlic_nn_get_block(R->engine, B.ring[i])))
            r = DLIC_ERR_NOMEM;
    }
    if (!r && !(R->out = dlic_nn_get_block(R->engine, R->out_bytes = B.out)))
        r = DLIC_ERR_NOMEM;
    if (!r && B.sstride) {
        R->sstride = B.sstride;
        if (!(R->scratch = dlic_nn_get_block(R->engine, R->scratch_bytes = B.scratch)))
            r = DLIC_ERR_NOMEM;
    }
    if (r)
        dlic_nn_stream_close(s);
    return r;
}

/* Output rows [0, rows) of the last layer; whole_steps rounds up to full
 * stripes, so a caller asking row by row still gets them. */
static int pull(dlic_nn_stream *R, size_t rows, int whole_steps)
{
    if (R->err)
        return R->err;
    const dlic_lplan *last = &R->P.L[R->P.n - 1];
    const unsigned sh = R->S[R->P.n - 1].l->shuffle;
    size_t target = rows / sh + (rows % sh != 0);
    if (target > (whole_steps ? last->ho - last->chunk : last->ho))
        target = last->ho;
    else if (whole_steps)
        target = (target + last->chunk - 1) / last->chunk * last->chunk;
    return R->err = produce(R, R->P.n - 1, target);
}

int dlic_nn_stream_pull(dlic_nn_stream *R, size_t rows)
{
    return pull(R, rows, 1);
}

int dlic_nn_stream_pull_exact(dlic_nn_stream *R, size_t rows)
{
    return pull(R, rows, 0);
}

int dlic_transform_stream(dlic_nn_exec *x, const dlic_transform *t, size_t h, size_t w,
                          dlic_get_row get_row, void *get_opaque,
                          dlic_put_rows put_rows, void *put_opaque)
{
    dlic_nn_stream *s;
    DLIC_TRY(dlic_nn_stream_open(&s, x, t, h, w, get_row, get_opaque, put_rows, put_opaque));
    const int r = dlic_nn_stream_pull(s, SIZE_MAX);
    dlic_nn_stream_close(&s);
    return r;
}
