/* Range coder and escape coding (SPEC §7.1, §7.2). */
#include "codec/entropy/rangecoder.h"

#include <stdlib.h>
#include <string.h>

#include "core/common.h"

#define TOP (1u << 24)
#define MAX_ESCAPE_ONES 30              /* SPEC §7.2 */

/* ---------------------------------------------------------------- encoder */

void dlic_rc_enc_init(dlic_rc_enc *e)
{
    memset(e, 0, sizeof(*e));
    e->range = 0xFFFFFFFFu;
    e->pending = 1;
}

static int enc_grow(dlic_rc_enc *e)
{
    size_t cap = e->cap ? e->cap : 4096;
    if (e->cap && dlic_mul_size(e->cap, 2, &cap))
        return 0;
    uint8_t *p = realloc(e->buf, cap);
    if (!p)
        return 0;
    e->buf = p;
    e->cap = cap;
    return 1;
}

static inline void enc_byte(dlic_rc_enc *e, uint8_t b)
{
    if (e->size == e->cap && (e->error || !enc_grow(e))) {
        if (!e->error)                  /* keep coding; output is dropped */
            e->error = DLIC_ERR_NOMEM;
        return;
    }
    e->buf[e->size++] = b;
}

static inline void shift_low(dlic_rc_enc *e)
{
    if (e->low < 0xFF000000u || e->low >= ((uint64_t)1 << 32)) {
        uint8_t carry = (uint8_t)(e->low >> 32);
        enc_byte(e, (uint8_t)(e->cache + carry));
        for (; e->pending > 1; e->pending--)
            enc_byte(e, (uint8_t)(0xFF + carry));
        e->pending = 0;
        e->cache = (uint8_t)(e->low >> 24);
    }
    e->pending++;
    e->low = (e->low & 0x00FFFFFFu) << 8;
}

static inline void enc_normalize(dlic_rc_enc *e)
{
    while (e->range < TOP) {
        e->range <<= 8;
        shift_low(e);
    }
}

void dlic_rc_enc_symbol(dlic_rc_enc *e, uint32_t cum, uint32_t freq)
{
    uint32_t r = e->range >> 16;
    e->low += (uint64_t)r * cum;
    e->range = r * freq;
    enc_normalize(e);
}

void dlic_rc_enc_bypass(dlic_rc_enc *e, int bit)
{
    e->range >>= 1;
    if (bit)
        e->low += e->range;
    enc_normalize(e);
}

void dlic_rc_enc_value(dlic_rc_enc *e, const dlic_table *t, int32_t v)
{
    int64_t lo = t->lo, nv = t->nv;
    if (v >= lo && v < lo + nv) {
        uint32_t j = (uint32_t)(v - lo);
        dlic_rc_enc_symbol(e, t->cdf[j], t->cdf[j + 1] - t->cdf[j]);
        return;
    }
    uint64_t u = v >= lo + nv ? 2 * (uint64_t)(v - (lo + nv))
                              : 2 * (uint64_t)(lo - 1 - v) + 1;
    uint64_t tt = u + 1;
    int L = 63 - __builtin_clzll(tt);
    if (L > MAX_ESCAPE_ONES) {
        /* Not representable (SPEC §7.2); a decoder would reject it. */
        if (!e->error)
            e->error = DLIC_ERR_INVALID_ARG;
        return;
    }
    dlic_rc_enc_symbol(e, t->cdf[nv], t->cdf[nv + 1] - t->cdf[nv]);
    for (int i = 0; i < L; i++)
        dlic_rc_enc_bypass(e, 1);
    dlic_rc_enc_bypass(e, 0);
    for (int i = L - 1; i >= 0; i--)
        dlic_rc_enc_bypass(e, (int)(tt >> i) & 1);
}

int dlic_rc_enc_finish(dlic_rc_enc *e, uint8_t **out, size_t *size)
{
    *out = NULL;
    *size = 0;
    for (int i = 0; i < 5; i++)
        shift_low(e);
    if (e->error) {
        int err = e->error;
        dlic_rc_enc_free(e);
        e->error = err;
        return err;
    }
    *out = e->buf;
    *size = e->size;
    e->buf = NULL;
    e->size = e->cap = 0;
    return DLIC_OK;
}

void dlic_rc_enc_free(dlic_rc_enc *e)
{
    free(e->buf);
    e->buf = NULL;
    e->size = e->cap = 0;
}

/* ---------------------------------------------------------------- decoder */

static inline uint32_t dec_byte(dlic_rc_dec *d)
{
    if (d->p < d->end)
        return *d->p++;
    if (!d->error)
        d->error = DLIC_ERR_TRUNCATED;
    return 0;
}

static inline void dec_normalize(dlic_rc_dec *d)
{
    while (d->range < TOP) {
        d->range <<= 8;
        d->code = (d->code << 8) | dec_byte(d);
    }
}

int dlic_rc_dec_init(dlic_rc_dec *d, const uint8_t *data, size_t size)
{
    d->code = 0;
    d->range = 0xFFFFFFFFu;
    d->error = 0;
    if (size < 5) {             /* (data may be NULL when size is 0) */
        d->p = d->end = data;
        d->error = DLIC_ERR_TRUNCATED;
        return d->error;
    }
    d->end = data + size;
    d->code = (uint32_t)data[1] << 24 | (uint32_t)data[2] << 16 |
              (uint32_t)data[3] << 8 | data[4];
    d->p = data + 5;
    if (data[0] != 0 || d->code == 0xFFFFFFFFu)
        d->error = DLIC_ERR_CORRUPT;
    return d->error;
}

uint32_t dlic_rc_dec_symbol(dlic_rc_dec *d, const dlic_table *t)
{
    uint32_t r = d->range >> 16;
    uint32_t v = d->code / r;
    if (v >= 65536) {
        if (!d->error)
            d->error = DLIC_ERR_CORRUPT;
        return 0;
    }
    /* Largest j with cdf[j] <= v; cdf[0] = 0 and cdf[nv + 1] = 65536. */
    const uint32_t *c = t->cdf;
    uint32_t lo = 0, n = (uint32_t)t->nv + 1;
    while (n > 1) {
        uint32_t half = n >> 1;
        if (c[lo + half] <= v)
            lo += half;
        n -= half;
    }
    d->code -= r * c[lo];
    d->range = r * (c[lo + 1] - c[lo]);
    dec_normalize(d);
    return lo;
}

int dlic_rc_dec_bypass(dlic_rc_dec *d)
{
    int b = 0;
    d->range >>= 1;
    if (d->code >= d->range) {
        d->code -= d->range;
        b = 1;
    }
    dec_normalize(d);
    return b;
}

int32_t dlic_rc_dec_value(dlic_rc_dec *d, const dlic_table *t)
{
    uint32_t s = dlic_rc_dec_symbol(d, t);
    if (s < t->nv)
        return (int32_t)(t->lo + (int32_t)s);
    int L = 0;
    while (dlic_rc_dec_bypass(d)) {
        if (++L > MAX_ESCAPE_ONES) {
            if (!d->error)
                d->error = DLIC_ERR_CORRUPT;
            return 0;
        }
    }
    uint64_t tt = 1;
    for (int i = 0; i < L; i++)
        tt = tt << 1 | (uint64_t)dlic_rc_dec_bypass(d);
    uint64_t u = tt - 1;
    int64_t v = (u & 1) ? (int64_t)t->lo - 1 - (int64_t)(u >> 1)
                        : (int64_t)t->lo + t->nv + (int64_t)(u >> 1);
    if (v < -INT32_MAX || v > INT32_MAX) {
        if (!d->error)
            d->error = DLIC_ERR_CORRUPT;
        return 0;
    }
    return (int32_t)v;
}

int dlic_rc_dec_finish(const dlic_rc_dec *d)
{
    if (d->error)
        return d->error;
    return d->p == d->end ? DLIC_OK : DLIC_ERR_CORRUPT;
}
