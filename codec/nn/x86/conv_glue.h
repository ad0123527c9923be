/* What every SIMD convolution file hands the dsp table besides its kernel:
 * the weight-packing hooks of codec/nn/pack.h, which differ between
 * instruction sets only by the vector width, the u8 support and the
 * register blocks, and the init that installs them with the kernel.
 * Included once, at the end of the file, after defining
 *   CONV_GLUE_VL      lanes per vector,
 *   CONV_GLUE_U8      1 when the kernel takes u8 input (vpdpbusd),
 *   CONV_GLUE_BLOCKS  its (cob, px) register blocks, best first,
 *   CONV_GLUE_KERNEL  the dlic_conv_fn, used for every k and stride,
 *   CONV_GLUE_INIT    the name of the init function (codec/nn/dsp.h). */
#ifndef CONV_GLUE_INIT
#error "define the CONV_GLUE_* macros before including conv_glue.h"
#endif

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
    for (unsigned ki = 0; ki < 3; ki++)
        for (unsigned si = 0; si < 2; si++)
            dsp->conv[ki][si] = CONV_GLUE_KERNEL;
    dsp->packed_size = glue_packed_size;
    dsp->pack = glue_pack;
    dsp->scratch_size = glue_scratch_size;
}
