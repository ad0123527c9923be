/*
 * Outputs of dlic-bench, all in the output folder:
 *   points.csv         one line per (codec, quality, image)
 *   avg_CODEC.csv      per codec: one line per quality, averaged over the
 *                      images (bpp, PSNR, MS-SSIM and times are means; the
 *                      MS-SSIM dB column is -10 log10(1 - mean MS-SSIM)),
 *                      sorted by bpp; a quality is left out unless every
 *                      image was measured
 *   ref_ID.csv         published curves of BRIEF.md
 *   summary.md         codecs, BD-rates, sanity figure, speed
 *   rd_psnr.{png,svg}, rd_msssim.{png,svg} and rd.gp (gnuplot script)
 */
#ifndef DLIC_TOOLS_BENCH_REPORT_H
#define DLIC_TOOLS_BENCH_REPORT_H

#include "tools/bench/runner.h"

typedef struct bench_report_opts {
    const char *out_dir;
    const char *data_dir;
    const char *command;        /* the command line, for the summary */
    int speed;                  /* add the speed table */
    int plot;                   /* run gnuplot */
} bench_report_opts;

/* Writes every output; the summary also goes to stdout. 0 on success,
 * -1 after printing the reason on stderr. */
int bench_report(const bench_run *r, const bench_report_opts *o);

#endif /* DLIC_TOOLS_BENCH_REPORT_H */
