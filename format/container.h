/* Container (SPEC §4): signature, chunks, HEAD. Parsing and writing only;
 * the chunk payloads (range-coder streams, metadata) are opaque here. */
#ifndef DLIC_FORMAT_CONTAINER_H
#define DLIC_FORMAT_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

#include "dlic/dlic.h"

#define DLIC_HEAD_SIZE 24
#define DLIC_CHUNK_OVERHEAD 12          /* length + type + check */
#define DLIC_CHUNK_MAX 0x7FFFFFFFu      /* SPEC §4.1 */

typedef struct dlic_header {            /* SPEC §4.3 (flags, reserved are 0) */
    uint8_t version_major, version_minor;
    uint32_t width, height;
    uint8_t colour, bit_depth, quality;
    uint64_t model_id;
} dlic_header;

/* A parsed stream. The pointers point into the caller's buffer, which must
 * outlive this struct. icc/exif are NULL (size 0) when the chunk is absent;
 * when repeated, the first one counts. */
typedef struct dlic_container {
    dlic_header head;
    const uint8_t *zlat, *ylat, *icc, *exif;
    size_t zlat_size, ylat_size, icc_size, exif_size;
} dlic_container;

/* Validate a whole stream (SPEC §4.2, §4.3), checksums included, and fill
 * *c. info may be NULL; otherwise it receives the header fields and chunk
 * list read so far, also on failure (as dlic_probe()). Returns a dlic_error:
 * DLIC_ERR_NOT_DLIC without the signature (or for empty data),
 * DLIC_ERR_TRUNCATED when the data ends early, DLIC_ERR_CHECKSUM,
 * DLIC_ERR_UNSUPPORTED, DLIC_ERR_CORRUPT as SPEC §4 states. The model id is
 * not compared here. */
/* dlic_stream_need() (dlic.h): the chunk framing alone. */
int dlic_container_need(const uint8_t *data, size_t size, size_t *need);

int dlic_container_parse(const uint8_t *data, size_t size, dlic_container *c,
                         dlic_stream_info *info);

/* Serialise signature, HEAD, iccp (if icc_size), exif (if exif_size), ZLAT,
 * YLAT, DEND into a malloc'd buffer (*out, free with free()/dlic_free()).
 * Header fields must be valid (version_major 1, bit_depth 8, ...), else
 * DLIC_ERR_INVALID_ARG. On failure *out = NULL, *out_size = 0. */
int dlic_container_write(const dlic_header *h,
                         const uint8_t *icc, size_t icc_size,
                         const uint8_t *exif, size_t exif_size,
                         const uint8_t *zlat, size_t zlat_size,
                         const uint8_t *ylat, size_t ylat_size,
                         uint8_t **out, size_t *out_size);

/* Write one chunk (length, type, payload, check) at dst, which must have
 * room for DLIC_CHUNK_OVERHEAD + len bytes; returns the bytes written.
 * Exposed for tests that build unusual streams. */
size_t dlic_chunk_put(uint8_t *dst, const char type[4], const uint8_t *payload,
                      uint32_t len);

/* The 24-byte HEAD payload of h (no validation). */
void dlic_header_put(uint8_t dst[DLIC_HEAD_SIZE], const dlic_header *h);

#endif
