/* Float copy of the entropy model and its gradients; see egrad.h. */
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "codec/enc/egrad.h"
#include "codec/enc/fnet.h"

struct dlic_egrad {
    const struct dlic_model *m;
    int context;
    size_t zh, zw, h, w;
    unsigned nz, nh, nc, M;     /* channels of Z, H (h_s's hidden), C (c_ctx's) */
    dlic_fnet *body, *last, *ctx, *ep;
    float *H;                   /* h x w x nh: h_s's hidden layer */
    float *gH;                  /* its gradient from c_ep */
};

int dlic_egrad_supported(const struct dlic_model *m)
{
    if (!m->t[DLIC_H_S].nlayers || !dlic_fnet_supported(&m->t[DLIC_H_S]))
        return 0;
    if (dlic_model_has_context(m))
        return m->t[DLIC_C_CTX].nlayers && m->t[DLIC_C_EP].nlayers &&
               dlic_fnet_supported(&m->t[DLIC_C_CTX]) && dlic_fnet_supported(&m->t[DLIC_C_EP]);
    return 1;
}

static unsigned out_channels(const dlic_transform *t, unsigned cin)
{
    if (!t->nlayers)
        return cin;
    const dlic_layer *L = &t->layer[t->nlayers - 1];
    return L->cout / (L->shuffle * L->shuffle);
}

int dlic_egrad_memory(const struct dlic_model *m, size_t zh, size_t zw, size_t *bytes)
{
    dlic_transform body, last;
    dlic_model_split_hs(m, &body, &last);   /* h_s's hidden layers, its last */
    size_t h, w, b, n;
    dlic_fnet_shape(&body, zh, zw, &h, &w);
    const unsigned nh = out_channels(&body, m->NZ);
    *bytes = sizeof(dlic_egrad);
    DLIC_TRY(dlic_fnet_memory(&body, zh, zw, &b));
    DLIC_CHECK(dlic_add_size(*bytes, b, bytes), DLIC_ERR_LIMIT);
    DLIC_TRY(dlic_fnet_memory(&last, h, w, &b));
    DLIC_CHECK(dlic_add_size(*bytes, b, bytes), DLIC_ERR_LIMIT);
    /* H and its gradient */
    DLIC_CHECK(dlic_mul_size(h, w, &n) || dlic_mul_size(n, (size_t)2 * nh * sizeof(float), &n) ||
               dlic_add_size(*bytes, n, bytes), DLIC_ERR_LIMIT);
    if (dlic_model_has_context(m)) {
        DLIC_TRY(dlic_fnet_memory(&m->t[DLIC_C_CTX], h, w, &b));
        DLIC_CHECK(dlic_add_size(*bytes, b, bytes), DLIC_ERR_LIMIT);
        DLIC_TRY(dlic_fnet_memory(&m->t[DLIC_C_EP], h, w, &b));
        DLIC_CHECK(dlic_add_size(*bytes, b, bytes), DLIC_ERR_LIMIT);
    }
    return DLIC_OK;
}

int dlic_egrad_open(dlic_egrad **out, const struct dlic_model *m, size_t zh, size_t zw,
                    size_t h, size_t w)
{
    *out = NULL;
    DLIC_CHECK(!dlic_egrad_supported(m), DLIC_ERR_INVALID_ARG);
    dlic_transform body, last;
    dlic_model_split_hs(m, &body, &last);   /* h_s's hidden layers, its last */
    size_t hh, hw, n;
    dlic_fnet_shape(&body, zh, zw, &hh, &hw);
    DLIC_CHECK(hh != h || hw != w || last.layer[0].shuffle != 1, DLIC_ERR_INVALID_ARG);
    dlic_egrad *e = calloc(1, sizeof(*e));
    DLIC_CHECK(!e, DLIC_ERR_NOMEM);
    *e = (dlic_egrad){ .m = m, .context = dlic_model_has_context(m), .zh = zh, .zw = zw,
                       .h = h, .w = w, .nz = m->NZ, .nh = out_channels(&body, m->NZ),
                       .M = m->M };
    int r = DLIC_ERR_INVALID_ARG;
    if (last.layer[0].cin != e->nh || last.layer[0].cout != 2 * e->M)
        goto fail;
    if (e->context) {
        const dlic_transform *ct = &m->t[DLIC_C_CTX], *ep = &m->t[DLIC_C_EP];
        e->nc = out_channels(ct, e->M);
        if (ct->layer[0].cin != e->M || ep->layer[0].cin != e->nh + e->nc ||
            out_channels(ep, 0) != 2 * e->M)
            goto fail;
    }
    if ((r = dlic_mul_size(h, w, &n) || dlic_mul_size(n, (size_t)e->nh * sizeof(float), &n)
             ? DLIC_ERR_LIMIT : DLIC_OK))
        goto fail;
    r = DLIC_ERR_NOMEM;
    e->H = malloc(n);
    e->gH = malloc(n);
    if (!e->H || !e->gH)
        goto fail;
    if ((r = dlic_fnet_open(&e->body, &body, e->nz, zh, zw)) ||
        (r = dlic_fnet_open(&e->last, &last, e->nh, h, w)))
        goto fail;
    if (e->context &&
        ((r = dlic_fnet_open(&e->ctx, &m->t[DLIC_C_CTX], e->M, h, w)) ||
         (r = dlic_fnet_open(&e->ep, &m->t[DLIC_C_EP], e->nh + e->nc, h, w))))
        goto fail;
    *out = e;
    return DLIC_OK;
fail:
    dlic_egrad_close(&e);
    return r;
}

void dlic_egrad_close(dlic_egrad **e)
{
    if (!e || !*e)
        return;
    dlic_fnet_close(&(*e)->body);
    dlic_fnet_close(&(*e)->last);
    dlic_fnet_close(&(*e)->ctx);
    dlic_fnet_close(&(*e)->ep);
    free((*e)->H);
    free((*e)->gH);
    free(*e);
    *e = NULL;
}

float *dlic_egrad_z(dlic_egrad *e)
{
    return dlic_fnet_data(e->body);
}

/* P (h x w x 2M: MU then LS) into mu and ls where sel (anchors: 1,
 * non-anchors: 0, every value: -1). */
static void split_p(const dlic_egrad *e, const float *P, float *mu, float *ls, int sel)
{
    const unsigned M = e->M;
    for (size_t y = 0; y < e->h; y++)
        for (size_t x = 0; x < e->w; x++) {
            if (sel >= 0 && dlic_egrad_anchor(y, x) != sel)
                continue;
            const size_t i = y * e->w + x;
            memcpy(mu + i * M, P + i * 2 * M, M * sizeof(float));
            memcpy(ls + i * M, P + i * 2 * M + M, M * sizeof(float));
        }
}

/* The reverse: gradients of P from those of mu and ls where sel, 0 else. */
static void join_p(const dlic_egrad *e, float *gP, const float *gmu, const float *gls, int sel)
{
    const unsigned M = e->M;
    for (size_t y = 0; y < e->h; y++)
        for (size_t x = 0; x < e->w; x++) {
            const size_t i = y * e->w + x;
            if (sel >= 0 && dlic_egrad_anchor(y, x) != sel) {
                memset(gP + i * 2 * M, 0, 2 * M * sizeof(float));
                continue;
            }
            memcpy(gP + i * 2 * M, gmu + i * M, M * sizeof(float));
            memcpy(gP + i * 2 * M + M, gls + i * M, M * sizeof(float));
        }
}

void dlic_egrad_hyper(dlic_egrad *e, dlic_nn_exec *x, float *mu, float *ls)
{
    dlic_fnet_forward(e->body, x, 0);
    memcpy(e->H, dlic_fnet_data(e->body), e->h * e->w * e->nh * sizeof(float));
    memcpy(dlic_fnet_data(e->last), e->H, e->h * e->w * e->nh * sizeof(float));
    dlic_fnet_forward(e->last, x, 0);
    split_p(e, dlic_fnet_data(e->last), mu, ls, -1);
}

void dlic_egrad_context(dlic_egrad *e, dlic_nn_exec *x, const float *yh, float *mu, float *ls)
{
    if (!e->context)
        return;
    const unsigned M = e->M, nh = e->nh, nc = e->nc;
    float *in = dlic_fnet_data(e->ctx);
    for (size_t y = 0; y < e->h; y++)
        for (size_t x0 = 0; x0 < e->w; x0++) {
            const size_t i = y * e->w + x0;
            if (dlic_egrad_anchor(y, x0))
                memcpy(in + i * M, yh + i * M, M * sizeof(float));
            else
                memset(in + i * M, 0, M * sizeof(float));
        }
    dlic_fnet_forward(e->ctx, x, 0);
    const float *C = dlic_fnet_data(e->ctx);
    float *ep = dlic_fnet_data(e->ep);
    for (size_t i = 0; i < e->h * e->w; i++) {
        memcpy(ep + i * (nh + nc), e->H + i * nh, nh * sizeof(float));
        memcpy(ep + i * (nh + nc) + nh, C + i * nc, nc * sizeof(float));
    }
    dlic_fnet_forward(e->ep, x, 0);
    split_p(e, dlic_fnet_data(e->ep), mu, ls, 0);
}

void dlic_egrad_context_back(dlic_egrad *e, dlic_nn_exec *x, const float *gmu,
                             const float *gls, float *gyh)
{
    if (!e->context)
        return;
    const unsigned M = e->M, nh = e->nh, nc = e->nc;
    join_p(e, dlic_fnet_data(e->ep), gmu, gls, 0);
    dlic_fnet_backward(e->ep, x, 0);
    const float *g = dlic_fnet_data(e->ep);
    float *gc = dlic_fnet_data(e->ctx);
    for (size_t i = 0; i < e->h * e->w; i++) {
        memcpy(e->gH + i * nh, g + i * (nh + nc), nh * sizeof(float));
        memcpy(gc + i * nc, g + i * (nh + nc) + nh, nc * sizeof(float));
    }
    dlic_fnet_backward(e->ctx, x, 0);
    const float *gin = dlic_fnet_data(e->ctx);
    for (size_t y = 0; y < e->h; y++)
        for (size_t x0 = 0; x0 < e->w; x0++) {
            if (!dlic_egrad_anchor(y, x0))
                continue;
            const size_t i = (y * e->w + x0) * M;
            for (unsigned c = 0; c < M; c++)
                gyh[i + c] += gin[i + c];
        }
}

void dlic_egrad_hyper_back(dlic_egrad *e, dlic_nn_exec *x, const float *gmu, const float *gls)
{
    const size_t n = e->h * e->w * e->nh;
    join_p(e, dlic_fnet_data(e->last), gmu, gls, e->context ? 1 : -1);
    dlic_fnet_backward(e->last, x, 0);
    float *g = dlic_fnet_data(e->last), *gb = dlic_fnet_data(e->body);
    for (size_t i = 0; i < n; i++)
        gb[i] = g[i] + (e->context ? e->gH[i] : 0.0f);
    dlic_fnet_backward(e->body, x, 0);
}
