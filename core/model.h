/* The model object (SPEC §8): the parsed, checked, immutable form of a
 * model file that format/model.h's loader fills and the codec reads, and
 * the queries on it that the decoder and the encoder share. */
#ifndef DLIC_CORE_MODEL_H
#define DLIC_CORE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define DLIC_MODEL_MAX_LAYERS 16
#define DLIC_NQ 101
#define DLIC_MODEL_MAX_TRANSFORMS 7     /* g_a, h_a, h_s, g_s, c_ctx, c_ep,
                                           g_s lite (SPEC §8.7) */

#define DLIC_MODEL_FLAG_TEST 1u
#define DLIC_MODEL_FLAG_CONTEXT 2u      /* checkerboard context (SPEC §6.1) */

typedef struct dlic_layer {
    uint16_t cin, cout;
    uint8_t k, stride, shuffle;
    int16_t lo, hi;          /* output clamp range (SPEC §5.2) */
    int16_t ilo, ihi;        /* input range, filled in by the loader */
    const int8_t *w;         /* [cout][k][k][cin], into the file bytes: model->blob,
                                or the caller's data when parsed with copy = 0 */
    int32_t *bias;           /* [cout] (host order) */
    uint32_t *mul;           /* [cout] */
    uint8_t *shift;          /* [cout] */
} dlic_layer;

typedef struct dlic_transform_s {  /* tag differs: enum dlic_transform */
    unsigned nlayers;
    dlic_layer layer[DLIC_MODEL_MAX_LAYERS];
} dlic_transform;

typedef struct dlic_table {  /* SPEC §8.4, with cumulative sums */
    int16_t lo;
    uint16_t nv;             /* values; symbol nv is the escape */
    const uint16_t *freq;    /* [nv + 1] */
    uint32_t *cdf;           /* [nv + 2]: cdf[0] = 0, cdf[nv+1] = 65536 */
} dlic_table;

struct dlic_model {
    uint64_t id;             /* XXH64 of the file up to its check (SPEC §8.1) */
    uint64_t lite_id;        /* XXH64 of the g_s lite extension (SPEC §8.7),
                                0 without one */
    uint16_t version, flags;
    char name[256];
    uint16_t M, NZ, YMAX;
    dlic_transform t[DLIC_MODEL_MAX_TRANSFORMS];  /* enum dlic_transform
                                order; c_ctx and c_ep only with a context,
                                g_s lite only in a file with its extension
                                (no layers otherwise) */
    dlic_table *zt;          /* [NZ] */
    uint16_t NS;
    uint8_t KS;
    dlic_table *gt;          /* [NS] */
    uint32_t *gq, *igq;      /* [DLIC_NQ][M] */
    int32_t *lq;             /* [DLIC_NQ][M] */
    uint8_t *blob;           /* owned copy of the file (NULL if static) */
    size_t blob_size;
    void *alloc;             /* one allocation holding the arrays above */
    int is_static;
};

/* Transforms of the model file's main part: 4, or 6 with a checkerboard
 * context. g_s lite (index DLIC_G_S_LITE) is not counted. */
static inline unsigned dlic_model_ntransforms(const struct dlic_model *m)
{
    return m->flags & DLIC_MODEL_FLAG_CONTEXT ? 6 : 4;
}

/* Whether the file carries g_s lite (SPEC §8.7). */
static inline int dlic_model_has_lite(const struct dlic_model *m)
{
    return m->t[DLIC_MODEL_MAX_TRANSFORMS - 1].nlayers > 0;
}

static inline int dlic_model_has_context(const struct dlic_model *m)
{
    return (m->flags & DLIC_MODEL_FLAG_CONTEXT) != 0;
}

/* SPEC §7.4: R, the sum of (k - 1) / 2 over the layers of c_ctx and c_ep
 * (0 without a context). */
size_t dlic_model_context_lag(const struct dlic_model *m);

/* h_s as its hidden layers (body: their output is H of SPEC §6.1) and its
 * last layer (last: P from H). The layers are copies that share the
 * model's weights. h_s must have at least 2 layers (a context model). */
void dlic_model_split_hs(const struct dlic_model *m, dlic_transform *body,
                         dlic_transform *last);

#endif
