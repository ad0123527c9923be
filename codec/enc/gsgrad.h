/* A float copy of g_s for refine.h: SPEC §5.2 with each layer's weights
 * and bias times MUL / 2^SH and its clamp kept (no rounding), run on a
 * float latent; it gives the squared error of its output against a
 * picture and the gradient of that error with respect to the latent.
 * Not bit-exact across compilers, and not meant to be: only the encoder's
 * search uses it. */
#ifndef DLIC_ENC_GSGRAD_H
#define DLIC_ENC_GSGRAD_H

#include <stddef.h>

#include "core/model.h"
#include "codec/nn/exec.h"
#include "dlic/dlic.h"

typedef struct dlic_gsgrad dlic_gsgrad;

/* 1 when every layer of g_s has stride 1 and an odd kernel. */
int dlic_gsgrad_supported(const struct dlic_model *m);

/* Bytes that dlic_gsgrad_open() allocates for an h x w latent;
 * DLIC_ERR_LIMIT on overflow. */
int dlic_gsgrad_memory(const struct dlic_model *m, size_t h, size_t w, size_t *bytes);

/* For an h x w latent; DLIC_ERR_INVALID_ARG when unsupported, else
 * DLIC_ERR_LIMIT or DLIC_ERR_NOMEM. */
int dlic_gsgrad_open(dlic_gsgrad **g, const struct dlic_model *m, size_t h, size_t w);
void dlic_gsgrad_close(dlic_gsgrad **g);

/* Where to put the latent (h x w x M floats) before each run. */
float *dlic_gsgrad_input(dlic_gsgrad *g);

/* Runs g_s on the input and returns the sum of squared errors of its
 * output against pic, over pic's pixels (gray: each channel against the
 * gray value); the output's padding beyond pic is free. With grad (h x w x
 * M), also the gradient of scale * SSE with respect to the input. Calls
 * dlic_nn_progress(x) after each layer, forward and back. The input is
 * overwritten. */
double dlic_gsgrad_run(dlic_gsgrad *g, dlic_nn_exec *x, const dlic_picture *pic, double scale,
                       float *grad);

#endif
