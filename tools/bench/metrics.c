/* PSNR and MS-SSIM of dlic-bench; definitions in metrics.h. */
#include "tools/bench/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

double bench_psnr_rgb(const uint8_t *a, size_t stride_a,
                      const uint8_t *b, size_t stride_b,
                      uint32_t width, uint32_t height)
{
    uint64_t sse = 0;
    for (uint32_t y = 0; y < height; y++) {
        const uint8_t *pa = a + y * stride_a, *pb = b + y * stride_b;
        for (size_t i = 0; i < (size_t)width * 3; i++) {
            int d = pa[i] - pb[i];
            sse += (uint64_t)(d * d);
        }
    }
    if (sse == 0)
        return 99.0;
    double mse = (double)sse / ((double)width * height * 3);
    return 10.0 * log10(255.0 * 255.0 / mse);
}

#define WIN 11
#define SCALES 5

static const double SCALE_WEIGHT[SCALES] = {
    0.0448, 0.2856, 0.3001, 0.2363, 0.1333
};

static float g_win[WIN];

static void init_window(void)
{
    double sum = 0, g[WIN];
    for (int i = 0; i < WIN; i++) {
        double d = i - WIN / 2;
        g[i] = exp(-d * d / (2 * 1.5 * 1.5));
        sum += g[i];
    }
    for (int i = 0; i < WIN; i++)
        g_win[i] = (float)(g[i] / sum);
}

/* Mean SSIM and mean contrast-structure term of two w x h planes. tmp holds
 * 5 * (w - WIN + 1) * h floats. */
static void ssim_plane(const float *x, const float *y, size_t w, size_t h,
                       float *tmp, double *ssim, double *cs)
{
    const double C1 = (0.01 * 255) * (0.01 * 255);
    const double C2 = (0.03 * 255) * (0.03 * 255);
    size_t ow = w - WIN + 1, oh = h - WIN + 1, plane = ow * h;
    float *mx = tmp, *my = tmp + plane, *xx = tmp + 2 * plane;
    float *yy = tmp + 3 * plane, *xy = tmp + 4 * plane;

    for (size_t r = 0; r < h; r++) {            /* horizontal pass */
        const float *px = x + r * w, *py = y + r * w;
        for (size_t c = 0; c < ow; c++) {
            float s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0;
            for (int k = 0; k < WIN; k++) {
                float g = g_win[k], vx = px[c + k], vy = py[c + k];
                s1 += g * vx;
                s2 += g * vy;
                s3 += g * vx * vx;
                s4 += g * vy * vy;
                s5 += g * vx * vy;
            }
            size_t o = r * ow + c;
            mx[o] = s1;
            my[o] = s2;
            xx[o] = s3;
            yy[o] = s4;
            xy[o] = s5;
        }
    }
    double sum_ssim = 0, sum_cs = 0;
    for (size_t r = 0; r < oh; r++) {           /* vertical pass */
        for (size_t c = 0; c < ow; c++) {
            float s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0;
            for (int k = 0; k < WIN; k++) {
                size_t o = (r + k) * ow + c;
                float g = g_win[k];
                s1 += g * mx[o];
                s2 += g * my[o];
                s3 += g * xx[o];
                s4 += g * yy[o];
                s5 += g * xy[o];
            }
            double vx = s3 - (double)s1 * s1, vy = s4 - (double)s2 * s2;
            double cov = s5 - (double)s1 * s2;
            double csv = (2 * cov + C2) / (vx + vy + C2);
            double lum = (2.0 * s1 * s2 + C1) / ((double)s1 * s1 + (double)s2 * s2 + C1);
            sum_cs += csv;
            sum_ssim += lum * csv;
        }
    }
    *ssim = sum_ssim / (double)(ow * oh);
    *cs = sum_cs / (double)(ow * oh);
}

/* 2x2 average pooling in place into the top-left (w/2) x (h/2). */
static void downsample(float *p, size_t *w, size_t *h)
{
    size_t nw = *w / 2, nh = *h / 2;
    for (size_t r = 0; r < nh; r++)
        for (size_t c = 0; c < nw; c++) {
            const float *s = p + 2 * r * *w + 2 * c;
            p[r * nw + c] = (s[0] + s[1] + s[*w] + s[*w + 1]) * 0.25f;
        }
    *w = nw;
    *h = nh;
}

double bench_msssim_rgb(const uint8_t *a, size_t stride_a,
                        const uint8_t *b, size_t stride_b,
                        uint32_t width, uint32_t height)
{
    if (width < WIN || height < WIN)
        return NAN;
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_window);
    size_t n = (size_t)width * height;
    float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
    float *tmp = malloc(5 * n * sizeof(float));
    double total = 0;
    if (!x || !y || !tmp) {
        total = NAN;
        goto done;
    }
    for (int ch = 0; ch < 3; ch++) {
        for (uint32_t r = 0; r < height; r++)
            for (uint32_t c = 0; c < width; c++) {
                x[(size_t)r * width + c] = a[r * stride_a + 3 * (size_t)c + ch];
                y[(size_t)r * width + c] = b[r * stride_b + 3 * (size_t)c + ch];
            }
        size_t w = width, h = height;
        double ssim[SCALES], cs[SCALES];
        int levels = 0;
        while (levels < SCALES && w >= WIN && h >= WIN) {
            ssim_plane(x, y, w, h, tmp, &ssim[levels], &cs[levels]);
            levels++;
            size_t w2 = w, h2 = h;
            downsample(x, &w, &h);
            downsample(y, &w2, &h2);
        }
        double wsum = 0, v = 1;
        for (int l = 0; l < levels; l++)
            wsum += SCALE_WEIGHT[l];
        for (int l = 0; l < levels; l++) {
            double t = l == levels - 1 ? ssim[l] : cs[l];
            v *= pow(t > 0 ? t : 0, SCALE_WEIGHT[l] / wsum);
        }
        total += v / 3;
    }
done:
    free(x);
    free(y);
    free(tmp);
    return total;
}
