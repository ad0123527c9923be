/* Fuzz target: the container parser through dlic_probe() (SPEC §4).
 * Input: one flags byte (FUZZ_FIX_CHECKS), then the stream. */
#include <stdlib.h>
#include <string.h>

#include "dlic/dlic.h"
#include "fuzz/fuzz_common.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t *s = fuzz_fixup(data + 1, size - 1, data[0] & FUZZ_FIX_CHECKS);
    dlic_stream_info info;
    memset(&info, 0xAB, sizeof(info));
    int r = dlic_probe(s, size - 1, &info);
    REQUIRE(r >= DLIC_OK && r <= DLIC_ERR_STATE);
    REQUIRE(dlic_strerror(r) != NULL);
    REQUIRE(info.nchunks <= DLIC_MAX_CHUNKS);
    for (unsigned i = 0; i < info.nchunks; i++) {
        REQUIRE(info.chunks[i].type[4] == '\0');
        REQUIRE(info.chunks[i].offset + 12 + info.chunks[i].length <= size - 1 ||
                r != DLIC_OK);
    }
    if (r == DLIC_OK) {
        /* SPEC §4.3: a valid container has a valid HEAD. */
        REQUIRE(info.width >= 1 && info.width <= 65535);
        REQUIRE(info.height >= 1 && info.height <= 65535);
        REQUIRE(info.colour == DLIC_RGB || info.colour == DLIC_GRAY);
        REQUIRE(info.bit_depth == 8 && info.quality >= 0 && info.quality <= 100);
        REQUIRE(info.version_major == 1);
    }
    /* Probing NULL/empty input is an error, never a crash. */
    REQUIRE(dlic_probe(s, 0, &info) != DLIC_OK);
    free(s);
    return 0;
}
