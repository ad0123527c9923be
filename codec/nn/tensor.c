/* Tensor sizes and whole-tensor row callbacks; see tensor.h. */
#include <string.h>

#include "core/common.h"
#include "codec/nn/tensor.h"

int dlic_tensor_bytes(size_t h, size_t w, size_t c, size_t *bytes)
{
    size_t n;
    DLIC_CHECK(dlic_mul_size(h, w, &n) || dlic_mul_size(n, c, &n) ||
               dlic_mul_size(n, sizeof(int16_t), &n), DLIC_ERR_LIMIT);
    *bytes = n;
    return DLIC_OK;
}

int dlic_tensor_get_row(void *opaque, size_t y, int16_t *row)
{
    const dlic_tensor *t = opaque;
    memcpy(row, t->data + y * t->w * t->c, t->w * t->c * sizeof(int16_t));
    return DLIC_OK;
}

int dlic_tensor_put_rows(void *opaque, size_t y, size_t n, const int16_t *rows)
{
    dlic_tensor *t = opaque;
    memcpy(t->data + y * t->w * t->c, rows, n * t->w * t->c * sizeof(int16_t));
    return DLIC_OK;
}
