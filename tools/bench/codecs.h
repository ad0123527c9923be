/* The codec table of dlic-bench (codecs.c). */
#ifndef DLIC_TOOLS_BENCH_CODECS_H
#define DLIC_TOOLS_BENCH_CODECS_H

#include <stddef.h>

#include "tools/bench/codec.h"

/* Every known codec; *n receives the count. */
const bench_codec *bench_codecs(size_t *n);

/* The codec named id ("hevc" resolves to "bpg" when bpgenc is on PATH,
 * else to "heif"); NULL if unknown. */
const bench_codec *bench_codec_find(const char *id);

#endif /* DLIC_TOOLS_BENCH_CODECS_H */
