/* A float copy of the entropy model for the encoder's search (refine.h):
 * h_s from a soft hyper-latent to the MU and log-scale LS of every latent
 * value (SPEC §6), and with a checkerboard context (§6.1) c_ctx and c_ep
 * from the anchors' latent to the non-anchors' MU and LS; and the
 * gradients back, to the hyper-latent and to the anchors. Built on fnet.h
 * (same precision and determinism). Anchors are the values at (row + col)
 * even; without a context every value is one. */
#ifndef DLIC_ENC_EGRAD_H
#define DLIC_ENC_EGRAD_H

#include <stddef.h>

#include "core/model.h"
#include "codec/nn/exec.h"

typedef struct dlic_egrad dlic_egrad;

/* 1 when h_s, c_ctx and c_ep are made of layers fnet.h can differentiate. */
int dlic_egrad_supported(const struct dlic_model *m);

/* Bytes that dlic_egrad_open() allocates for a zh x zw hyper-latent;
 * DLIC_ERR_LIMIT on overflow. */
int dlic_egrad_memory(const struct dlic_model *m, size_t zh, size_t zw, size_t *bytes);

/* For a zh x zw hyper-latent, whose latent is h x w (h_s's output);
 * DLIC_ERR_INVALID_ARG when unsupported or when h_s's output is not h x w,
 * else DLIC_ERR_LIMIT or DLIC_ERR_NOMEM. */
int dlic_egrad_open(dlic_egrad **e, const struct dlic_model *m, size_t zh, size_t zw,
                    size_t h, size_t w);
void dlic_egrad_close(dlic_egrad **e);

static inline int dlic_egrad_anchor(size_t y, size_t x)
{
    return (y + x) % 2 == 0;
}

/* Where to put the soft hyper-latent (zh x zw x NZ) before
 * dlic_egrad_hyper(). */
float *dlic_egrad_z(dlic_egrad *e);

/* h_s: MU and LS (h x w x M each) of every value; with a context, the
 * non-anchors' are then replaced by dlic_egrad_context(). */
void dlic_egrad_hyper(dlic_egrad *e, dlic_nn_exec *x, float *mu, float *ls);

/* c_ctx on the anchors of yh (h x w x M; the rest is not read) and c_ep:
 * MU and LS of the non-anchors (only with a context). */
void dlic_egrad_context(dlic_egrad *e, dlic_nn_exec *x, const float *yh, float *mu, float *ls);

/* Back through dlic_egrad_context(): from the gradients of the
 * non-anchors' MU and LS (gmu, gls; the anchors' entries are not read),
 * adds the gradient with respect to the anchors of yh to gyh. */
void dlic_egrad_context_back(dlic_egrad *e, dlic_nn_exec *x, const float *gmu,
                             const float *gls, float *gyh);

/* Back through dlic_egrad_hyper(): from the gradients of the anchors' MU
 * and LS (and of h_s's hidden layer from dlic_egrad_context_back()), the
 * gradient with respect to the soft hyper-latent, in dlic_egrad_z(). */
void dlic_egrad_hyper_back(dlic_egrad *e, dlic_nn_exec *x, const float *gmu, const float *gls);

#endif
