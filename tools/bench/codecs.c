/* The codec table of dlic-bench: names, labels and default sweeps chosen to
 * cover about 0.1 to 2 bpp on Kodak. */
#include <string.h>

#include "tools/bench/codecs.h"

static const bench_codec CODECS[] = {
    { "dlic", "DLIC", "0,10,25,40,55,70,85,100", 0,
      bench_dlic_probe, bench_dlic_run },
    /* The same streams, decoded with g_s lite (SPEC §8.7). */
    { "dlic-lite", "DLIC lite decoder", "0,10,25,40,55,70,85,100", 0,
      bench_dlic_probe, bench_dlic_run },
    { "jpeg", "JPEG 4:2:0 (libjpeg-turbo)", "5,10,20,30,40,50,60,70,80,90", 0,
      bench_jpeg_probe, bench_jpeg_run },
    { "jpeg444", "JPEG 4:4:4 (libjpeg-turbo)", "5,10,20,30,40,50,60,70,80,90", 0,
      bench_jpeg_probe, bench_jpeg_run },
    { "webp", "WebP (libwebp, m6)", "0,5,15,30,45,60,75,85,90", 0,
      bench_webp_probe, bench_webp_run },
    /* bpgenc -q is the QP: lower is better. */
    { "bpg", "BPG 4:4:4 (bpgenc, x265)", "45,41,37,33,29,25,21", 1,
      bench_ext_probe, bench_ext_run },
    { "heif", "HEVC 4:4:4 (x265 via libheif)", "5,12,20,28,36,44,52,58", 1,
      bench_ext_probe, bench_ext_run },
    /* avifenc --min/--max quantizer 0..63: lower is better. */
    { "avif", "AVIF 4:4:4 (libaom via avifenc)", "56,48,40,32,26,20,14", 1,
      bench_ext_probe, bench_ext_run },
    { "jxl", "JPEG XL (cjxl -e 7)", "5,20,35,50,65,80,90", 1,
      bench_ext_probe, bench_ext_run },
};

const bench_codec *bench_codecs(size_t *n)
{
    *n = sizeof(CODECS) / sizeof(CODECS[0]);
    return CODECS;
}

const bench_codec *bench_codec_find(const char *id)
{
    if (!strcmp(id, "hevc"))
        id = bench_on_path("bpgenc") && bench_on_path("bpgdec") ? "bpg" : "heif";
    for (size_t i = 0; i < sizeof(CODECS) / sizeof(CODECS[0]); i++)
        if (!strcmp(CODECS[i].id, id))
            return &CODECS[i];
    return NULL;
}
