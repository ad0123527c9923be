/* Checkerboard latent encoder (SPEC §6.1, §7.4); see cbenc.h.
 * S of the anchors comes from P; their YH (zero elsewhere) is YA, which
 * c_ctx turns into C; c_ep turns H ++ C into Q, which gives S of the other
 * positions. Then every S is coded in the order of SPEC §7.4. */
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "codec/common/latent.h"
#include "codec/enc/cbenc.h"
#include "codec/enc/rdoq.h"
#include "codec/nn/plan.h"
#include "codec/nn/stream.h"
#include "codec/nn/transform.h"

/* S and the Gaussian table of the positions x0, x0 + 2, ... of row y, from
 * their MU, LS in prm (Y->w x 2M), S rounded by rdoq.h with kappa; with ya,
 * also their YH into ya; with mu, their MU into mu. */
static void quantize_half_row(const struct dlic_model *m, unsigned q, uint32_t kappa,
                              const dlic_tensor *Y, size_t y, size_t x0, const int16_t *prm,
                              int32_t *S, uint8_t *idx, int16_t *ya, int16_t *mu)
{
    const unsigned M = m->M;
    const uint32_t *gq = m->gq + (size_t)q * M, *igq = m->igq + (size_t)q * M;
    const int32_t *lq = m->lq + (size_t)q * M;
    for (size_t x = x0; x < Y->w; x += 2) {
        const size_t at = (y * Y->w + x) * M;
        const int16_t *p = prm + x * 2 * M, *yv = Y->data + at;
        for (unsigned c = 0; c < M; c++) {
            idx[at + c] = (uint8_t)dlic_latent_table(m, p[M + c], lq[c]);
            S[at + c] = dlic_rdoq_quantize(&m->gt[idx[at + c]], kappa, yv[c], p[c], gq[c]);
            if (ya)
                ya[at + c] = dlic_latent_dequantize(p[c], S[at + c], igq[c], m->YMAX);
            if (mu)
                mu[at + c] = p[c];
        }
    }
}

/* H ++ C per position (SPEC §6.1). */
static int concat(const dlic_tensor *H, const dlic_tensor *C, dlic_tensor *out)
{
    size_t bytes;
    *out = (dlic_tensor){ NULL, H->h, H->w, H->c + C->c };
    DLIC_TRY(dlic_tensor_bytes(out->h, out->w, out->c, &bytes));
    DLIC_CHECK(!(out->data = malloc(bytes ? bytes : 1)), DLIC_ERR_NOMEM);
    for (size_t i = 0; i < H->h * H->w; i++) {
        memcpy(out->data + i * out->c, H->data + i * H->c, H->c * sizeof(int16_t));
        memcpy(out->data + i * out->c + H->c, C->data + i * C->c, C->c * sizeof(int16_t));
    }
    return DLIC_OK;
}

/* SPEC §7.4 */
static void emit(const struct dlic_model *m, const dlic_tensor *Y, const int32_t *S,
                 const uint8_t *idx, dlic_rc_enc *e)
{
    const size_t lag = dlic_model_context_lag(m), M = m->M;
    for (size_t t = 0; t < Y->h + lag; t++) {
        for (int half = 0; half < 2; half++) {
            if (half ? t < lag : t >= Y->h)
                continue;
            const size_t y = half ? t - lag : t;
            for (size_t x = (y + half) % 2; x < Y->w; x += 2) {
                const size_t at = (y * Y->w + x) * M;
                for (size_t c = 0; c < M; c++)
                    dlic_rc_enc_value(e, &m->gt[idx[at + c]], S[at + c]);
            }
        }
    }
}

/* S, table index and (with mu) MU of every value of Y, then (with e) the
 * coded latent. */
static int code(dlic_nn_exec *x, const struct dlic_model *m, unsigned q, uint32_t kappa,
                const dlic_tensor *Y, const dlic_tensor *Z, dlic_rc_enc *e, int16_t *mu,
                uint8_t *idx_out)
{
    dlic_transform body, last;
    dlic_tensor H = { 0 }, P = { 0 }, YA = { NULL, Y->h, Y->w, Y->c }, C = { 0 },
                HC = { 0 }, Q = { 0 };
    size_t n, bytes;
    int32_t *S = NULL;
    uint8_t *idx = idx_out;
    dlic_model_split_hs(m, &body, &last);
    int r = dlic_tensor_bytes(Y->h, Y->w, Y->c, &bytes);
    /* NS <= 256: a table index fits a byte. */
    if (!r && (dlic_mul_size(Y->h * Y->w, Y->c, &n) || dlic_mul_size(n, sizeof(*S), &n)))
        r = DLIC_ERR_LIMIT;
    if (!r && (!(YA.data = calloc(1, bytes ? bytes : 1)) || !(S = malloc(n ? n : 1)) ||
               (!idx && !(idx = malloc(n / sizeof(*S) ? n / sizeof(*S) : 1)))))
        r = DLIC_ERR_NOMEM;
    if (!r && !(r = dlic_transform_run(x, &body, Z, &H)) &&
        !(r = dlic_transform_run(x, &last, &H, &P))) {
        for (size_t y = 0; y < Y->h; y++)
            quantize_half_row(m, q, kappa, Y, y, y % 2, P.data + y * Y->w * 2 * m->M, S,
                              idx, YA.data, mu);
        free(P.data);
        P.data = NULL;
        r = dlic_transform_run(x, &m->t[DLIC_C_CTX], &YA, &C);
    }
    if (!r && !(r = concat(&H, &C, &HC)) &&
        !(r = dlic_transform_run(x, &m->t[DLIC_C_EP], &HC, &Q))) {
        for (size_t y = 0; y < Y->h; y++)
            quantize_half_row(m, q, kappa, Y, y, (y + 1) % 2,
                              Q.data + y * Y->w * 2 * m->M, S, idx, NULL, mu);
        if (e)
            emit(m, Y, S, idx, e);
    }
    free(H.data);
    free(P.data);
    free(YA.data);
    free(C.data);
    free(HC.data);
    free(Q.data);
    free(S);
    if (idx != idx_out)
        free(idx);
    return r;
}

int dlic_cbenc_code_y(dlic_nn_exec *x, const struct dlic_model *m, unsigned q,
                      uint32_t kappa, const dlic_tensor *Y, const dlic_tensor *Z, dlic_rc_enc *e)
{
    return code(x, m, q, kappa, Y, Z, e, NULL, NULL);
}

int dlic_cbenc_params(dlic_nn_exec *x, const struct dlic_model *m, unsigned q,
                      uint32_t kappa, const dlic_tensor *Y, const dlic_tensor *Z, int16_t *mu,
                      uint8_t *idx)
{
    return code(x, m, q, kappa, Y, Z, NULL, mu, idx);
}

int dlic_cbenc_memory(const dlic_nn_exec *x, const struct dlic_model *m,
                      size_t zh, size_t zw, size_t *bytes)
{
    dlic_transform body, last;
    dlic_model_split_hs(m, &body, &last);
    const size_t yh = zh * 4, yw = zw * 4, M = m->M;   /* SPEC §3.2 */
    const dlic_transform *ts[4] = { &body, &last, &m->t[DLIC_C_CTX], &m->t[DLIC_C_EP] };
    const size_t th[4] = { zh, yh, yh, yh }, tw[4] = { zw, yw, yw, yw };
    size_t oh, ow, hc, cc, work, packed, most = 0, total = 0, t;
    for (unsigned i = 0; i < 4; i++) {
        DLIC_TRY(dlic_transform_memory(x, ts[i], th[i], tw[i], &work, &packed));
        if (work > most)
            most = work;
        DLIC_CHECK(dlic_add_size(total, packed, &total), DLIC_ERR_LIMIT);
    }
    DLIC_TRY(dlic_transform_shape(&body, zh, zw, &oh, &ow, &hc, &work));
    DLIC_TRY(dlic_transform_shape(&m->t[DLIC_C_CTX], yh, yw, &oh, &ow, &cc, &work));
    /* Live at once at worst: H, YA, C, H ++ C, Q, S (4 bytes a value) and
     * the table indices (1 byte), with the largest stream. */
    const size_t chans[5] = { hc, M, cc, hc + cc, 2 * M };
    for (unsigned i = 0; i < 5; i++) {
        DLIC_TRY(dlic_tensor_bytes(yh, yw, chans[i], &t));
        DLIC_CHECK(dlic_add_size(total, t, &total), DLIC_ERR_LIMIT);
    }
    DLIC_TRY(dlic_tensor_bytes(yh, yw, M, &t));
    DLIC_CHECK(dlic_mul_size(t, 5, &t) || dlic_add_size(total, t / 2, &total) ||
               dlic_add_size(total, most, &total), DLIC_ERR_LIMIT);
    *bytes = total;
    return DLIC_OK;
}
