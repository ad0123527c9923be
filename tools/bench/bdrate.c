/* Bjontegaard deltas (VCEG-M33 cubic fit); see bdrate.h for the method. */
#include "tools/bench/bdrate.h"

#include <math.h>

/* A polynomial in t = (x - mu) / scale: fitting in the centred, scaled
 * variable keeps the normal equations well conditioned (PSNR ~ 30..40 would
 * otherwise put 40^6 in the matrix). */
typedef struct poly {
    double c[4];
    int deg;
    double mu, scale;
} poly;

static int fit(const double *x, const double *y, size_t n, int deg, poly *p)
{
    double lo = x[0], hi = x[0], sum = 0;
    for (size_t i = 0; i < n; i++) {
        lo = fmin(lo, x[i]);
        hi = fmax(hi, x[i]);
        sum += x[i];
    }
    p->deg = deg;
    p->mu = sum / (double)n;
    p->scale = (hi - lo) / 2;
    if (!(p->scale > 0))
        return -1;

    /* Normal equations A c = b, A[j][k] = sum t^(j+k), b[j] = sum y t^j. */
    long double a[4][5] = { { 0 } };
    int m = deg + 1;
    for (size_t i = 0; i < n; i++) {
        long double t = (x[i] - p->mu) / p->scale, pw[7];
        pw[0] = 1;
        for (int k = 1; k < 7; k++)
            pw[k] = pw[k - 1] * t;
        for (int j = 0; j < m; j++) {
            for (int k = 0; k < m; k++)
                a[j][k] += pw[j + k];
            a[j][m] += pw[j] * y[i];
        }
    }
    for (int col = 0; col < m; col++) {             /* partial pivoting */
        int piv = col;
        for (int r = col + 1; r < m; r++)
            if (fabsl(a[r][col]) > fabsl(a[piv][col]))
                piv = r;
        if (fabsl(a[piv][col]) < 1e-12L)
            return -1;
        for (int k = 0; k <= m; k++) {
            long double tmp = a[col][k];
            a[col][k] = a[piv][k];
            a[piv][k] = tmp;
        }
        for (int r = 0; r < m; r++) {
            if (r == col)
                continue;
            long double f = a[r][col] / a[col][col];
            for (int k = col; k <= m; k++)
                a[r][k] -= f * a[col][k];
        }
    }
    for (int j = 0; j < 4; j++)
        p->c[j] = j < m ? (double)(a[j][m] / a[j][j]) : 0.0;
    return 0;
}

/* Integral of the polynomial over x in [lo, hi]. */
static double integrate(const poly *p, double lo, double hi)
{
    double t0 = (lo - p->mu) / p->scale, t1 = (hi - p->mu) / p->scale;
    double s = 0;
    for (int j = p->deg; j >= 0; j--)
        s += p->c[j] * (pow(t1, j + 1) - pow(t0, j + 1)) / (j + 1);
    return s * p->scale;
}

int bd_polyfit(const double *x, const double *y, size_t n, int deg,
               double c[4])
{
    poly p;
    if (deg < 0 || deg > 3 || n <= (size_t)deg || fit(x, y, n, deg, &p))
        return -1;
    /* Expand c_j ((x - mu) / s)^j into powers of x. */
    static const double binom[4][4] = {
        { 1, 0, 0, 0 }, { 1, 1, 0, 0 }, { 1, 2, 1, 0 }, { 1, 3, 3, 1 }
    };
    for (int k = 0; k < 4; k++)
        c[k] = 0;
    for (int j = 0; j <= deg; j++) {
        double cj = p.c[j] / pow(p.scale, j);
        for (int k = 0; k <= j; k++)
            c[k] += cj * binom[j][k] * pow(-p.mu, j - k);
    }
    return 0;
}

#define BD_MAX_POINTS 64

/* Mean difference over the overlap of fits of v(u) for two curves, each
 * given as n points of (u, v). */
static double mean_gap(const double *u1, const double *v1, size_t n1,
                       const double *u2, const double *v2, size_t n2)
{
    poly p1, p2;
    int d1 = n1 - 1 < 3 ? (int)n1 - 1 : 3, d2 = n2 - 1 < 3 ? (int)n2 - 1 : 3;
    if (fit(u1, v1, n1, d1, &p1) || fit(u2, v2, n2, d2, &p2))
        return NAN;
    double lo1 = u1[0], hi1 = u1[0], lo2 = u2[0], hi2 = u2[0];
    for (size_t i = 0; i < n1; i++) {
        lo1 = fmin(lo1, u1[i]);
        hi1 = fmax(hi1, u1[i]);
    }
    for (size_t i = 0; i < n2; i++) {
        lo2 = fmin(lo2, u2[i]);
        hi2 = fmax(hi2, u2[i]);
    }
    double lo = fmax(lo1, lo2), hi = fmin(hi1, hi2);
    if (!(hi > lo))
        return NAN;
    return (integrate(&p2, lo, hi) - integrate(&p1, lo, hi)) / (hi - lo);
}

/* Splits points into log-rate and PSNR arrays; 0 when usable. */
static int split(const bd_point *pts, size_t n, double *lr, double *q)
{
    if (n < 2 || n > BD_MAX_POINTS)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!(pts[i].rate > 0) || !isfinite(pts[i].psnr))
            return -1;
        lr[i] = log(pts[i].rate);
        q[i] = pts[i].psnr;
    }
    return 0;
}

double bd_rate(const bd_point *ref, size_t nref,
               const bd_point *test, size_t ntest)
{
    double r1[BD_MAX_POINTS], q1[BD_MAX_POINTS];
    double r2[BD_MAX_POINTS], q2[BD_MAX_POINTS];
    if (split(ref, nref, r1, q1) || split(test, ntest, r2, q2))
        return NAN;
    double d = mean_gap(q1, r1, nref, q2, r2, ntest);
    return isnan(d) ? NAN : (exp(d) - 1) * 100;
}

double bd_psnr(const bd_point *ref, size_t nref,
               const bd_point *test, size_t ntest)
{
    double r1[BD_MAX_POINTS], q1[BD_MAX_POINTS];
    double r2[BD_MAX_POINTS], q2[BD_MAX_POINTS];
    if (split(ref, nref, r1, q1) || split(test, ntest, r2, q2))
        return NAN;
    return mean_gap(r1, q1, nref, r2, q2, ntest);
}
