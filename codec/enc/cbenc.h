/* The latent of a model with a checkerboard context (SPEC §6.1, §7.4),
 * encoder side. The encoder holds Y whole anyway, so the tensors at the
 * latent's resolution (H, P, YA, C, H ++ C, Q) are computed whole. */
#ifndef DLIC_ENC_CBENC_H
#define DLIC_ENC_CBENC_H

#include <stddef.h>

#include "core/model.h"
#include "codec/entropy/rangecoder.h"
#include "codec/nn/exec.h"
#include "codec/nn/tensor.h"

/* Code the latent Y (Hp/16 x Wp/16 x M) of the hyper-latent Z at quality q
 * into e, in the order of SPEC §7.4, rounding it with kappa (rdoq.h). m
 * must have a context. Returns DLIC_ERR_NOMEM or DLIC_ERR_LIMIT from the
 * transforms (e keeps its own sticky error). */
int dlic_cbenc_code_y(dlic_nn_exec *x, const struct dlic_model *m, unsigned q,
                      uint32_t kappa, const dlic_tensor *Y, const dlic_tensor *Z, dlic_rc_enc *e);

/* MU and Gaussian table index of every value of Y (Y's layout) as
 * dlic_cbenc_code_y() would code them, the anchors rounded with kappa; for
 * refine.h. Errors as dlic_cbenc_code_y(). */
int dlic_cbenc_params(dlic_nn_exec *x, const struct dlic_model *m, unsigned q,
                      uint32_t kappa, const dlic_tensor *Y, const dlic_tensor *Z, int16_t *mu,
                      uint8_t *idx);

/* Peak bytes of dlic_cbenc_code_y() on a zh x zw Z, Y and Z not counted:
 * the whole tensors it holds at once, the largest stream and the packed
 * weights. DLIC_ERR_LIMIT on overflow. */
int dlic_cbenc_memory(const dlic_nn_exec *x, const struct dlic_model *m,
                      size_t zh, size_t zw, size_t *bytes);

#endif
