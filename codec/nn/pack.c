/* Weight and activation layouts of the SIMD kernels (see pack.h). */
/* dlic_pack_row() runs for every input row of every layer; GCC's default
 * -O2 cost model leaves its conversion loop scalar (see conv_c.c). Must
 * precede the includes. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic")
#endif

#include <string.h>

#include "core/common.h"
#include "codec/nn/pack.h"

#define ALIGN64(n) (((n) + 63) & ~(size_t)63)

void dlic_pack_config(const dlic_layer *l, unsigned vl, int u8_ok,
                      const unsigned (*cobs)[2], dlic_pack_cfg *c)
{
    /* u8 needs every input value in [0, 255] (ReLU layers and pixels); the
     * wide-range inputs (latents, SPEC §5.3) take the s16 path. */
    c->vl = vl;
    c->g = u8_ok && l->ilo >= 0 && l->ihi <= 255 ? 4 : 2;
    c->cg = (l->cin + c->g - 1) / c->g;
    const unsigned nb = (l->cout + vl - 1) / vl;
    unsigned i = 0;
    while (cobs[i][0] > 1 && nb % cobs[i][0])
        i++;
    c->cob = cobs[i][0];
    c->px = cobs[i][1];
    c->nb = nb;
}

size_t dlic_pack_size(const dlic_pack_cfg *c, const dlic_layer *l)
{
    size_t n, w;
    const size_t k2 = (size_t)l->k * l->k;
    if (dlic_mul_size((size_t)c->nb * c->vl, k2, &w) || dlic_mul_size(w, c->cg, &w) ||
        dlic_mul_size(w, 4, &w))
        return 0;
    n = ALIGN64(sizeof(dlic_pack_hdr)) + (size_t)c->nb * sizeof(dlic_pack_q);
    if (dlic_add_size(n, w, &n))
        return 0;
    return n;
}

unsigned dlic_pack_lane_channel(const dlic_pack_cfg *c, const dlic_layer *l,
                                unsigned b, unsigned lane)
{
    if (l->shuffle == 1)
        return b * c->vl + lane;
    /* Lane (2dy + dx) * cpg + cl holds channel c = b * cpg + cl of U, that
     * is V channel 4c + 2dy + dx (SPEC §5.2). */
    const unsigned cpg = c->vl / 4;
    return 4 * (b * cpg + lane % cpg) + lane / cpg;
}

void dlic_pack_weights(const dlic_pack_cfg *c, const dlic_layer *l, void *dst)
{
    uint8_t *base = dst;
    dlic_pack_hdr *h = dst;
    const unsigned k = l->k, cin = l->cin, vl = c->vl, g = c->g;
    memset(base, 0, dlic_pack_size(c, l));
    h->c = *c;
    h->q_off = ALIGN64(sizeof(dlic_pack_hdr));
    h->w_off = h->q_off + (size_t)c->nb * sizeof(dlic_pack_q);
    h->lo = l->lo;
    h->hi = l->hi;
    dlic_pack_q *q = (dlic_pack_q *)(base + h->q_off);
    uint8_t *w = base + h->w_off;
    const size_t kk = (size_t)k * k * cin;
    for (unsigned b = 0; b < c->nb; b++) {
        const unsigned grp = b / c->cob, j = b % c->cob;
        for (unsigned lane = 0; lane < vl; lane++) {
            const unsigned o = dlic_pack_lane_channel(c, l, b, lane);
            if (o >= l->cout)
                continue;
            const unsigned sh = l->shift[o];
            q[b].bias[lane] = l->bias[o];
            q[b].mul[lane] = (int32_t)l->mul[o];     /* < 2^31 (SPEC §8.2) */
            int64_t *rnd = lane & 1 ? q[b].rnd_o : q[b].rnd_e;
            int64_t *shv = lane & 1 ? q[b].sh_o : q[b].sh_e;
            rnd[lane / 2] = sh ? (int64_t)1 << (sh - 1) : 0;
            shv[lane / 2] = sh;
            /* [group][ky][kx][cg][cob][vl] dwords; one cg step is cob*vl dwords. */
            const size_t step = (size_t)c->cob * vl * 4;
            const int8_t *src = l->w + o * kk;
            for (unsigned t = 0; t < k * k; t++, src += cin) {
                uint8_t *d = w + (((size_t)grp * k * k + t) * c->cg * c->cob * vl +
                                  (size_t)j * vl + lane) * 4;
                if (g == 4) {
                    for (unsigned i = 0; i < cin; i++)
                        d[(i / 4) * step + i % 4] = (uint8_t)src[i];
                } else {
                    for (unsigned i = 0; i < cin; i++) {
                        const int16_t v16 = src[i];
                        memcpy(d + (i / 2) * step + (i % 2) * 2, &v16, 2);
                    }
                }
            }
        }
    }
}

size_t dlic_pack_row_width(const dlic_pack_cfg *c, const dlic_layer *l, unsigned w)
{
    const size_t wo = w / l->stride + (w % l->stride != 0);
    const size_t blocks = (wo + c->px - 1) / c->px;
    const size_t p = (l->k - 1) / 2;
    /* Last column read: (blocks * px - 1) * s + k - 1; the data ends at
     * p + w (further right when k = 1 and s = 2). */
    const size_t read = blocks ? (blocks * c->px - 1) * l->stride + l->k : l->k;
    return read > p + w ? read : p + w;
}

size_t dlic_pack_row_bytes(const dlic_pack_cfg *c, const dlic_layer *l, unsigned w)
{
    return ALIGN64(dlic_pack_row_width(c, l, w) * c->cg * 4);
}

size_t dlic_pack_scratch(const dlic_pack_cfg *c, const dlic_layer *l, unsigned w)
{
    const size_t rows = (size_t)l->k + 1;
    size_t n;
    /* w < 2^32 and cg < 2^15 keep row bytes far from overflow on 64-bit. */
    if (dlic_mul_size(dlic_pack_row_bytes(c, l, w), rows, &n))
        return SIZE_MAX;
    return n;
}

void dlic_pack_row(const dlic_pack_cfg *c, const dlic_layer *l, const int16_t *src,
                   unsigned w, void *dst)
{
    const unsigned p = (l->k - 1) / 2, cin = l->cin, cg = c->cg;
    const size_t bytes = dlic_pack_row_bytes(c, l, w);
    if (!src) {
        memset(dst, 0, bytes);
        return;
    }
    const size_t pix = (size_t)cg * 4;      /* bytes per packed pixel */
    uint8_t *d = dst;
    memset(d, 0, p * pix);
    d += p * pix;
    if ((size_t)cin * (c->g == 4 ? 1 : 2) == pix) {
        /* No channel padding: one flat conversion (the common case). */
        const size_t n = (size_t)w * cin;
        if (c->g == 4)
            for (size_t i = 0; i < n; i++)
                d[i] = (uint8_t)src[i];          /* in [0, 255]: ilo/ihi checked */
        else
            memcpy(d, src, n * 2);
        d += (size_t)w * pix;
    } else if (c->g == 4) {
        for (unsigned x = 0; x < w; x++, d += pix, src += cin) {
            unsigned i = 0;
            for (; i < cin; i++)
                d[i] = (uint8_t)src[i];          /* in [0, 255]: ilo/ihi checked */
            for (; i < pix; i++)
                d[i] = 0;
        }
    } else {
        for (unsigned x = 0; x < w; x++, d += pix, src += cin) {
            memcpy(d, src, (size_t)cin * 2);
            if (cin * 2 < pix)
                memset(d + cin * 2, 0, pix - cin * 2);
        }
    }
    memset(d, 0, bytes - (size_t)(d - (uint8_t *)dst));
}

void dlic_pack_window_init(dlic_pack_window *win, const dlic_pack_cfg *c,
                           const dlic_conv_args *a, void *scratch)
{
    const dlic_layer *l = a->l;
    win->rb = dlic_pack_row_bytes(c, l, a->w);
    win->slot = scratch;
    win->zero = win->slot + l->k * win->rb;
    for (unsigned i = 0; i < 5; i++)
        win->tag[i] = -1;
    dlic_pack_row(c, l, NULL, a->w, win->zero);
}

void dlic_pack_window_rows(dlic_pack_window *win, const dlic_pack_cfg *c,
                           const dlic_conv_args *a, unsigned y,
                           const uint8_t *rp[5])
{
    const dlic_layer *l = a->l;
    const unsigned k = l->k, p = (k - 1) / 2;
    for (unsigned ky = 0; ky < k; ky++) {
        const long iy = (long)y * l->stride + ky - p;
        if (iy < 0 || iy >= (long)a->h) {
            rp[ky] = win->zero;
            continue;
        }
        const unsigned si = (unsigned)(iy % k);
        if (win->tag[si] != iy) {
            dlic_pack_row(c, l, dlic_conv_src_row(a, (unsigned)iy), a->w,
                          win->slot + si * win->rb);
            win->tag[si] = iy;
        }
        rp[ky] = win->slot + si * win->rb;
    }
}
