/* Layer-by-layer execution of a transform (SPEC §5). Each layer's output
 * rows are split into contiguous ranges, one per worker; every output value
 * depends only on the input, so the result is the same for any split. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec/common/common.h"
#include "codec/nn/transform.h"

/* Below this many MACs a layer runs on the calling thread: spawning would
 * cost more than it saves. */
#define MIN_MACS_PER_THREAD (1u << 18)

int dlic_tensor_bytes(size_t h, size_t w, size_t c, size_t *bytes)
{
    size_t n;
    DLIC_CHECK(dlic_mul_size(h, w, &n) || dlic_mul_size(n, c, &n) ||
               dlic_mul_size(n, sizeof(int16_t), &n), DLIC_ERR_LIMIT);
    *bytes = n;
    return DLIC_OK;
}

/* Shape after layer l on an h x w input (SPEC §5.2). */
static void layer_shape(const dlic_layer *l, size_t h, size_t w,
                        size_t *vh, size_t *vw, size_t *oh, size_t *ow, size_t *oc)
{
    *vh = h / l->stride + (h % l->stride != 0);
    *vw = w / l->stride + (w % l->stride != 0);
    *oh = *vh * l->shuffle;
    *ow = *vw * l->shuffle;
    *oc = (size_t)l->cout / ((size_t)l->shuffle * l->shuffle);
}

int dlic_transform_shape(const dlic_transform *t, size_t h, size_t w,
                         size_t *oh, size_t *ow, size_t *oc, size_t *work)
{
    size_t c = t->nlayers ? t->layer[0].cin : 0, peak = 0, vh, vw, nh, nw, nc;
    for (unsigned i = 0; i < t->nlayers; i++) {
        const dlic_layer *l = &t->layer[i];
        size_t in_b = 0, out_b, sum;
        layer_shape(l, h, w, &vh, &vw, &nh, &nw, &nc);
        DLIC_CHECK(vh > SIZE_MAX / 2 || vw > SIZE_MAX / 2, DLIC_ERR_LIMIT);
        if (i > 0)   /* the transform's own input belongs to the caller */
            DLIC_TRY(dlic_tensor_bytes(h, w, c, &in_b));
        DLIC_TRY(dlic_tensor_bytes(nh, nw, nc, &out_b));
        DLIC_CHECK(dlic_add_size(in_b, out_b, &sum), DLIC_ERR_LIMIT);
        if (i + 1 == t->nlayers)   /* the final output belongs to the caller */
            sum = in_b;
        if (sum > peak)
            peak = sum;
        h = nh, w = nw, c = nc;
    }
    *oh = h, *ow = w, *oc = c, *work = peak;
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

typedef struct job {
    dlic_conv_fn fn;
    const dlic_conv_args *a;
    unsigned y0, y1;
} job;

static void *worker(void *opaque)
{
    const job *j = opaque;
    j->fn(j->a, j->y0, j->y1);
    return NULL;
}

static void run_layer(const dlic_nn_exec *x, const dlic_conv_args *a)
{
    const dlic_layer *l = a->l;
    const dlic_conv_fn fn = x->dsp->conv[dlic_conv_kidx(l->k)][l->stride - 1];
    const double macs = (double)a->ho * a->wo * l->cout * l->k * l->k * l->cin;
    unsigned n = x->threads;
    if (n > a->ho)
        n = a->ho;
    if (macs / MIN_MACS_PER_THREAD < n)
        n = (unsigned)(macs / MIN_MACS_PER_THREAD);
    if (n <= 1) {
        fn(a, 0, a->ho);
        return;
    }

    job jobs[DLIC_MAX_THREADS];
    pthread_t tid[DLIC_MAX_THREADS];
    int started[DLIC_MAX_THREADS];
    for (unsigned i = 0; i < n; i++) {
        jobs[i] = (job){ fn, a, (unsigned)((uint64_t)a->ho * i / n),
                         (unsigned)((uint64_t)a->ho * (i + 1) / n) };
        /* Worker 0 is the calling thread. If a thread cannot be created its
         * rows run here instead: same result, only slower. */
        started[i] = i > 0 && pthread_create(&tid[i], NULL, worker, &jobs[i]) == 0;
    }
    for (unsigned i = 0; i < n; i++)
        if (!started[i])
            worker(&jobs[i]);
    for (unsigned i = 1; i < n; i++)
        if (started[i])
            pthread_join(tid[i], NULL);
}

int dlic_transform_run(dlic_nn_exec *x, const dlic_transform *t,
                       const dlic_tensor *in, dlic_tensor *out)
{
    memset(out, 0, sizeof(*out));
    DLIC_CHECK(!t->nlayers || in->c != t->layer[0].cin, DLIC_ERR_INVALID_ARG);
    /* The kernels index with unsigned; model shapes keep dims far below. */
    DLIC_CHECK(in->h > UINT32_MAX / 2 || in->w > UINT32_MAX / 2, DLIC_ERR_LIMIT);

    dlic_tensor cur = *in;
    for (unsigned i = 0; i < t->nlayers; i++) {
        const dlic_layer *l = &t->layer[i];
        size_t vh, vw, nh, nw, nc, bytes;
        layer_shape(l, cur.h, cur.w, &vh, &vw, &nh, &nw, &nc);
        int r = dlic_tensor_bytes(nh, nw, nc, &bytes);
        int16_t *dst = r ? NULL : malloc(bytes ? bytes : 1);
        if (!dst) {
            if (cur.data != in->data)
                free(cur.data);
            return r ? r : DLIC_ERR_NOMEM;
        }
        const dlic_conv_args a = {
            .l = l, .src = cur.data, .h = (unsigned)cur.h, .w = (unsigned)cur.w,
            .dst = dst, .ho = (unsigned)vh, .wo = (unsigned)vw, .packed = NULL,
        };
        run_layer(x, &a);
        if (cur.data != in->data)
            free(cur.data);
        cur = (dlic_tensor){ dst, nh, nw, nc };
        dlic_nn_progress(x);
    }
    *out = cur;
    return DLIC_OK;
}
