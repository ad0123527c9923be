/* dlic_encode() (include/dlic/dlic.h): the encoder's entry point, apart
 * from codec/lib.c so that a program that only decodes links no encoder
 * code (libdlic-dec.a). */
#include "core/common.h"
#include "codec/context.h"
#include "codec/enc/encode.h"
#include "codec/enc/rdoq.h"
#include "codec/enc/refine.h"

int dlic_encode(dlic_context *ctx, const dlic_picture *pic,
                uint8_t **out, size_t *out_size)
{
    if (out)
        *out = NULL;
    if (out_size)
        *out_size = 0;
    DLIC_CHECK(!ctx || !pic || !out || !out_size, DLIC_ERR_INVALID_ARG);
    DLIC_CHECK(ctx->failed, DLIC_ERR_STATE);
    dlic_nn_exec x = dlic_context_exec(ctx);
    const dlic_enc_params p = {
        .model = ctx->model, .quality = ctx->s.quality,
        .rdoq_kappa = ctx->s.rdo && ctx->s.effort >= 5 ? DLIC_RDOQ_KAPPA : 0,
        .refine_iters = ctx->s.refine ? (unsigned)ctx->s.refine
                                      : dlic_effort_iters((unsigned)ctx->s.effort),
        .search_progress = ctx->s.search_progress, .opaque = ctx->s.progress_opaque,
        .max_pixels = ctx->s.max_pixels, .max_memory = ctx->s.max_memory,
    };
    return dlic_context_note(ctx, dlic_encode_image(&x, &p, pic, out, out_size));
}
