/* Float copy of g_s and its gradient; see gsgrad.h. */
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "codec/enc/fnet.h"
#include "codec/enc/gsgrad.h"

struct dlic_gsgrad {
    dlic_fnet *net;
    size_t h, w, c;             /* g_s input */
    size_t hp, wp;              /* g_s output */
};

int dlic_gsgrad_supported(const struct dlic_model *m)
{
    return dlic_fnet_supported(&m->t[DLIC_G_S]);
}

int dlic_gsgrad_memory(const struct dlic_model *m, size_t h, size_t w, size_t *bytes)
{
    DLIC_TRY(dlic_fnet_memory(&m->t[DLIC_G_S], h, w, bytes));
    DLIC_CHECK(dlic_add_size(*bytes, sizeof(dlic_gsgrad), bytes), DLIC_ERR_LIMIT);
    return DLIC_OK;
}

/* Squared error of the output in o against the picture, and its gradient
 * (times scale) in place of the output; the padding has none. */
static double distortion(const dlic_gsgrad *r, float *out, const dlic_picture *pic,
                         double scale)
{
    const unsigned ch = pic->colour == DLIC_RGB ? 3 : 1;
    double sse = 0;
    for (size_t y = 0; y < r->hp; y++)
        for (size_t x = 0; x < r->wp; x++) {
            float *o = out + (y * r->wp + x) * 3;
            if (y >= pic->height || x >= pic->width) {
                o[0] = o[1] = o[2] = 0.0f;
                continue;
            }
            const uint8_t *px = pic->data + y * pic->stride + x * ch;
            for (unsigned c = 0; c < 3; c++) {
                const double d = (double)o[c] - px[ch == 3 ? c : 0];
                sse += d * d;
                o[c] = (float)(2 * d * scale);
            }
        }
    return sse;
}

int dlic_gsgrad_open(dlic_gsgrad **g, const struct dlic_model *m, size_t h, size_t w)
{
    const dlic_transform *t = &m->t[DLIC_G_S];
    *g = NULL;
    DLIC_CHECK(!t->nlayers || !dlic_gsgrad_supported(m), DLIC_ERR_INVALID_ARG);
    dlic_gsgrad *r = calloc(1, sizeof(*r));
    DLIC_CHECK(!r, DLIC_ERR_NOMEM);
    r->h = h;
    r->w = w;
    r->c = t->layer[0].cin;
    dlic_fnet_shape(t, h, w, &r->hp, &r->wp);
    int ret = dlic_fnet_open(&r->net, t, (unsigned)r->c, h, w);
    if (ret) {
        dlic_gsgrad_close(&r);
        return ret;
    }
    *g = r;
    return DLIC_OK;
}

void dlic_gsgrad_close(dlic_gsgrad **g)
{
    if (!g || !*g)
        return;
    dlic_fnet_close(&(*g)->net);
    free(*g);
    *g = NULL;
}

float *dlic_gsgrad_input(dlic_gsgrad *g)
{
    return dlic_fnet_data(g->net);
}

double dlic_gsgrad_run(dlic_gsgrad *g, dlic_nn_exec *x, const dlic_picture *pic, double scale,
                       float *grad)
{
    dlic_fnet_forward(g->net, x, 1);
    const double sse = distortion(g, dlic_fnet_data(g->net), pic, scale);
    if (grad) {
        dlic_fnet_backward(g->net, x, 1);
        memcpy(grad, dlic_fnet_data(g->net), g->h * g->w * g->c * sizeof(float));
    }
    return sse;
}
