/* Published Kodak curves, copied from shared/BRIEF.md. */
#include "tools/bench/refcurves.h"

#include <string.h>

static const bd_point BPG444[] = {      /* bpgenc 0.9.8, x265 */
    { 0.0678, 26.20 }, { 0.1610, 28.68 }, { 0.3516, 31.60 },
    { 0.6847, 34.86 }, { 1.1997, 38.26 }, { 1.9297, 41.48 },
};

static const bd_point HYPERPRIOR[] = {  /* bmshj2018-hyperprior, q 1-8 */
    { 0.131, 27.58 }, { 0.209, 29.20 }, { 0.320, 30.97 }, { 0.478, 32.84 },
    { 0.669, 34.53 }, { 0.939, 36.74 }, { 1.259, 38.58 }, { 1.660, 40.56 },
};

static const bd_point MBT_MEAN[] = {    /* mbt2018-mean, q 1-8 */
    { 0.124, 27.70 }, { 0.198, 29.36 }, { 0.307, 31.13 }, { 0.461, 32.95 },
    { 0.662, 34.97 }, { 0.914, 36.91 }, { 1.234, 38.84 }, { 1.619, 40.63 },
};

/* The table of BRIEF.md at 0.25, 0.5, 0.75 and 1 bpp. */
static const bd_point JPEG_TAB[] = {
    { 0.25, 24.7 }, { 0.5, 29.0 }, { 0.75, 31.1 }, { 1.0, 32.6 },
};

static const bd_point WEBP_TAB[] = {
    { 0.25, 28.6 }, { 0.5, 31.3 }, { 0.75, 33.5 }, { 1.0, 35.1 },
};

static const bd_point VTM_TAB[] = {
    { 0.25, 31.3 }, { 0.5, 34.4 }, { 0.75, 36.6 }, { 1.0, 38.2 },
};

#define CURVE(id, label, a) { id, label, a, sizeof(a) / sizeof(a[0]) }

static const bench_ref_curve CURVES[] = {
    CURVE("ref-bpg444", "BPG 4:4:4 (published)", BPG444),
    CURVE("ref-hyperprior", "bmshj2018-hyperprior (published)", HYPERPRIOR),
    CURVE("ref-mbt2018-mean", "mbt2018-mean (published)", MBT_MEAN),
    CURVE("ref-vtm", "VTM intra (published)", VTM_TAB),
    CURVE("ref-webp", "WebP (published, Pillow)", WEBP_TAB),
    CURVE("ref-jpeg", "JPEG (published, Pillow)", JPEG_TAB),
};

const bench_ref_curve *bench_ref_curves(size_t *n)
{
    *n = sizeof(CURVES) / sizeof(CURVES[0]);
    return CURVES;
}

const bench_ref_curve *bench_ref_find(const char *id)
{
    for (size_t i = 0; i < sizeof(CURVES) / sizeof(CURVES[0]); i++)
        if (!strcmp(CURVES[i].id, id))
            return &CURVES[i];
    return NULL;
}
