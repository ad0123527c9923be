/* Channels-last int16 tensors, their sizes, and the row callbacks through
 * which transforms read and write them (tensor.c). */
#ifndef DLIC_NN_TENSOR_H
#define DLIC_NN_TENSOR_H

#include <stddef.h>
#include <stdint.h>

typedef struct dlic_tensor {
    int16_t *data;              /* h x w x c, malloc'd */
    size_t h, w, c;
} dlic_tensor;

/* Bytes of h * w * c int16 values in *bytes; DLIC_ERR_LIMIT on overflow. */
int dlic_tensor_bytes(size_t h, size_t w, size_t c, size_t *bytes);

/* Row callbacks: get_row writes input row y (w x c values) into row;
 * put_rows takes n output rows from row y on. A nonzero return stops the
 * run that called them, which returns that value. */
typedef int (*dlic_get_row)(void *opaque, size_t y, int16_t *row);
typedef int (*dlic_put_rows)(void *opaque, size_t y, size_t n, const int16_t *rows);

/* The callbacks over a whole tensor (opaque: the dlic_tensor): rows copied
 * out of it, and into it. */
int dlic_tensor_get_row(void *opaque, size_t y, int16_t *row);
int dlic_tensor_put_rows(void *opaque, size_t y, size_t n, const int16_t *rows);

#endif
