/* CSV files, markdown summary and gnuplot plots of dlic-bench. */
#include "tools/bench/report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tools/bench/bdrate.h"
#include "tools/bench/refcurves.h"

typedef struct avg_pt {
    int q;
    double bpp, psnr, msssim, msdb, enc_ms, dec_ms;
} avg_pt;

typedef struct curve {
    const bench_entry *e;
    avg_pt p[BENCH_MAX_Q];
    size_t n;
    size_t dropped;             /* qualities with a missing image */
} curve;

static int cmp_bpp(const void *a, const void *b)
{
    double x = ((const avg_pt *)a)->bpp, y = ((const avg_pt *)b)->bpp;
    return (x > y) - (x < y);
}

static void average(const bench_run *r, size_t c, curve *cv)
{
    const bench_entry *e = &r->codecs[c];
    memset(cv, 0, sizeof(*cv));
    cv->e = e;
    for (size_t k = 0; k < e->nq; k++) {
        avg_pt a = { e->q[k], 0, 0, 0, 0, 0, 0 };
        size_t n = 0;
        for (size_t i = 0; i < r->nimages; i++) {
            size_t idx = bench_pt_index(r, c, k, i);
            if (!r->have[idx])
                continue;
            const bench_point *p = &r->pts[idx];
            a.bpp += bench_bpp(p);
            a.psnr += p->psnr;
            a.msssim += p->msssim;
            a.enc_ms += p->enc_ms;
            a.dec_ms += p->dec_ms;
            n++;
        }
        if (n == 0 || n < r->nimages) {
            cv->dropped++;
            continue;
        }
        a.bpp /= (double)n;
        a.psnr /= (double)n;
        a.msssim /= (double)n;
        a.msdb = bench_msssim_db(a.msssim);
        a.enc_ms /= (double)n;
        a.dec_ms /= (double)n;
        cv->p[cv->n++] = a;
    }
    qsort(cv->p, cv->n, sizeof(cv->p[0]), cmp_bpp);
}

/* Curve as BD points; msssim selects MS-SSIM dB as the distortion. */
static size_t bd_points(const curve *cv, int msssim, bd_point *out)
{
    for (size_t k = 0; k < cv->n; k++) {
        out[k].rate = cv->p[k].bpp;
        out[k].psnr = msssim ? cv->p[k].msdb : cv->p[k].psnr;
    }
    return cv->n;
}

static FILE *open_out(const bench_report_opts *o, const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", o->out_dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        fprintf(stderr, "dlic-bench: %s: %s\n", path, strerror(errno));
    return f;
}

static int close_out(FILE *f, const bench_report_opts *o, const char *name)
{
    if (ferror(f) | fclose(f)) {
        fprintf(stderr, "dlic-bench: %s/%s: write error\n", o->out_dir, name);
        return -1;
    }
    return 0;
}

static int write_points(const bench_run *r, const bench_report_opts *o)
{
    FILE *f = open_out(o, "points.csv");
    if (!f)
        return -1;
    fprintf(f, "codec,quality,image,bytes,pixels,bpp,psnr,msssim,msssim_db,enc_ms,dec_ms\n");
    for (size_t c = 0; c < r->ncodecs; c++)
        for (size_t k = 0; k < r->codecs[c].nq; k++)
            for (size_t i = 0; i < r->nimages; i++) {
                size_t idx = bench_pt_index(r, c, k, i);
                if (!r->have[idx])
                    continue;
                const bench_point *p = &r->pts[idx];
                fprintf(f, "%s,%d,%s,%llu,%llu,%.5f,%.4f,%.6f,%.4f,%.2f,%.2f\n",
                        p->codec, p->quality, r->images[i].name,
                        (unsigned long long)p->bytes,
                        (unsigned long long)p->pixels, bench_bpp(p), p->psnr,
                        p->msssim, bench_msssim_db(p->msssim), p->enc_ms,
                        p->dec_ms);
            }
    return close_out(f, o, "points.csv");
}

static int write_curves(const curve *cv, size_t n, const bench_report_opts *o)
{
    char name[64];
    for (size_t c = 0; c < n; c++) {
        snprintf(name, sizeof(name), "avg_%s.csv", cv[c].e->codec->id);
        FILE *f = open_out(o, name);
        if (!f)
            return -1;
        fprintf(f, "quality,bpp,psnr,msssim,msssim_db,enc_ms,dec_ms\n");
        for (size_t k = 0; k < cv[c].n; k++) {
            const avg_pt *a = &cv[c].p[k];
            fprintf(f, "%d,%.5f,%.4f,%.6f,%.4f,%.2f,%.2f\n", a->q, a->bpp,
                    a->psnr, a->msssim, a->msdb, a->enc_ms, a->dec_ms);
        }
        if (close_out(f, o, name))
            return -1;
    }
    size_t nref;
    const bench_ref_curve *ref = bench_ref_curves(&nref);
    for (size_t i = 0; i < nref; i++) {
        snprintf(name, sizeof(name), "%s.csv", ref[i].id);
        FILE *f = open_out(o, name);
        if (!f)
            return -1;
        fprintf(f, "bpp,psnr\n");
        for (size_t k = 0; k < ref[i].n; k++)
            fprintf(f, "%.4f,%.2f\n", ref[i].pts[k].rate, ref[i].pts[k].psnr);
        if (close_out(f, o, name))
            return -1;
    }
    return 0;
}

static void pct(FILE *f, double v)
{
    if (isnan(v))
        fprintf(f, " n/a |");
    else
        fprintf(f, " %+.1f%% |", v);
}

static const curve *find_curve(const curve *cv, size_t n, const char *id)
{
    for (size_t c = 0; c < n; c++)
        if (!strcmp(cv[c].e->codec->id, id))
            return &cv[c];
    return NULL;
}

static void bd_section(FILE *f, const curve *cv, size_t n, const curve *test)
{
    bd_point t[BENCH_MAX_Q], a[BENCH_MAX_Q], tm[BENCH_MAX_Q], am[BENCH_MAX_Q];
    size_t nt = bd_points(test, 0, t);
    bd_points(test, 1, tm);
    fprintf(f, "\n## BD-rate of %s\n\n"
            "Negative = %s needs fewer bits for the same quality. VCEG-M33: cubic\n"
            "least-squares fit of log(bpp) against the distortion, integrated over\n"
            "the overlapping distortion interval of the two curves (not the\n"
            "piecewise-cubic variant). BD-PSNR: cubic fit of PSNR against log(bpp)\n"
            "over the overlapping rate interval.\n\n"
            "| anchor | BD-rate (PSNR) | BD-PSNR | BD-rate (MS-SSIM dB) |\n"
            "|---|---|---|---|\n", test->e->codec->label, test->e->codec->label);
    for (size_t c = 0; c < n; c++) {
        if (&cv[c] == test)
            continue;
        size_t na = bd_points(&cv[c], 0, a);
        bd_points(&cv[c], 1, am);
        fprintf(f, "| %s (measured) |", cv[c].e->codec->label);
        pct(f, bd_rate(a, na, t, nt));
        double dp = bd_psnr(a, na, t, nt);
        if (isnan(dp))
            fprintf(f, " n/a |");
        else
            fprintf(f, " %+.2f dB |", dp);
        pct(f, bd_rate(am, na, tm, nt));
        fprintf(f, "\n");
    }
    size_t nref;
    const bench_ref_curve *ref = bench_ref_curves(&nref);
    for (size_t i = 0; i < nref; i++) {
        fprintf(f, "| %s |", ref[i].label);
        pct(f, bd_rate(ref[i].pts, ref[i].n, t, nt));
        double dp = bd_psnr(ref[i].pts, ref[i].n, t, nt);
        if (isnan(dp))
            fprintf(f, " n/a | - |\n");
        else
            fprintf(f, " %+.2f dB | - |\n", dp);
    }
}

static void summary(FILE *f, const bench_run *r, const curve *cv, size_t n,
                    const bench_report_opts *o)
{
    fprintf(f, "# dlic-bench results\n\n"
            "%zu image%s from `%s`; RGB PSNR (peak 255) and MS-SSIM (5-scale,\n"
            "per RGB channel, averaged) per image, averaged per quality setting;\n"
            "bpp = file bytes * 8 / pixels.\n\n", r->nimages,
            r->nimages == 1 ? "" : "s", o->data_dir);
    if (o->command)
        fprintf(f, "Command: `%s`\n\n", o->command);
    fprintf(f, "| codec | version | qualities | bpp | PSNR (dB) |\n"
            "|---|---|---|---|---|\n");
    for (size_t c = 0; c < n; c++) {
        const curve *v = &cv[c];
        fprintf(f, "| %s | %s | %zu", v->e->codec->label, v->e->version, v->n);
        if (v->dropped)
            fprintf(f, " (%zu incomplete)", v->dropped);
        if (v->n)
            fprintf(f, " | %.3f .. %.3f | %.2f .. %.2f |\n", v->p[0].bpp,
                    v->p[v->n - 1].bpp, v->p[0].psnr, v->p[v->n - 1].psnr);
        else
            fprintf(f, " | - | - |\n");
    }

    const curve *dlic = find_curve(cv, n, "dlic");
    if (dlic)
        bd_section(f, cv, n, dlic);

    /* Every codec against the published BPG 4:4:4 curve, as BRIEF.md. */
    const bench_ref_curve *bpg = bench_ref_find("ref-bpg444");
    fprintf(f, "\n## BD-rate (PSNR) against the published BPG 4:4:4 curve\n\n"
            "| codec | BD-rate vs BPG 4:4:4 (published) |\n|---|---|\n");
    for (size_t c = 0; c < n; c++) {
        bd_point p[BENCH_MAX_Q];
        size_t np = bd_points(&cv[c], 0, p);
        fprintf(f, "| %s |", cv[c].e->codec->label);
        pct(f, bd_rate(bpg->pts, bpg->n, p, np));
        fprintf(f, "\n");
    }

    const curve *jpeg = find_curve(cv, n, "jpeg"), *webp = find_curve(cv, n, "webp");
    const bench_ref_curve *rj = bench_ref_find("ref-jpeg"), *rw = bench_ref_find("ref-webp");
    double pub = bd_rate(rj->pts, rj->n, rw->pts, rw->n);
    fprintf(f, "\n## Sanity check: WebP against JPEG 4:2:0\n\n");
    if (jpeg && webp) {
        bd_point a[BENCH_MAX_Q], b[BENCH_MAX_Q];
        size_t na = bd_points(jpeg, 0, a), nb = bd_points(webp, 0, b);
        fprintf(f, "| | BD-rate (PSNR) |\n|---|---|\n| measured |");
        pct(f, bd_rate(a, na, b, nb));
    } else {
        fprintf(f, "Not measured (needs codecs jpeg and webp).\n\n"
                "| | BD-rate (PSNR) |\n|---|---|");
    }
    fprintf(f, "\n| published: BRIEF.md table points, 0.25-1 bpp |");
    pct(f, pub);
    /* BRIEF.md: WebP +44% and JPEG +143% against BPG 4:4:4. */
    fprintf(f, "\n| published: BRIEF.md BD-rates against BPG, 1.44 / 2.43 - 1 |");
    pct(f, (1.44 / 2.43 - 1) * 100);
    fprintf(f, "\n");

    if (o->speed) {
        fprintf(f, "\n## Speed\n\nMean milliseconds per image, one thread per "
                "image, %d images at a time (-j); external tools include process\n"
                "start-up and PNG I/O.\n\n"
                "| codec | quality | bpp | PSNR | encode ms | decode ms |\n"
                "|---|---|---|---|---|---|\n", r->jobs);
        for (size_t c = 0; c < n; c++)
            for (size_t k = 0; k < cv[c].n; k++) {
                const avg_pt *a = &cv[c].p[k];
                fprintf(f, "| %s | %d | %.3f | %.2f | %.1f | %.1f |\n",
                        cv[c].e->codec->label, a->q, a->bpp, a->psnr,
                        a->enc_ms, a->dec_ms);
            }
    }
}

/* Quotes s for a gnuplot single-quoted string. */
static void gp_str(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

#define XMAX 2.0

/* One colour per codec family; a published curve takes its family's colour
 * and a dashed line. */
static const char *colour(const char *id)
{
    static const char *const map[][2] = {
        { "dlic", "#d62728" }, { "dlic-lite", "#e377c2" }, { "jpeg", "#8c564b" },
        { "jpeg444", "#bcbd22" },
        { "webp", "#2ca02c" }, { "bpg", "#1f77b4" }, { "heif", "#1f77b4" },
        { "avif", "#ff7f0e" }, { "jxl", "#9467bd" },
        { "ref-bpg444", "#1f77b4" }, { "ref-hyperprior", "#7f7f7f" },
        { "ref-mbt2018-mean", "#000000" }, { "ref-vtm", "#17becf" },
        { "ref-webp", "#2ca02c" }, { "ref-jpeg", "#8c564b" },
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (!strcmp(map[i][0], id))
            return map[i][1];
    return "#e377c2";
}

static void gp_plot(FILE *f, const curve *cv, size_t n, int msssim,
                    const char *term, const char *out)
{
    double lo = 1e9, hi = -1e9;
    size_t nref;
    const bench_ref_curve *ref = bench_ref_curves(&nref);
    for (size_t c = 0; c < n; c++)
        for (size_t k = 0; k < cv[c].n; k++)
            if (cv[c].p[k].bpp <= XMAX) {
                double v = msssim ? cv[c].p[k].msdb : cv[c].p[k].psnr;
                lo = fmin(lo, v);
                hi = fmax(hi, v);
            }
    if (!msssim)
        for (size_t i = 0; i < nref; i++)
            for (size_t k = 0; k < ref[i].n; k++) {
                lo = fmin(lo, ref[i].pts[k].psnr);
                hi = fmax(hi, ref[i].pts[k].psnr);
            }
    if (lo > hi) {
        lo = 20;
        hi = 40;
    }
    fprintf(f, "set terminal %s\nset output '%s'\n", term, out);
    fprintf(f, "set xrange [0:%g]\nset yrange [%g:%g]\n", XMAX,
            floor(lo / 2) * 2, ceil(hi / 2) * 2 + 1);
    fprintf(f, "set ylabel '%s'\n", msssim ? "MS-SSIM (dB, -10 log10(1 - MS-SSIM))"
                                           : "RGB PSNR (dB)");
    fprintf(f, "plot ");
    const char *sep = "";
    for (size_t c = 0; c < n; c++) {
        if (!cv[c].n)
            continue;
        fprintf(f, "%s\\\n  'avg_%s.csv' skip 1 using 2:%d with linespoints "
                "lw %d pt 7 ps 0.6 lc rgb '%s' title ", sep, cv[c].e->codec->id,
                msssim ? 5 : 3, strcmp(cv[c].e->codec->id, "dlic") ? 1 : 3,
                colour(cv[c].e->codec->id));
        gp_str(f, cv[c].e->codec->label);
        sep = ", ";
    }
    if (!msssim)
        for (size_t i = 0; i < nref; i++) {
            fprintf(f, "%s\\\n  '%s.csv' skip 1 using 1:2 with linespoints dt 2 "
                    "lw 1 pt 6 ps 0.5 lc rgb '%s' title ", sep, ref[i].id,
                    colour(ref[i].id));
            gp_str(f, ref[i].label);
            sep = ", ";
        }
    fprintf(f, "\n");
}

static int plot(const curve *cv, size_t n, size_t nimages,
                const bench_report_opts *o)
{
    FILE *f = open_out(o, "rd.gp");
    if (!f)
        return -1;
    const char *base = strrchr(o->data_dir, '/');
    char title[300];
    base = base && base[1] ? base + 1 : o->data_dir;
    snprintf(title, sizeof(title), "%.200s, %zu images: rate-distortion",
             base, nimages);
    fprintf(f, "# gnuplot script written by dlic-bench; run in its folder.\n"
            "set datafile separator ','\nset grid\nset key bottom right font ',9'\n"
            "set xlabel 'bits per pixel'\nset title ");
    gp_str(f, title);
    fprintf(f, "\n");
    static const char *const terms[2][2] = {
        { "pngcairo size 1100,800 font ',11'", "png" },
        { "svg size 1100,800 dynamic font ',11'", "svg" },
    };
    for (int m = 0; m < 2; m++)
        for (int t = 0; t < 2; t++) {
            char out[32];
            snprintf(out, sizeof(out), "rd_%s.%s", m ? "msssim" : "psnr", terms[t][1]);
            gp_plot(f, cv, n, m, terms[t][0], out);
        }
    if (close_out(f, o, "rd.gp"))
        return -1;

    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "cd '%s' && gnuplot rd.gp", o->out_dir);
    if (strchr(o->out_dir, '\'')) {
        fprintf(stderr, "dlic-bench: not plotting: quote in the output folder name\n");
        return -1;
    }
    int st = system(cmd);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "dlic-bench: gnuplot failed (%s/rd.gp)\n", o->out_dir);
        return -1;
    }
    return 0;
}

int bench_report(const bench_run *r, const bench_report_opts *o)
{
    curve *cv = calloc(r->ncodecs ? r->ncodecs : 1, sizeof(*cv));
    int ret = -1;
    if (!cv) {
        fprintf(stderr, "dlic-bench: out of memory\n");
        return -1;
    }
    for (size_t c = 0; c < r->ncodecs; c++)
        average(r, c, &cv[c]);
    if (write_points(r, o) || write_curves(cv, r->ncodecs, o))
        goto done;

    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m) {
        fprintf(stderr, "dlic-bench: out of memory\n");
        goto done;
    }
    summary(m, r, cv, r->ncodecs, o);
    fclose(m);
    FILE *f = open_out(o, "summary.md");
    if (f) {
        fwrite(text, 1, len, f);
        if (close_out(f, o, "summary.md") == 0)
            ret = 0;
    }
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    free(text);
    if (ret == 0 && o->plot && plot(cv, r->ncodecs, r->nimages, o))
        ret = -1;
done:
    free(cv);
    return ret;
}
