/* A float copy of a transform (SPEC §5.2: each layer's weights and bias
 * times MUL / 2^SH, its clamp kept, no rounding) and the gradient of its
 * output with respect to its input, for the encoder's search (refine.h).
 * Layers must have stride 1 and an odd kernel. Not bit-exact across
 * compilers, and not meant to be: only the encoder's search uses it; for
 * one CPU path and thread count its results are deterministic. */
#ifndef DLIC_ENC_FNET_H
#define DLIC_ENC_FNET_H

#include <stddef.h>

#include "core/model.h"
#include "codec/nn/exec.h"

typedef struct dlic_fnet dlic_fnet;

/* 1 when every layer of t has stride 1 and an odd kernel. */
int dlic_fnet_supported(const dlic_transform *t);

/* Output shape of t on an h x w x cin input (a transform without layers
 * is the identity). */
void dlic_fnet_shape(const dlic_transform *t, size_t h, size_t w, size_t *oh, size_t *ow);

/* Bytes that dlic_fnet_open() allocates for an h x w input;
 * DLIC_ERR_LIMIT on overflow. */
int dlic_fnet_memory(const dlic_transform *t, size_t h, size_t w, size_t *bytes);

/* For an h x w input of cin channels (t's first layer's, or cin when t has
 * none). DLIC_ERR_INVALID_ARG when t is unsupported, else DLIC_ERR_LIMIT
 * or DLIC_ERR_NOMEM. t is copied. */
int dlic_fnet_open(dlic_fnet **f, const dlic_transform *t, unsigned cin, size_t h, size_t w);
void dlic_fnet_close(dlic_fnet **f);

/* The net's current tensor: its input before dlic_fnet_forward(), its
 * output after (oh x ow x cout); the gradient of a loss with respect to
 * the output goes there before dlic_fnet_backward(), which leaves the
 * gradient with respect to the input. */
float *dlic_fnet_data(dlic_fnet *f);

/* Forward and back over x's threads; with count, dlic_nn_progress(x)
 * after each layer. backward needs the masks of the last forward. */
void dlic_fnet_forward(dlic_fnet *f, dlic_nn_exec *x, int count);
void dlic_fnet_backward(dlic_fnet *f, dlic_nn_exec *x, int count);

#endif
