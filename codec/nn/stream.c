/* Striped execution of a transform (SPEC §5), on the plan of plan.c.
 *
 * Each layer keeps a ring of its input rows. The last layer is asked for
 * its output rows one step at a time; a layer that lacks input rows asks
 * the layer before it for them (pull), down to the caller's get_row. Every
 * output value depends only on the input, so the result is the same for any
 * stripe height and any split of a step's rows across threads. */
#include <stdlib.h>

#include "codec/common/common.h"
#include "codec/nn/engine.h"
#include "codec/nn/plan.h"
#include "codec/nn/pool.h"
#include "codec/nn/transform.h"

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
    uint8_t *scratch;
    size_t sstride;
} step;

static void step_job(void *opaque, unsigned i)
{
    const step *s = opaque;
    const size_t a = s->y0 + s->n * i / s->parts, b = s->y0 + s->n * (i + 1) / s->parts;
    s->fn(s->a, (unsigned)a, (unsigned)b, s->scratch ? s->scratch + i * s->sstride : NULL);
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
        if (parts > n)
            parts = (unsigned)n;
        if (macs / MIN_MACS_PER_THREAD < parts)
            parts = (unsigned)(macs / MIN_MACS_PER_THREAD);
        if (parts < 1)
            parts = 1;
        step st = {
            &a, R->dsp->conv[dlic_conv_kidx(l->k)][l->stride - 1], y0, n, parts,
            R->scratch, R->sstride,
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

int dlic_nn_stream_open(dlic_nn_stream **s, dlic_nn_exec *x, const dlic_transform *t,
                        size_t h, size_t w, dlic_get_row get_row, void *get_opaque,
                        dlic_put_rows put_rows, void *put_opaque)
{
    *s = NULL;
    DLIC_CHECK(!t->nlayers, DLIC_ERR_INVALID_ARG);
    /* The kernels index with unsigned; model shapes keep dims far below. */
    DLIC_CHECK(h > UINT32_MAX / 4 || w > UINT32_MAX / 4, DLIC_ERR_LIMIT);
    dlic_nn_stream *R = calloc(1, sizeof(*R));
    DLIC_CHECK(!R, DLIC_ERR_NOMEM);
    *s = R;     /* from here on, dlic_nn_stream_close() cleans up */
    R->x = x, R->dsp = x->dsp, R->engine = x->engine;
    R->get_row = get_row, R->get_opaque = get_opaque;
    R->put_rows = put_rows, R->put_opaque = put_opaque;
    int r = dlic_plan_make(t, h, w, x->stripe, &R->P);
    const dlic_lplan *last = &R->P.L[t->nlayers - 1];
    if (!r && (last->oh > UINT32_MAX / 4 || last->ow > UINT32_MAX / 4))
        r = DLIC_ERR_LIMIT;

    if (!r && dlic_nn_engine_pool(x->engine))
        R->pool = dlic_nn_engine_pool(x->engine);
    else if (!r && !x->engine && x->threads > 1 && !(r = dlic_pool_open(&R->own_pool, x->threads)))
        R->pool = R->own_pool;
    R->threads = dlic_pool_threads(R->pool);
    if (R->threads > x->threads)
        R->threads = x->threads ? x->threads : 1;

    const void *packed[DLIC_MODEL_MAX_LAYERS];
    if (!r)
        r = dlic_nn_get_packed(x->engine, R->dsp, t, packed, R->own);
    for (unsigned i = 0; !r && i < t->nlayers; i++) {
        size_t b;
        R->S[i] = (lstate){ .l = &t->layer[i], .p = &R->P.L[i], .packed = packed[i] };
        if ((r = dlic_tensor_bytes(R->P.L[i].ring, R->P.L[i].w, R->P.L[i].c, &b)))
            break;
        R->S[i].ring_bytes = b;
        if (!(R->S[i].ring = dlic_nn_get_block(R->engine, b)))
            r = DLIC_ERR_NOMEM;
        if (!r && R->dsp->scratch_size) {
            const size_t sz = R->dsp->scratch_size(&t->layer[i], (unsigned)R->P.L[i].w);
            if (sz > SIZE_MAX - 64)
                r = DLIC_ERR_LIMIT;
            else if ((sz + 63) / 64 * 64 > R->sstride)
                R->sstride = (sz + 63) / 64 * 64;
        }
    }
    size_t ob, sb;
    if (!r && !(r = dlic_tensor_bytes(last->chunk * t->layer[t->nlayers - 1].shuffle,
                                      last->ow, last->oc, &ob)) &&
        !(R->out = dlic_nn_get_block(R->engine, R->out_bytes = ob)))
        r = DLIC_ERR_NOMEM;
    if (!r && R->sstride) {
        if (dlic_mul_size(R->sstride, R->threads, &sb))
            r = DLIC_ERR_LIMIT;
        else if (!(R->scratch = dlic_nn_get_block(R->engine, R->scratch_bytes = sb)))
            r = DLIC_ERR_NOMEM;
    }
    if (r)
        dlic_nn_stream_close(s);
    return r;
}

int dlic_nn_stream_pull(dlic_nn_stream *R, size_t rows)
{
    if (R->err)
        return R->err;
    const dlic_lplan *last = &R->P.L[R->P.n - 1];
    const unsigned sh = R->S[R->P.n - 1].l->shuffle;
    /* Whole steps: a caller asking row by row still gets full stripes. */
    size_t target = rows / sh + (rows % sh != 0);
    if (target > last->ho - last->chunk)
        target = last->ho;
    else
        target = (target + last->chunk - 1) / last->chunk * last->chunk;
    return R->err = produce(R, R->P.n - 1, target);
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
