/* Published Kodak rate-distortion curves (shared/BRIEF.md): (bpp, RGB PSNR)
 * averaged over the 24 images, drawn as dashed reference lines and used for
 * the sanity BD-rates of the summary. */
#ifndef DLIC_TOOLS_BENCH_REFCURVES_H
#define DLIC_TOOLS_BENCH_REFCURVES_H

#include <stddef.h>

#include "tools/bench/bdrate.h"

typedef struct bench_ref_curve {
    const char *id;             /* file name stem */
    const char *label;
    const bd_point *pts;
    size_t n;
} bench_ref_curve;

const bench_ref_curve *bench_ref_curves(size_t *n);

/* The curve with this id, or NULL. */
const bench_ref_curve *bench_ref_find(const char *id);

#endif /* DLIC_TOOLS_BENCH_REFCURVES_H */
