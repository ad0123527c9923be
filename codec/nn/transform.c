/* Striped execution of a transform (SPEC §5).
 *
 * Each layer keeps a ring of its input rows. The last layer is asked for
 * its output rows one step at a time; a layer that lacks input rows asks
 * the layer before it for them (pull), down to the caller's get_row. Every
 * output value depends only on the input, so the result is the same for any
 * stripe height and any split of a step's rows across threads.
 *
 * Step sizes follow one number, `stripe`: the rows of the coarsest tensor
 * (lowest resolution among the input, the V of every layer and the output)
 * per step; a layer at 2^j times that resolution computes stripe << j rows.
 * Then the rows a layer asks for match what its producer computes per step,
 * and a ring of step * stride + k + 2 rows always holds the window: the
 * rows still needed span at most (n - 1) * s + k, plus one row that a pixel
 * shuffle may produce ahead. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec/common/common.h"
#include "codec/nn/pool.h"
#include "codec/nn/transform.h"

/* Below this many MACs per thread a step runs on fewer threads: waking a
 * worker would cost more than it saves. */
#define MIN_MACS_PER_THREAD (1u << 18)
/* Automatic stripes: the largest power of two whose row windows fit. */
#define STRIPE_BUDGET ((size_t)16 << 20)

/* Row windows, output and scratch buffers of finished streams, kept for
 * the next run of the context: fresh large blocks cost page faults every
 * time (about a tenth of a Kodak decode). */
#define CACHE_SLOTS 48

struct dlic_nn_engine {
    const dlic_nn_dsp *dsp;
    const struct dlic_model *model;
    dlic_pool *pool;
    void *packed[4][DLIC_MODEL_MAX_LAYERS];
    void *cache[CACHE_SLOTS];
    size_t cache_size[CACHE_SLOTS];
};

int dlic_tensor_bytes(size_t h, size_t w, size_t c, size_t *bytes)
{
    size_t n;
    DLIC_CHECK(dlic_mul_size(h, w, &n) || dlic_mul_size(n, c, &n) ||
               dlic_mul_size(n, sizeof(int16_t), &n), DLIC_ERR_LIMIT);
    *bytes = n;
    return DLIC_OK;
}

unsigned dlic_nn_threads(int setting)
{
    if (setting > 0)
        return setting > DLIC_MAX_THREADS ? DLIC_MAX_THREADS : (unsigned)setting;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > DLIC_MAX_THREADS ? DLIC_MAX_THREADS : (unsigned)n;
}

void dlic_nn_progress(dlic_nn_exec *x)
{
    x->done++;
    if (x->progress && x->total)
        x->progress(x->opaque, (int)((uint64_t)x->done * 100 / x->total));
}

/* ------------------------------------------------------------------ plan */

typedef struct lplan {
    size_t h, w, c;             /* input */
    size_t ho, wo;              /* V */
    size_t oh, ow, oc;          /* output (after the shuffle) */
    size_t chunk;               /* V rows per step */
    size_t ring;                /* input rows kept */
} lplan;

typedef struct plan {
    unsigned n;
    lplan L[DLIC_MODEL_MAX_LAYERS];
    size_t coarse_h;            /* rows of the coarsest tensor */
    size_t bytes;               /* rings + output buffer */
} plan;

static int log2u(unsigned v) { return v == 2; }   /* strides, shuffles: 1, 2 */

static int make_plan(const dlic_transform *t, size_t h, size_t w, size_t stripe,
                     plan *P)
{
    int lev = 0, coarse = 0, vlev[DLIC_MODEL_MAX_LAYERS];
    size_t ch = h;
    P->n = t->nlayers;
    for (unsigned i = 0; i < t->nlayers; i++) {
        const dlic_layer *l = &t->layer[i];
        lplan *L = &P->L[i];
        L->h = h, L->w = w, L->c = l->cin;
        L->ho = h / l->stride + (h % l->stride != 0);
        L->wo = w / l->stride + (w % l->stride != 0);
        DLIC_CHECK(L->ho > SIZE_MAX / 2 || L->wo > SIZE_MAX / 2, DLIC_ERR_LIMIT);
        L->oh = L->ho * l->shuffle, L->ow = L->wo * l->shuffle;
        L->oc = (size_t)l->cout / ((size_t)l->shuffle * l->shuffle);
        vlev[i] = lev -= log2u(l->stride);
        if (lev < coarse)
            coarse = lev, ch = L->ho;
        lev += log2u(l->shuffle);
        h = L->oh, w = L->ow;
    }
    P->coarse_h = ch ? ch : 1;
    if (!stripe || stripe > P->coarse_h)
        stripe = P->coarse_h;
    size_t total = 0, b;
    for (unsigned i = 0; i < t->nlayers; i++) {
        const dlic_layer *l = &t->layer[i];
        lplan *L = &P->L[i];
        const int sh = vlev[i] - coarse;      /* 0..16 */
        L->chunk = stripe > (L->ho >> sh) ? L->ho : stripe << sh;
        if (!L->chunk)
            L->chunk = 1;
        L->ring = L->chunk * l->stride + l->k + 2;
        if (L->ring > L->h)
            L->ring = L->h ? L->h : 1;
        DLIC_TRY(dlic_tensor_bytes(L->ring, L->w, L->c, &b));
        DLIC_CHECK(dlic_add_size(total, b, &total), DLIC_ERR_LIMIT);
    }
    if (t->nlayers) {
        const lplan *L = &P->L[t->nlayers - 1];
        DLIC_TRY(dlic_tensor_bytes(L->chunk * t->layer[t->nlayers - 1].shuffle,
                                   L->ow, L->oc, &b));
        DLIC_CHECK(dlic_add_size(total, b, &total), DLIC_ERR_LIMIT);
    }
    P->bytes = total;
    return DLIC_OK;
}

/* Stripe 0 (automatic): the largest power of two within STRIPE_BUDGET,
 * unless the DLIC_STRIPE environment variable sets one (for tests: every
 * stripe height gives the same bytes). */
static int auto_plan(const dlic_transform *t, size_t h, size_t w, size_t stripe,
                     plan *P)
{
    const char *env = stripe ? NULL : getenv("DLIC_STRIPE");
    if (env && atol(env) > 0)
        stripe = (size_t)atol(env);
    DLIC_TRY(make_plan(t, h, w, stripe ? stripe : 1, P));
    if (stripe)
        return DLIC_OK;
    plan next;
    for (size_t s = 2; s / 2 < P->coarse_h; s *= 2) {
        if (make_plan(t, h, w, s, &next) || next.bytes > STRIPE_BUDGET)
            break;
        *P = next;
    }
    return DLIC_OK;
}

int dlic_transform_shape(const dlic_transform *t, size_t h, size_t w,
                         size_t *oh, size_t *ow, size_t *oc, size_t *work)
{
    plan P;
    DLIC_TRY(auto_plan(t, h, w, 0, &P));
    if (t->nlayers) {
        const lplan *L = &P.L[t->nlayers - 1];
        *oh = L->oh, *ow = L->ow, *oc = L->oc;
    } else {
        *oh = h, *ow = w, *oc = 0;
    }
    *work = P.bytes;
    return DLIC_OK;
}

/* ---------------------------------------------------------------- engine */

static void *alloc64(size_t n)
{
    void *p = NULL;
    return posix_memalign(&p, 64, n ? n : 64) ? NULL : p;
}

/* A 64-byte aligned block of at least n bytes, from e's cache if one fits
 * (the smallest that does). */
static void *get_block(dlic_nn_engine *e, size_t n)
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

/* Give a block of n bytes back to e's cache (or free it). */
static void put_block(dlic_nn_engine *e, void *p, size_t n)
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
    for (unsigned i = 0; i < 4; i++)
        for (unsigned j = 0; j < DLIC_MODEL_MAX_LAYERS; j++)
            free((*e)->packed[i][j]);
    for (unsigned i = 0; i < CACHE_SLOTS; i++)
        free((*e)->cache[i]);
    free(*e);
    *e = NULL;
}

/* Packed weights of every layer of t in packed[]: the engine's cached copy
 * when t belongs to its model, else fresh copies in own[] (freed by the
 * caller). */
static int get_packed(dlic_nn_engine *e, const dlic_nn_dsp *dsp, const dlic_transform *t,
                      const void **packed, void **own)
{
    void **cache = NULL;
    if (e && e->model)
        for (unsigned i = 0; i < 4; i++)
            if (t == &e->model->t[i])
                cache = e->packed[i];
    for (unsigned i = 0; i < t->nlayers; i++) {
        own[i] = NULL;
        packed[i] = NULL;
        if (!dsp->pack)
            continue;
        if (cache && cache[i]) {
            packed[i] = cache[i];
            continue;
        }
        const size_t n = dsp->packed_size(&t->layer[i]);
        void *p = n ? alloc64(n) : NULL;
        DLIC_CHECK(!p, n ? DLIC_ERR_NOMEM : DLIC_ERR_LIMIT);
        dsp->pack(&t->layer[i], p);
        if (cache)
            cache[i] = p;
        else
            own[i] = p;
        packed[i] = p;
    }
    return DLIC_OK;
}

/* ------------------------------------------------------------------- run */

typedef struct lstate {
    const dlic_layer *l;
    const lplan *p;
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
    plan P;
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
    const lplan *p = S->p;
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
    put_block(R->engine, R->scratch, R->scratch_bytes);
    put_block(R->engine, R->out, R->out_bytes);
    for (unsigned i = 0; i < R->P.n; i++) {
        put_block(R->engine, R->S[i].ring, R->S[i].ring_bytes);
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
    int r = auto_plan(t, h, w, x->stripe, &R->P);
    const lplan *last = &R->P.L[t->nlayers - 1];
    if (!r && (last->oh > UINT32_MAX / 4 || last->ow > UINT32_MAX / 4))
        r = DLIC_ERR_LIMIT;

    if (!r && x->engine && x->engine->pool)
        R->pool = x->engine->pool;
    else if (!r && !x->engine && x->threads > 1 && !(r = dlic_pool_open(&R->own_pool, x->threads)))
        R->pool = R->own_pool;
    R->threads = dlic_pool_threads(R->pool);
    if (R->threads > x->threads)
        R->threads = x->threads ? x->threads : 1;

    const void *packed[DLIC_MODEL_MAX_LAYERS];
    if (!r)
        r = get_packed(x->engine, R->dsp, t, packed, R->own);
    for (unsigned i = 0; !r && i < t->nlayers; i++) {
        size_t b;
        R->S[i] = (lstate){ .l = &t->layer[i], .p = &R->P.L[i], .packed = packed[i] };
        if ((r = dlic_tensor_bytes(R->P.L[i].ring, R->P.L[i].w, R->P.L[i].c, &b)))
            break;
        R->S[i].ring_bytes = b;
        if (!(R->S[i].ring = get_block(R->engine, b)))
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
        !(R->out = get_block(R->engine, R->out_bytes = ob)))
        r = DLIC_ERR_NOMEM;
    if (!r && R->sstride) {
        if (dlic_mul_size(R->sstride, R->threads, &sb))
            r = DLIC_ERR_LIMIT;
        else if (!(R->scratch = get_block(R->engine, R->scratch_bytes = sb)))
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
    const lplan *last = &R->P.L[R->P.n - 1];
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

/* ------------------------------------------------- whole-tensor wrapper */

static int tensor_get_row(void *opaque, size_t y, int16_t *row)
{
    const dlic_tensor *t = opaque;
    memcpy(row, t->data + y * t->w * t->c, t->w * t->c * sizeof(int16_t));
    return DLIC_OK;
}

static int tensor_put_rows(void *opaque, size_t y, size_t n, const int16_t *rows)
{
    dlic_tensor *t = opaque;
    memcpy(t->data + y * t->w * t->c, rows, n * t->w * t->c * sizeof(int16_t));
    return DLIC_OK;
}

int dlic_transform_run(dlic_nn_exec *x, const dlic_transform *t,
                       const dlic_tensor *in, dlic_tensor *out)
{
    memset(out, 0, sizeof(*out));
    DLIC_CHECK(!t->nlayers || in->c != t->layer[0].cin, DLIC_ERR_INVALID_ARG);
    size_t oh, ow, oc, work, bytes;
    DLIC_TRY(dlic_transform_shape(t, in->h, in->w, &oh, &ow, &oc, &work));
    DLIC_TRY(dlic_tensor_bytes(oh, ow, oc, &bytes));
    dlic_tensor o = { malloc(bytes ? bytes : 1), oh, ow, oc };
    DLIC_CHECK(!o.data, DLIC_ERR_NOMEM);
    int r = dlic_transform_stream(x, t, in->h, in->w, tensor_get_row, (void *)in,
                                  tensor_put_rows, &o);
    if (r) {
        free(o.data);
        return r;
    }
    *out = o;
    return DLIC_OK;
}
