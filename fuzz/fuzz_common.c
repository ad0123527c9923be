/* Shared helpers of the fuzz targets: the embedded test model and the
 * checksum fix-up that lets mutations get past SPEC §4.2 rule 2. */
#include "fuzz/fuzz_common.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

extern const uint8_t dlic_fuzz_model_data[];
extern const uint8_t dlic_fuzz_model_end[];
extern const uint8_t dlic_fuzz_cb_model_data[];
extern const uint8_t dlic_fuzz_cb_model_end[];

static dlic_model *model, *cb_model;
static pthread_once_t model_once = PTHREAD_ONCE_INIT;

static void load(dlic_model **m, const uint8_t *data, const uint8_t *end)
{
    if (dlic_model_load(m, data, (size_t)(end - data)) != DLIC_OK) {
        fprintf(stderr, "fuzz: an embedded test model does not load\n");
        abort();
    }
}

static void model_init(void)
{
    load(&model, dlic_fuzz_model_data, dlic_fuzz_model_end);
    load(&cb_model, dlic_fuzz_cb_model_data, dlic_fuzz_cb_model_end);
}

const dlic_model *fuzz_test_model(unsigned flags)
{
    pthread_once(&model_once, model_init);
    return flags & FUZZ_CB_MODEL ? cb_model : model;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

uint8_t *fuzz_fixup(const uint8_t *data, size_t size, unsigned flags)
{
    uint8_t *d = malloc(size ? size : 1);
    if (!d)
        abort();
    if (size)
        memcpy(d, data, size);
    size_t pos = 8;                             /* after the signature */
    while (pos + 8 <= size) {
        uint32_t len = get32(d + pos);
        if (len > size - pos - 8 || size - pos - 8 - len < 4)
            break;
        uint8_t *type = d + pos + 4;
        if ((flags & FUZZ_FIX_MODEL) && !memcmp(type, "HEAD", 4) && len == 24) {
            uint64_t id = dlic_model_id(fuzz_test_model(flags));
            for (int i = 0; i < 8; i++)
                type[4 + 16 + i] = (uint8_t)(id >> 8 * i);
        }
        if (flags & FUZZ_FIX_CHECKS)
            put32(type + 4 + len, XXH32(type, (size_t)len + 4, 0));
        pos += 12 + (size_t)len;
    }
    return d;
}
