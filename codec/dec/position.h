/* SPEC §7.4 and the decoder side of §6 for the M values of one latent
 * position: each symbol decoded with the table its LS selects, then YH
 * from it and MU. Shared by both coding orders (decode.c, cbdec.c). */
#ifndef DLIC_DEC_POSITION_H
#define DLIC_DEC_POSITION_H

#include <stdint.h>

#include "codec/common/latent.h"
#include "codec/entropy/rangecoder.h"
#include "core/model.h"

/* p: MU then LS (2M values); lq and igq: LQ[q] and IGQ[q]; yh: M values.
 * A decoding error stays in d->error (sticky). */
static inline void dlic_decode_position(const struct dlic_model *m, dlic_rc_dec *d,
                                        const int16_t *p, const int32_t *lq,
                                        const uint32_t *igq, int16_t *yh)
{
    const unsigned M = m->M;
    for (unsigned c = 0; c < M; c++) {
        const dlic_table *t = &m->gt[dlic_latent_table(m, p[M + c], lq[c])];
        yh[c] = dlic_latent_dequantize(p[c], dlic_rc_dec_value(d, t), igq[c], m->YMAX);
    }
}

#endif
