/*
 * Bjontegaard delta rate and delta PSNR (VCEG-M33, "Calculation of average
 * PSNR differences between RD-curves", 2001).
 *
 * Method: each curve's log(rate) is fitted by a least-squares polynomial of
 * PSNR (a cubic, or degree n-1 for a curve of n < 4 points); both fits are
 * integrated over the overlapping PSNR interval; the mean difference d of
 * the integrals gives BD-rate = (exp(d) - 1) * 100 %. BD-PSNR swaps the
 * roles: PSNR fitted as a cubic of log(rate), integrated over the
 * overlapping log-rate interval. This is the original cubic fit, not the
 * piecewise cubic (PCHIP) variant of later JVET tools; for smooth monotone
 * curves the two agree within a few tenths of a percent.
 */
#ifndef DLIC_TOOLS_BENCH_BDRATE_H
#define DLIC_TOOLS_BENCH_BDRATE_H

#include <stddef.h>

typedef struct bd_point {
    double rate;                /* bits per pixel (any positive rate unit) */
    double psnr;                /* dB (any distortion in dB) */
} bd_point;

/* Average rate difference (%) of test against ref at equal PSNR: negative
 * means test needs fewer bits. Returns NAN when either curve has fewer than
 * 2 points, a rate <= 0, or the PSNR ranges do not overlap. */
double bd_rate(const bd_point *ref, size_t nref,
               const bd_point *test, size_t ntest);

/* Average PSNR difference (dB) of test against ref at equal rate: positive
 * means test is better. NAN as for bd_rate(). */
double bd_psnr(const bd_point *ref, size_t nref,
               const bd_point *test, size_t ntest);

/* Least-squares polynomial of degree deg (<= 3) through n points (x[i],
 * y[i]), n > deg; coefficients c[0] + c[1] x + ... in c[0..deg]. Returns 0,
 * or -1 when the system is singular (repeated x). Exposed for the tests. */
int bd_polyfit(const double *x, const double *y, size_t n, int deg,
               double c[4]);

#endif /* DLIC_TOOLS_BENCH_BDRATE_H */
