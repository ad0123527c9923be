/* The small parts of transform.h: tensor sizes, thread count, progress,
 * and the whole-tensor form of a stream (stream.c). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec/common/common.h"
#include "codec/nn/transform.h"

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
