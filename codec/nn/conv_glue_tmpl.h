/* What every SIMD convolution file (x86/, wasm/) shares besides its
 * register blocks: the row loop of the kernel, and the weight-packing hooks of
 * codec/nn/pack.h, which differ between instruction sets only by the
 * vector width, the u8 support and the register blocks, and the init
 * that installs them with the kernel.
 * Included once, at the end of the file, after defining
 *   CONV_GLUE_VL       lanes per vector,
 *   CONV_GLUE_U8       1 when the kernel takes u8 input (vpdpbusd),
 *   CONV_GLUE_BLOCKS   its (cob, px) register blocks, best first,
 *   CONV_GLUE_SPLAT64  the intrinsic that broadcasts an int64 to a vector,
 *   CONV_GLUE_INIT     the name of the init function (codec/nn/dsp.h),
 * the types kctx (fields q, w, k, s, cg, cout, c4, shuffle, wo, lo, hi)
 * and block_fn, and pick_block(cfg), which returns the block_fn that
 * computes cfg->cob vectors of output channels times cfg->px pixels of
 * one output row. */
#ifndef CONV_GLUE_INIT
#error "define the CONV_GLUE_* macros before including conv_glue_tmpl.h"
#endif

static void glue_conv(const dlic_conv_args *a, unsigned y0, unsigned y1, void *scratch)
{
    const dlic_layer *l = a->l;
    const dlic_pack_hdr *h = a->packed;
    const dlic_pack_cfg *cfg = &h->c;
    const kctx c = {
        .q = (const dlic_pack_q *)(const void *)((const uint8_t *)h + h->q_off),
        .w = (const int32_t *)(const void *)((const uint8_t *)h + h->w_off),
        .k = l->k, .s = l->stride, .cg = cfg->cg, .cout = l->cout,
        .c4 = l->cout / 4u, .shuffle = l->shuffle, .wo = a->wo,
        .lo = CONV_GLUE_SPLAT64(h->lo), .hi = CONV_GLUE_SPLAT64(h->hi),
    };
    const block_fn fn = pick_block(cfg);
    unsigned g0, g1;
    dlic_conv_slice(a, cfg->nb / cfg->cob, &g0, &g1);
    if (g0 == g1)
        return;
    dlic_pack_window win;
    dlic_pack_window_init(&win, cfg, a, scratch);

    for (unsigned y = y0; y < y1; y++) {
        const uint8_t *rp[5];
        dlic_pack_window_rows(&win, cfg, a, y, rp);
        int16_t *o0 = dlic_conv_dst_row(a, y * l->shuffle);
        int16_t *o1 = l->shuffle == 2 ? dlic_conv_dst_row(a, 2 * y + 1) : NULL;
        for (unsigned grp = g0; grp < g1; grp++)
            for (unsigned x = 0; x < a->wo; x += cfg->px)
                fn(&c, rp, grp, x, o0, o1);
    }
}

static void glue_config(const dlic_layer *l, dlic_pack_cfg *c)
{
    dlic_pack_config(l, CONV_GLUE_VL, CONV_GLUE_U8, CONV_GLUE_BLOCKS, c);
}

static size_t glue_packed_size(const dlic_layer *l)
{
    dlic_pack_cfg c;
    glue_config(l, &c);
    return dlic_pack_size(&c, l);
}

static void glue_pack(const dlic_layer *l, void *packed)
{
    dlic_pack_cfg c;
    glue_config(l, &c);
    dlic_pack_weights(&c, l, packed);
}

static size_t glue_scratch_size(const dlic_layer *l, unsigned w)
{
    dlic_pack_cfg c;
    glue_config(l, &c);
    return dlic_pack_scratch(&c, l, w);
}

void CONV_GLUE_INIT(dlic_nn_dsp *dsp)
{
    dlic_nn_dsp_set(dsp, glue_conv, glue_packed_size, glue_pack, glue_scratch_size);
}
