/* dlic_probe(): the public face of the container parser (SPEC §4). */
#include "format/container.h"

#include <string.h>

#include "codec/common/common.h"

DLIC_API int dlic_probe(const uint8_t *data, size_t size, dlic_stream_info *info)
{
    DLIC_CHECK(!info, DLIC_ERR_INVALID_ARG);
    memset(info, 0, sizeof(*info));
    DLIC_CHECK(!data && size, DLIC_ERR_INVALID_ARG);
    dlic_container c;
    return dlic_container_parse(data, size, &c, info);
}
