/* The whole-tensor form of a stream; see transform.h. */
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "codec/nn/plan.h"
#include "codec/nn/stream.h"
#include "codec/nn/transform.h"

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
    int r = dlic_transform_stream(x, t, in->h, in->w, dlic_tensor_get_row, (void *)in,
                                  dlic_tensor_put_rows, &o);
    if (r) {
        free(o.data);
        return r;
    }
    *out = o;
    return DLIC_OK;
}
