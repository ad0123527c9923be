/*
 * Distortion metrics of dlic-bench, both on 8-bit interleaved RGB.
 *
 * PSNR: 10 log10(255^2 / MSE), the MSE over all R, G and B samples of one
 * image (as CompressAI and BRIEF.md compute it); identical images give 99.
 *
 * MS-SSIM: the 5-scale index of Wang, Simoncelli and Bovik (2003) with
 * the usual constants: 11x11 Gaussian window (sigma 1.5, "valid" filtering,
 * no padding), K1 = 0.01, K2 = 0.03, L = 255, scale weights 0.0448, 0.2856,
 * 0.3001, 0.2363, 0.1333, 2x2 average-pool downsampling between scales (an
 * odd last row or column is dropped). It is computed on each of R, G, B
 * separately and the three values are averaged, as pytorch_msssim does for
 * CompressAI's figures. Negative contrast terms are clamped to 0. An image
 * too small for 5 scales (under 176 pixels on a side) uses the scales that
 * fit a window, with their weights renormalised; below 11 pixels, NAN.
 */
#ifndef DLIC_TOOLS_BENCH_METRICS_H
#define DLIC_TOOLS_BENCH_METRICS_H

#include <stddef.h>
#include <stdint.h>

double bench_psnr_rgb(const uint8_t *a, size_t stride_a,
                      const uint8_t *b, size_t stride_b,
                      uint32_t width, uint32_t height);

/* Returns NAN when out of memory or the image is smaller than the window. */
double bench_msssim_rgb(const uint8_t *a, size_t stride_a,
                        const uint8_t *b, size_t stride_b,
                        uint32_t width, uint32_t height);

#endif /* DLIC_TOOLS_BENCH_METRICS_H */
