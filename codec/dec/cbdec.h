/* The latent of a model with a checkerboard context (SPEC §6.1, §7.4),
 * decoded row by row for g_s like the plain path of decode.c: h_s is run
 * as its hidden layers (H) and its last layer (P), c_ctx reads the decoded
 * anchors and c_ep reads H next to c_ctx's output; every tensor but Z is
 * held as a window of rows, so memory grows with the width only. */
#ifndef DLIC_DEC_CBDEC_H
#define DLIC_DEC_CBDEC_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "codec/nn/exec.h"
#include "codec/nn/stream.h"
#include "codec/nn/tensor.h"

typedef struct dlic_cbdec dlic_cbdec;

/* A decoder of YLAT (ylat, size bytes, borrowed) for the latent of Z
 * (borrowed, Hp/64 x Wp/64 x NZ) at quality q, run by x. m must have a
 * context. DLIC_ERR_NOMEM, DLIC_ERR_LIMIT, or the range decoder's error
 * on a bad first 5 bytes; on failure *s is NULL. */
int dlic_cbdec_open(dlic_cbdec **s, dlic_nn_exec *x, const struct dlic_model *m,
                    const dlic_tensor *Z, unsigned q, const uint8_t *ylat, size_t size);

/* dlic_get_row for g_s: YH row y, rows asked for in order 0 .. Hp/16 - 1.
 * Returns the range decoder's DLIC_ERR_CORRUPT or DLIC_ERR_TRUNCATED on a
 * bad stream (checked once per coded row, and for exact consumption after
 * the last), or a stream's error. */
int dlic_cbdec_get_yh(void *s, size_t y, int16_t *row);

void dlic_cbdec_close(dlic_cbdec **s);

/* Bytes the decoder holds for a Z of zh x zw, besides Z and g_s: the
 * streams (dlic_transform_memory(), their packed weights included) and
 * the row windows of H, P, YH, the context and Q. DLIC_ERR_LIMIT on
 * overflow. */
int dlic_cbdec_memory(const dlic_nn_exec *x, const struct dlic_model *m,
                      size_t zh, size_t zw, size_t *bytes);

#endif
