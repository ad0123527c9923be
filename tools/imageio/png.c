/* PNG through libpng: any PNG in, 8-bit gray or RGB (with iCCP, eXIf) out. */
#include "tools/imageio/imageio.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

/* State shared with the libpng callbacks. Everything that must survive a
 * longjmp lives here, not in locals of the function that called setjmp. */
typedef struct png_ctx {
    char *err;
    const uint8_t *src;
    size_t src_size, src_pos;
    uint8_t *dst;                   /* write: growing output buffer */
    size_t dst_size, dst_cap;
    uint8_t *tmp;                   /* read: decoded rows before conversion */
    png_bytep *rows;
} png_ctx;

static void on_error(png_structp png, png_const_charp msg)
{
    png_ctx *c = png_get_error_ptr(png);
    io_fail(c->err, "PNG: %s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;                      /* ancillary problems are not fatal */
}

static void on_read(png_structp png, png_bytep out, size_t len)
{
    png_ctx *c = png_get_io_ptr(png);
    if (len > c->src_size - c->src_pos)
        png_error(png, "file is truncated");
    memcpy(out, c->src + c->src_pos, len);
    c->src_pos += len;
}

static void on_write(png_structp png, png_bytep data, size_t len)
{
    png_ctx *c = png_get_io_ptr(png);
    if (len > c->dst_cap - c->dst_size) {
        size_t cap = c->dst_cap ? c->dst_cap : 65536;
        while (len > cap - c->dst_size) {
            if (cap > SIZE_MAX / 2)
                png_error(png, "output too large");
            cap *= 2;
        }
        uint8_t *p = realloc(c->dst, cap);
        if (!p)
            png_error(png, "out of memory");
        c->dst = p;
        c->dst_cap = cap;
    }
    memcpy(c->dst + c->dst_size, data, len);
    c->dst_size += len;
}

static void on_flush(png_structp png)
{
    (void)png;
}

/* An eXIf chunk of info, if img has none yet (one before IDAT wins). */
static void take_exif(png_structp png, png_infop info, io_image *img)
{
    png_bytep data;
    png_uint_32 len;
    if (img->exif || !png_get_eXIf_1(png, info, &len, &data) || len == 0 ||
        len > IO_MAX_EXIF_SIZE)
        return;
    img->exif = malloc(len);
    if (!img->exif)
        png_error(png, "out of memory");
    memcpy(img->exif, data, len);
    img->exif_size = len;
}

/* The chunks after the image data: the PNG extensions of 2017 (1.5.0)
 * allowed eXIf there and files written then still have it there. The
 * pixels are already read, so a problem in this tail (truncated, no IEND)
 * costs only that metadata, as in image viewers: it is not an error. */
static void read_png_end(png_ctx *c, png_structp png, png_infop end, io_image *img)
{
    if (setjmp(png_jmpbuf(png))) {
        if (c->err)
            c->err[0] = '\0';
        return;
    }
    png_read_end(png, end);
    take_exif(png, end, img);
}

/* The setjmp lives here and everything a longjmp must clean up lives in the
 * caller (*c, *img), so no local is modified between setjmp and longjmp. */
static int read_png(png_ctx *c, png_structp png, png_infop info,
                    const io_limits *lim, io_image *img)
{
    if (setjmp(png_jmpbuf(png)))
        return -1;
    png_set_read_fn(png, c, on_read);
    png_set_user_limits(png, IO_MAX_DIM, IO_MAX_DIM);
    png_read_info(png, info);

    png_uint_32 w, h;
    int depth, ctype, interlace;
    png_get_IHDR(png, info, &w, &h, &depth, &ctype, &interlace, NULL, NULL);
    img->had_alpha = (ctype & PNG_COLOR_MASK_ALPHA) ||
                     png_get_valid(png, info, PNG_INFO_tRNS);
    if (ctype == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16)
        png_set_scale_16(png);              /* rounds, unlike strip_16 */
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int in_ch = png_get_channels(png, info);
    int out_ch = in_ch <= 2 ? 1 : 3;        /* alpha, if any, is dropped */
    size_t rowbytes = png_get_rowbytes(png, info);
    if (png_get_bit_depth(png, info) != 8 || in_ch < 1 || in_ch > 4 ||
        rowbytes != (size_t)w * (size_t)in_ch)
        png_error(png, "unsupported pixel layout");

    unsigned char *icc_name;
    int icc_comp;
    png_bytep icc_data;
    png_uint_32 icc_len;
    if (png_get_iCCP(png, info, (png_charpp)&icc_name, &icc_comp, &icc_data,
                     &icc_len) && icc_len > 0) {
        img->icc = malloc(icc_len);
        if (!img->icc)
            png_error(png, "out of memory");
        memcpy(img->icc, icc_data, icc_len);
        img->icc_size = icc_len;
    }
    take_exif(png, info, img);

    if (io_image_alloc(img, w, h, out_ch, lim, c->err))
        return -1;
    uint8_t *base = img->data;
    if (in_ch != out_ch) {
        /* w, h <= 65535 and in_ch <= 4: at most 2^34 bytes; fits 64 bits. */
        uint64_t total = (uint64_t)rowbytes * h;
        if (total > SIZE_MAX || !(c->tmp = malloc((size_t)total)))
            png_error(png, "out of memory");
        base = c->tmp;
    }
    c->rows = malloc(sizeof(*c->rows) * h);
    if (!c->rows)
        png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < h; y++)
        c->rows[y] = base + (size_t)y * rowbytes;
    png_read_image(png, c->rows);

    if (c->tmp) {
        for (png_uint_32 y = 0; y < h; y++) {
            const uint8_t *s = c->rows[y];
            uint8_t *d = img->data + (size_t)y * img->stride;
            for (png_uint_32 x = 0; x < w; x++, s += in_ch, d += out_ch)
                memcpy(d, s, (size_t)out_ch);
        }
    }
    return 0;
}

int io_read_png(const uint8_t *data, size_t size, const io_limits *lim,
                io_image *img, char *err)
{
    png_ctx c;
    png_structp png;
    png_infop info = NULL, end = NULL;

    memset(img, 0, sizeof(*img));
    /* libpng reports oversized dimensions as "Invalid IHDR data"; say what
       is wrong instead (IHDR is always the first chunk, PNG spec 11.2.1). */
    if (size >= 24 && !memcmp(data + 12, "IHDR", 4)) {
        uint32_t w = (uint32_t)data[16] << 24 | (uint32_t)data[17] << 16 |
                     (uint32_t)data[18] << 8 | data[19];
        uint32_t h = (uint32_t)data[20] << 24 | (uint32_t)data[21] << 16 |
                     (uint32_t)data[22] << 8 | data[23];
        if (w > IO_MAX_DIM || h > IO_MAX_DIM)
            return io_fail(err, "PNG: image is %lu x %lu, larger than the "
                           "%u x %u maximum", (unsigned long)w, (unsigned long)h,
                           IO_MAX_DIM, IO_MAX_DIM);
    }
    memset(&c, 0, sizeof(c));
    c.err = err;
    c.src = data;
    c.src_size = size;
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &c, on_error, on_warning);
    if (!png || !(info = png_create_info_struct(png)) ||
        !(end = png_create_info_struct(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return io_fail(err, "out of memory");
    }
    int r = read_png(&c, png, info, lim, img);
    if (!r)
        read_png_end(&c, png, end, img);
    png_destroy_read_struct(&png, &info, &end);
    free(c.tmp);
    free(c.rows);
    if (r)
        io_image_free(img);
    return r;
}

static int write_png(png_ctx *c, png_structp png, png_infop info,
                     const io_image *img, int small)
{
    if (setjmp(png_jmpbuf(png)))
        return -1;
    png_set_write_fn(png, c, on_write, on_flush);
    /* An ICC profile libpng finds malformed is dropped, not fatal. */
    png_set_benign_errors(png, 1);
    png_set_IHDR(png, info, img->width, img->height, 8,
                 img->channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (img->icc && img->icc_size > 0 && img->icc_size <= 0x7FFFFFFF)
        png_set_iCCP(png, info, "ICC Profile", PNG_COMPRESSION_TYPE_BASE,
                     img->icc, (png_uint_32)img->icc_size);
    if (img->exif && img->exif_size > 0 && img->exif_size <= 0x7FFFFFFF)
        png_set_eXIf_1(png, info, (png_uint_32)img->exif_size, img->exif);
    if (!small) {
        png_set_compression_level(png, IO_PNG_LEVEL);
        png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_AVG);
    }
    png_write_info(png, info);
    for (uint32_t y = 0; y < img->height; y++)
        png_write_row(png, img->data + (size_t)y * img->stride);
    /* No info: nothing goes after IDAT, and libpng before 1.6.40 would
       write eXIf a second time there (libpng issue #480). */
    png_write_end(png, NULL);
    return 0;
}

int io_write_png(const io_image *img, uint8_t **out, size_t *out_size,
                 char *err)
{
    return io_write_png_small(img, 0, out, out_size, err);
}

int io_write_png_small(const io_image *img, int small, uint8_t **out, size_t *out_size,
                       char *err)
{
    png_ctx c;
    png_structp png;
    png_infop info = NULL;

    *out = NULL;
    *out_size = 0;
    memset(&c, 0, sizeof(c));
    c.err = err;
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &c, on_error, on_warning);
    if (!png || !(info = png_create_info_struct(png))) {
        png_destroy_write_struct(&png, NULL);
        return io_fail(err, "out of memory");
    }
    if (write_png(&c, png, info, img, small)) {
        png_destroy_write_struct(&png, &info);
        free(c.dst);
        return -1;
    }
    png_destroy_write_struct(&png, &info);
    *out = c.dst;
    *out_size = c.dst_size;
    return 0;
}
