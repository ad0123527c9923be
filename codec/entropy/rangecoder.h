/* Range coder with 16-bit frequency tables and escape coding (SPEC §7). */
#ifndef DLIC_ENTROPY_RANGECODER_H
#define DLIC_ENTROPY_RANGECODER_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

typedef struct dlic_rc_enc {
    uint64_t low;
    uint32_t range;
    uint8_t cache;
    uint64_t pending;
    uint8_t *buf;            /* growable output */
    size_t size, cap;
    int error;               /* sticky: DLIC_ERR_NOMEM */
} dlic_rc_enc;

void dlic_rc_enc_init(dlic_rc_enc *e);
void dlic_rc_enc_symbol(dlic_rc_enc *e, uint32_t cum, uint32_t freq);
void dlic_rc_enc_bypass(dlic_rc_enc *e, int bit);
/* SPEC §7.2: value with table and escape. */
void dlic_rc_enc_value(dlic_rc_enc *e, const dlic_table *t, int32_t v);
/* Flush; on success *out, *size take the buffer (free()). Returns dlic_error. */
int dlic_rc_enc_finish(dlic_rc_enc *e, uint8_t **out, size_t *size);
void dlic_rc_enc_free(dlic_rc_enc *e);

typedef struct dlic_rc_dec {
    uint32_t code, range;
    const uint8_t *p, *end;
    int error;               /* sticky: DLIC_ERR_TRUNCATED / DLIC_ERR_CORRUPT */
} dlic_rc_dec;

int dlic_rc_dec_init(dlic_rc_dec *d, const uint8_t *data, size_t size);
/* Symbol index with table t (0 on error; check d->error once per unit). */
uint32_t dlic_rc_dec_symbol(dlic_rc_dec *d, const dlic_table *t);
int dlic_rc_dec_bypass(dlic_rc_dec *d);
int32_t dlic_rc_dec_value(dlic_rc_dec *d, const dlic_table *t);
/* SPEC §4.5: DLIC_OK iff no error and every byte consumed. */
int dlic_rc_dec_finish(const dlic_rc_dec *d);

#endif
