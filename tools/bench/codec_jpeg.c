/* JPEG through libjpeg-turbo in-process: baseline, standard Huffman tables
 * and the islow DCT, as Pillow's defaults (the setting behind the published
 * JPEG curves of BRIEF.md); 4:2:0 or 4:4:4 chroma. Decoding goes through
 * the tools' own reader (libjpeg, islow IDCT, fancy upsampling). */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "tools/bench/codec.h"

typedef struct enc_ctx {
    struct jpeg_error_mgr pub;      /* first: libjpeg casts to this */
    jmp_buf jb;
    char *err;
} enc_ctx;

static void on_error_exit(j_common_ptr cinfo)
{
    enc_ctx *c = (enc_ctx *)cinfo->err;
    char msg[JMSG_LENGTH_MAX];
    c->pub.format_message(cinfo, msg);
    io_fail(c->err, "JPEG: %s", msg);
    longjmp(c->jb, 1);
}

/* The setjmp lives here and no local of the caller changes after it. */
static int encode(enc_ctx *c, struct jpeg_compress_struct *cinfo,
                  const io_image *src, int quality, int subsample,
                  unsigned char **out, unsigned long *out_size)
{
    if (setjmp(c->jb))
        return -1;
    jpeg_create_compress(cinfo);
    jpeg_mem_dest(cinfo, out, out_size);
    cinfo->image_width = src->width;
    cinfo->image_height = src->height;
    cinfo->input_components = 3;
    cinfo->in_color_space = JCS_RGB;
    jpeg_set_defaults(cinfo);
    jpeg_set_quality(cinfo, quality, TRUE);
    cinfo->dct_method = JDCT_ISLOW;
    cinfo->optimize_coding = FALSE;
    int f = subsample ? 2 : 1;
    cinfo->comp_info[0].h_samp_factor = f;
    cinfo->comp_info[0].v_samp_factor = f;
    for (int i = 1; i < 3; i++) {
        cinfo->comp_info[i].h_samp_factor = 1;
        cinfo->comp_info[i].v_samp_factor = 1;
    }
    jpeg_start_compress(cinfo, TRUE);
    while (cinfo->next_scanline < cinfo->image_height) {
        JSAMPROW row = src->data + (size_t)cinfo->next_scanline * src->stride;
        jpeg_write_scanlines(cinfo, &row, 1);
    }
    jpeg_finish_compress(cinfo);
    return 0;
}

int bench_jpeg_probe(const bench_codec *c, const dlic_model *model,
                     char version[BENCH_VERSION_SIZE])
{
    (void)model;
#ifdef LIBJPEG_TURBO_VERSION
#define BENCH_STR2(x) #x
#define BENCH_STR(x) BENCH_STR2(x)
    snprintf(version, BENCH_VERSION_SIZE, "libjpeg-turbo %s %s",
             BENCH_STR(LIBJPEG_TURBO_VERSION), c->id);
#else
    snprintf(version, BENCH_VERSION_SIZE, "libjpeg %d %s", JPEG_LIB_VERSION, c->id);
#endif
    return 0;
}

int bench_jpeg_run(const bench_codec *c, const bench_job_env *env,
                   const io_image *src, int quality, bench_result *res,
                   char *err)
{
    struct jpeg_compress_struct cinfo;
    enc_ctx ec;
    unsigned char *out = NULL;
    unsigned long out_size = 0;

    (void)env;
    memset(&cinfo, 0, sizeof(cinfo));
    memset(&ec, 0, sizeof(ec));
    ec.err = err;
    cinfo.err = jpeg_std_error(&ec.pub);
    ec.pub.error_exit = on_error_exit;
    int subsample = strcmp(c->id, "jpeg444") != 0;

    double t0 = bench_now_ms();
    int r = encode(&ec, &cinfo, src, quality, subsample, &out, &out_size);
    jpeg_destroy_compress(&cinfo);
    double t1 = bench_now_ms();
    if (r == 0)
        r = io_read_jpeg(out, out_size, NULL, &res->decoded, err);
    double t2 = bench_now_ms();
    free(out);
    if (r)
        return -1;
    res->bytes = out_size;
    res->enc_ms = t1 - t0;
    res->dec_ms = t2 - t1;
    return 0;
}
