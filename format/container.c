/* Container parsing and writing (SPEC §4). */
#include "format/container.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "core/common.h"

/* Where the parser stands in the critical-chunk sequence of SPEC §4.2. */
enum { AT_START, AFTER_HEAD, AFTER_ZLAT, AFTER_YLAT, AFTER_DEND };

static int is_letter(uint8_t ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

static uint32_t chunk_check(const uint8_t *type_and_payload, size_t len)
{
    return XXH32(type_and_payload, len + 4, 0);
}

size_t dlic_chunk_put(uint8_t *dst, const char type[4], const uint8_t *payload,
                      uint32_t len)
{
    dlic_wr32(dst, len);
    memcpy(dst + 4, type, 4);
    if (len)
        memcpy(dst + 8, payload, len);
    dlic_wr32(dst + 8 + len, chunk_check(dst + 4, len));
    return (size_t)DLIC_CHUNK_OVERHEAD + len;
}

void dlic_header_put(uint8_t dst[DLIC_HEAD_SIZE], const dlic_header *h)
{
    dst[0] = h->version_major;
    dst[1] = h->version_minor;
    dlic_wr16(dst + 2, 0);
    dlic_wr32(dst + 4, h->width);
    dlic_wr32(dst + 8, h->height);
    dst[12] = h->colour;
    dst[13] = h->bit_depth;
    dst[14] = h->quality;
    dst[15] = 0;
    dlic_wr64(dst + 16, h->model_id);
}

/* SPEC §4.3, checks in field order. */
static int parse_head(const uint8_t *p, uint32_t len, dlic_header *h,
                      dlic_stream_info *info)
{
    DLIC_CHECK(len != DLIC_HEAD_SIZE, DLIC_ERR_CORRUPT);
    h->version_major = p[0];
    h->version_minor = p[1];
    h->width = dlic_rd32(p + 4);
    h->height = dlic_rd32(p + 8);
    h->colour = p[12];
    h->bit_depth = p[13];
    h->quality = p[14];
    h->model_id = dlic_rd64(p + 16);
    if (info) {
        info->version_major = h->version_major;
        info->version_minor = h->version_minor;
        info->width = h->width;
        info->height = h->height;
        info->colour = h->colour;
        info->bit_depth = h->bit_depth;
        info->quality = h->quality;
        info->model_id = h->model_id;
    }
    DLIC_CHECK(h->version_major != 1, DLIC_ERR_UNSUPPORTED);
    DLIC_CHECK(dlic_rd16(p + 2) != 0, DLIC_ERR_UNSUPPORTED);
    DLIC_CHECK(h->width < 1 || h->width > DLIC_MAX_DIMENSION, DLIC_ERR_CORRUPT);
    DLIC_CHECK(h->height < 1 || h->height > DLIC_MAX_DIMENSION, DLIC_ERR_CORRUPT);
    DLIC_CHECK(h->colour > 1, DLIC_ERR_UNSUPPORTED);
    DLIC_CHECK(h->bit_depth != 8, DLIC_ERR_UNSUPPORTED);
    DLIC_CHECK(h->quality > 100, DLIC_ERR_CORRUPT);
    DLIC_CHECK(p[15] != 0, DLIC_ERR_CORRUPT);
    return DLIC_OK;
}

/* Handle one verified chunk according to the SPEC §4.2 sequence. HEAD's
 * fields are read at once (for info) but their error is kept in *head_err
 * and reported only once the chunk sequence is valid, as the reference
 * decoder train/refdec.py does. */
static int take_chunk(const uint8_t *type, const uint8_t *payload, uint32_t len,
                      int *state, dlic_container *c, dlic_stream_info *info,
                      int *head_err)
{
    if (type[0] >= 'a') {               /* ancillary (SPEC §4.4) */
        DLIC_CHECK(*state == AT_START, DLIC_ERR_CORRUPT);
        if (!memcmp(type, "iccp", 4) && !c->icc) {
            c->icc = payload;
            c->icc_size = len;
        } else if (!memcmp(type, "exif", 4) && !c->exif) {
            c->exif = payload;
            c->exif_size = len;
        }
        return DLIC_OK;
    }
    if (!memcmp(type, "HEAD", 4)) {
        DLIC_CHECK(*state != AT_START, DLIC_ERR_CORRUPT);
        *head_err = parse_head(payload, len, &c->head, info);
    } else if (!memcmp(type, "ZLAT", 4)) {
        DLIC_CHECK(*state != AFTER_HEAD, DLIC_ERR_CORRUPT);
        c->zlat = payload;
        c->zlat_size = len;
    } else if (!memcmp(type, "YLAT", 4)) {
        DLIC_CHECK(*state != AFTER_ZLAT, DLIC_ERR_CORRUPT);
        c->ylat = payload;
        c->ylat_size = len;
    } else if (!memcmp(type, "DEND", 4)) {
        DLIC_CHECK(*state != AFTER_YLAT || len != 0, DLIC_ERR_CORRUPT);
    } else {
        return DLIC_ERR_UNSUPPORTED;
    }
    (*state)++;
    return DLIC_OK;
}

int dlic_container_need(const uint8_t *data, size_t size, size_t *need)
{
    DLIC_CHECK(!need || (!data && size), DLIC_ERR_INVALID_ARG);
    *need = 0;
    size_t sig = size < DLIC_SIGNATURE_SIZE ? size : DLIC_SIGNATURE_SIZE;
    DLIC_CHECK(memcmp(data ? data : (const uint8_t *)"", DLIC_SIGNATURE, sig),
               DLIC_ERR_NOT_DLIC);
    size_t pos = DLIC_SIGNATURE_SIZE;
    for (;;) {
        if (size < pos + 8) {
            *need = pos + 8;
            return DLIC_ERR_TRUNCATED;
        }
        const uint32_t len = dlic_rd32(data + pos);
        DLIC_CHECK(len > DLIC_CHUNK_MAX, DLIC_ERR_CORRUPT);
        size_t end;
        DLIC_CHECK(dlic_add_size(pos, DLIC_CHUNK_OVERHEAD + (size_t)len, &end), DLIC_ERR_LIMIT);
        if (size < end) {
            *need = end;
            return DLIC_ERR_TRUNCATED;
        }
        if (!memcmp(data + pos + 4, "DEND", 4)) {
            *need = end;
            return DLIC_OK;
        }
        pos = end;
    }
}

int dlic_container_parse(const uint8_t *data, size_t size, dlic_container *c,
                         dlic_stream_info *info)
{
    DLIC_CHECK(!c || (!data && size), DLIC_ERR_INVALID_ARG);
    memset(c, 0, sizeof(*c));
    if (info)
        memset(info, 0, sizeof(*info));
    /* A strict prefix of the signature is a truncated DLIC file. */
    DLIC_CHECK(size == 0, DLIC_ERR_NOT_DLIC);
    size_t sig = size < DLIC_SIGNATURE_SIZE ? size : DLIC_SIGNATURE_SIZE;
    DLIC_CHECK(memcmp(data, DLIC_SIGNATURE, sig), DLIC_ERR_NOT_DLIC);
    DLIC_CHECK(size < DLIC_SIGNATURE_SIZE, DLIC_ERR_TRUNCATED);

    size_t pos = DLIC_SIGNATURE_SIZE;
    int state = AT_START, head_err = DLIC_OK;
    while (state != AFTER_DEND) {
        /* The data ending before DEND, inside a chunk or between chunks,
         * is truncation (SPEC §4.2 rule 3). */
        DLIC_CHECK(size - pos < 8, DLIC_ERR_TRUNCATED);
        const uint8_t *p = data + pos;
        uint32_t len = dlic_rd32(p);
        const uint8_t *type = p + 4;
        DLIC_CHECK(len > DLIC_CHUNK_MAX, DLIC_ERR_CORRUPT);
        for (int i = 0; i < 4; i++)
            DLIC_CHECK(!is_letter(type[i]), DLIC_ERR_CORRUPT);
        DLIC_CHECK(size - pos - 8 < (size_t)len + 4, DLIC_ERR_TRUNCATED);

        int ok = dlic_rd32(p + 8 + len) == chunk_check(type, len);
        if (info && info->nchunks < DLIC_MAX_CHUNKS) {
            dlic_chunk_info *ci = &info->chunks[info->nchunks++];
            memcpy(ci->type, type, 4);
            ci->type[4] = 0;
            ci->length = len;
            ci->offset = pos;
            ci->check_ok = ok;
        }
        DLIC_CHECK(!ok, DLIC_ERR_CHECKSUM);
        DLIC_TRY(take_chunk(type, p + 8, len, &state, c, info, &head_err));
        pos += (size_t)DLIC_CHUNK_OVERHEAD + len;
    }
    DLIC_CHECK(pos != size, DLIC_ERR_CORRUPT);
    return head_err;
}

static int header_valid(const dlic_header *h)
{
    return h->version_major == 1 && h->width >= 1 && h->width <= DLIC_MAX_DIMENSION &&
           h->height >= 1 && h->height <= DLIC_MAX_DIMENSION && h->colour <= 1 &&
           h->bit_depth == 8 && h->quality <= 100;
}

/* Adds one chunk's size to *total; 1 on a payload too large or overflow. */
static int add_chunk_size(size_t *total, size_t len)
{
    return len > DLIC_CHUNK_MAX ||
           dlic_add_size(*total, len + DLIC_CHUNK_OVERHEAD, total);
}

int dlic_container_write(const dlic_header *h,
                         const uint8_t *icc, size_t icc_size,
                         const uint8_t *exif, size_t exif_size,
                         const uint8_t *zlat, size_t zlat_size,
                         const uint8_t *ylat, size_t ylat_size,
                         uint8_t **out, size_t *out_size)
{
    if (out)
        *out = NULL;
    if (out_size)
        *out_size = 0;
    DLIC_CHECK(!h || !out || !out_size, DLIC_ERR_INVALID_ARG);
    DLIC_CHECK(!header_valid(h), DLIC_ERR_INVALID_ARG);
    DLIC_CHECK((!icc && icc_size) || (!exif && exif_size) ||
               (!zlat && zlat_size) || (!ylat && ylat_size),
               DLIC_ERR_INVALID_ARG);

    size_t total = DLIC_SIGNATURE_SIZE;
    int bad = add_chunk_size(&total, DLIC_HEAD_SIZE);
    if (icc_size)
        bad |= add_chunk_size(&total, icc_size);
    if (exif_size)
        bad |= add_chunk_size(&total, exif_size);
    bad |= add_chunk_size(&total, zlat_size);
    bad |= add_chunk_size(&total, ylat_size);
    bad |= add_chunk_size(&total, 0);
    DLIC_CHECK(bad, DLIC_ERR_INVALID_ARG);

    uint8_t *buf = malloc(total);
    DLIC_CHECK(!buf, DLIC_ERR_NOMEM);
    uint8_t head[DLIC_HEAD_SIZE];
    dlic_header_put(head, h);
    memcpy(buf, DLIC_SIGNATURE, DLIC_SIGNATURE_SIZE);
    size_t pos = DLIC_SIGNATURE_SIZE;
    pos += dlic_chunk_put(buf + pos, "HEAD", head, DLIC_HEAD_SIZE);
    if (icc_size)
        pos += dlic_chunk_put(buf + pos, "iccp", icc, (uint32_t)icc_size);
    if (exif_size)
        pos += dlic_chunk_put(buf + pos, "exif", exif, (uint32_t)exif_size);
    pos += dlic_chunk_put(buf + pos, "ZLAT", zlat, (uint32_t)zlat_size);
    pos += dlic_chunk_put(buf + pos, "YLAT", ylat, (uint32_t)ylat_size);
    pos += dlic_chunk_put(buf + pos, "DEND", NULL, 0);
    *out = buf;
    *out_size = pos;
    return DLIC_OK;
}
