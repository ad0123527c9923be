/* JPEG through libjpeg(-turbo): gray stays gray, colour becomes RGB; the
 * ICC profile (APP2) and EXIF (APP1) are kept. */
#include "tools/imageio/imageio.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

typedef struct jpeg_ctx {
    struct jpeg_error_mgr pub;      /* first: libjpeg casts to this */
    jmp_buf jb;
    char *err;
    struct jpeg_progress_mgr progress;
} jpeg_ctx;

static void on_error_exit(j_common_ptr cinfo)
{
    jpeg_ctx *c = (jpeg_ctx *)cinfo->err;
    char msg[JMSG_LENGTH_MAX];
    c->pub.format_message(cinfo, msg);
    io_fail(c->err, "JPEG: %s", msg);
    longjmp(c->jb, 1);
}

/* Warnings (level -1) mean corrupt data, e.g. a truncated file that libjpeg
 * would pad with gray: refuse those rather than encode garbage. Stray bytes
 * between markers are common in camera files and harmless. Trace messages
 * (level >= 0) are ignored. */
static void on_emit_message(j_common_ptr cinfo, int level)
{
    if (level < 0 && cinfo->err->msg_code != JWRN_EXTRANEOUS_DATA)
        on_error_exit(cinfo);
}

/* A progressive JPEG can hold thousands of tiny scans, each of which costs
 * a full pass over the image: refuse absurd counts (as djpeg -maxscan). */
#define MAX_SCANS 1000

static void on_progress(j_common_ptr cinfo)
{
    if (cinfo->is_decompressor &&
        ((j_decompress_ptr)cinfo)->input_scan_number > MAX_SCANS) {
        jpeg_ctx *c = (jpeg_ctx *)cinfo->err;
        io_fail(c->err, "JPEG: more than %d scans", MAX_SCANS);
        longjmp(c->jb, 1);
    }
}

/* The first APP1 segment that starts with the Exif identifier "Exif\0\0",
 * without it: the TIFF header onwards, as SPEC §4.4 stores it. A segment
 * holds at most 65533 bytes, far below IO_MAX_EXIF_SIZE. */
#define EXIF_PREFIX_SIZE 6

static int read_exif(struct jpeg_decompress_struct *cinfo, io_image *img,
                     char *err)
{
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next) {
        if (m->marker != JPEG_APP0 + 1 || m->data_length <= EXIF_PREFIX_SIZE ||
            memcmp(m->data, "Exif\0\0", EXIF_PREFIX_SIZE))
            continue;
        size_t n = m->data_length - EXIF_PREFIX_SIZE;
        img->exif = malloc(n);
        if (!img->exif)
            return io_fail(err, "out of memory");
        memcpy(img->exif, m->data + EXIF_PREFIX_SIZE, n);
        img->exif_size = n;
        return 0;
    }
    return 0;
}

/* The setjmp lives here; what a longjmp must clean up (cinfo, img) belongs
 * to the caller, so no local is modified between setjmp and longjmp. */
static int read_jpeg(jpeg_ctx *c, struct jpeg_decompress_struct *cinfo,
                     const uint8_t *data, size_t size, const io_limits *lim,
                     io_image *img)
{
    if (setjmp(c->jb))
        return -1;
    jpeg_create_decompress(cinfo);
    cinfo->progress = &c->progress;
    jpeg_mem_src(cinfo, data, (unsigned long)size);
    jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xFFFF);    /* EXIF (and XMP) */
    jpeg_save_markers(cinfo, JPEG_APP0 + 2, 0xFFFF);    /* ICC profile */
    jpeg_read_header(cinfo, TRUE);

    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo->out_color_space = JCS_GRAYSCALE;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        return io_fail(c->err, "JPEG: CMYK images are not supported");
    default:
        cinfo->out_color_space = JCS_RGB;
        break;
    }
    /* Check the size before libjpeg allocates anything for the image. */
    if (io_image_alloc(img, cinfo->image_width, cinfo->image_height,
                       cinfo->out_color_space == JCS_GRAYSCALE ? 1 : 3, lim,
                       c->err))
        return -1;

    JOCTET *icc = NULL;
    unsigned icc_len = 0;
    if (jpeg_read_icc_profile(cinfo, &icc, &icc_len) && icc && icc_len) {
        img->icc = icc;             /* malloc'ed by libjpeg-turbo */
        img->icc_size = icc_len;
    } else {
        free(icc);
    }
    if (read_exif(cinfo, img, c->err))
        return -1;

    jpeg_start_decompress(cinfo);
    if (cinfo->output_width != img->width || cinfo->output_height != img->height ||
        cinfo->output_components != img->channels)
        return io_fail(c->err, "JPEG: unexpected output geometry");
    while (cinfo->output_scanline < cinfo->output_height) {
        JSAMPROW row = img->data + (size_t)cinfo->output_scanline * img->stride;
        if (jpeg_read_scanlines(cinfo, &row, 1) != 1)
            return io_fail(c->err, "JPEG: file is truncated");
    }
    jpeg_finish_decompress(cinfo);
    return 0;
}

int io_read_jpeg(const uint8_t *data, size_t size, const io_limits *lim,
                 io_image *img, char *err)
{
    struct jpeg_decompress_struct cinfo;
    jpeg_ctx c;

    memset(img, 0, sizeof(*img));
    if (size > (unsigned long)-1)
        return io_fail(err, "JPEG: file too large");
    memset(&cinfo, 0, sizeof(cinfo));
    memset(&c, 0, sizeof(c));
    c.err = err;
    c.progress.progress_monitor = on_progress;
    cinfo.err = jpeg_std_error(&c.pub);
    c.pub.error_exit = on_error_exit;
    c.pub.emit_message = on_emit_message;
    int r = read_jpeg(&c, &cinfo, data, size, lim, img);
    jpeg_destroy_decompress(&cinfo);
    if (r)
        io_image_free(img);
    return r;
}
