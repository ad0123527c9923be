/*
 * Image and file I/O for the DLIC command-line tools (kept out of the
 * library, as libwebp keeps its readers and writers in imageio/).
 *
 * Every function returns 0 on success. On failure it returns -1 and writes a
 * one-line reason (no trailing newline, no program or file name) into
 * err[IO_ERR_SIZE]; nothing needs freeing then.
 */
#ifndef DLIC_TOOLS_IMAGEIO_H
#define DLIC_TOOLS_IMAGEIO_H

#include <stddef.h>
#include <stdint.h>

#include "dlic/dlic.h"

#define IO_ERR_SIZE 256

/* Largest input file the tools read into memory. */
#define IO_MAX_FILE_SIZE ((size_t)1 << 30)

/* Largest dimension a DLIC stream can carry. */
#define IO_MAX_DIM ((unsigned)DLIC_MAX_DIMENSION)

/* Readers drop an EXIF block larger than this (a JPEG APP1 segment holds at
 * most 64 KiB; nothing a camera writes comes near this). */
#define IO_MAX_EXIF_SIZE ((size_t)1 << 24)

typedef enum io_format {
    IO_FMT_UNKNOWN = 0,
    IO_FMT_PNG,
    IO_FMT_JPEG,
    IO_FMT_WEBP,
    IO_FMT_PNM,
    IO_FMT_DLIC,
} io_format;

/* An 8-bit image: channels 1 (gray) or 3 (RGB), rows of stride bytes. */
typedef struct io_image {
    uint32_t width, height;
    int channels;
    size_t stride;
    uint8_t *data;
    uint8_t *icc;               /* ICC profile or NULL */
    size_t icc_size;
    uint8_t *exif;              /* EXIF block (TIFF header onwards) or NULL */
    size_t exif_size;
    int had_alpha;              /* the source had alpha, which was dropped */
} io_image;

/* Limits applied while decoding an image, before any pixel allocation. */
typedef struct io_limits {
    uint64_t max_pixels;        /* 0: no limit besides IO_MAX_DIM */
} io_limits;

void io_image_free(io_image *img);

/* Allocate img->data for width x height x channels (zeroed struct on entry
 * is not required; icc and exif are left alone). Checks the size for
 * overflow. */
int io_image_alloc(io_image *img, uint32_t width, uint32_t height,
                   int channels, const io_limits *lim, char *err);

/* ---------------------------------------------------------------- sniffing */
io_format io_detect(const uint8_t *data, size_t size);
const char *io_format_name(io_format fmt);

/* ----------------------------------------------------------------- readers */
int io_read_png(const uint8_t *data, size_t size, const io_limits *lim,
                io_image *img, char *err);
int io_read_jpeg(const uint8_t *data, size_t size, const io_limits *lim,
                 io_image *img, char *err);
int io_read_webp(const uint8_t *data, size_t size, const io_limits *lim,
                 io_image *img, char *err);
int io_read_pnm(const uint8_t *data, size_t size, const io_limits *lim,
                io_image *img, char *err);

/* Detects the format and calls the matching reader. */
int io_read_image(const uint8_t *data, size_t size, const io_limits *lim,
                  io_image *img, char *err);

/* ---------------------------------------------------------------- writers */
/* Encode into a malloc'ed buffer (*out, release with free()). The image is
 * described by the fields of io_image; icc and exif are written to PNG only
 * (iCCP, eXIf). */
int io_write_png(const io_image *img, uint8_t **out, size_t *out_size,
                 char *err);
/* The PNG of io_write_png() is made for speed: zlib level IO_PNG_LEVEL and
 * the Average filter on every row, about as fast to write as a PPM and 8%
 * larger than libpng's defaults on Kodak; small = 1 uses those defaults
 * (level 6, a filter chosen per row) for the smallest file. */
#define IO_PNG_LEVEL 3
int io_write_png_small(const io_image *img, int small, uint8_t **out, size_t *out_size,
                       char *err);
int io_write_pnm(const io_image *img, uint8_t **out, size_t *out_size,
                 char *err);

/* ----------------------------------------------------------------- files */
/* Read a whole file, or stdin for "-", refusing more than max_size bytes.
 * *data is malloc'ed (never NULL on success, even for an empty file). */
int io_read_file(const char *path, size_t max_size, uint8_t **data,
                 size_t *size, char *err);

/* Write data to path atomically: a temporary file in the same directory is
 * written, fsync'ed and renamed over path; on any error it is removed and a
 * pre-existing path is untouched. "-" writes to stdout (refused when stdout
 * is a terminal). An existing non-regular file (/dev/null, a FIFO) is written
 * in place. */
int io_write_file(const char *path, const uint8_t *data, size_t size,
                  char *err);

/* Case-insensitive test of the extension of path ("png", no dot). */
int io_has_ext(const char *path, const char *ext);

/* printf into err[IO_ERR_SIZE]; returns -1 for convenience. */
int io_fail(char *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif /* DLIC_TOOLS_IMAGEIO_H */
