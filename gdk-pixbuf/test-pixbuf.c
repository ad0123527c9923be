/*
 * Checks the DLIC gdk-pixbuf loader through GdkPixbuf's public API, as an
 * image viewer uses it. Driven by tests/cli/pixbuf.sh, which points
 * GDK_PIXBUF_MODULE_FILE at a cache that lists the built loader.
 *
 *   test-pixbuf load FILE REF.pnm [ICC]    pixels equal to dlic-dec's output,
 *                                          the ICC profile equal to file ICC
 *   test-pixbuf info FILE W H              gdk_pixbuf_get_file_info
 *   test-pixbuf scale FILE W H REF.pnm     gdk_pixbuf_new_from_file_at_scale
 *   test-pixbuf bytes FILE REF.pnm [LITE.pnm]
 *                                          GdkPixbufLoader fed one byte at a time;
 *                                          LITE: what a load at most half as
 *                                          wide and high decodes (g_s lite)
 *   test-pixbuf sniff FILE REF.pnm         GdkPixbufLoader that finds the type
 *   test-pixbuf threads FILE REF.pnm       loads in 4 threads at once
 *   test-pixbuf fail FILE                  every path fails with a GError
 *   test-pixbuf mime FILE                  prints g_content_type_guess()
 *
 * Exit status 0 on success; on failure one line on stderr.
 */
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEAD_END 44     /* signature + HEAD chunk (SPEC §4.1, §4.3) */

static const char *prog_cmd = "";

static void die(const char *fmt, ...) G_GNUC_PRINTF(1, 2) G_GNUC_NORETURN;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "test-pixbuf %s: ", prog_cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static guint8 *read_all(const char *path, gsize *size)
{
    gchar *data = NULL;
    GError *err = NULL;
    if (!g_file_get_contents(path, &data, size, &err))
        die("%s", err->message);
    return (guint8 *)data;
}

/* A binary PPM (P6) or PGM (P5) with maxval 255, as dlic-dec writes it;
 * gray becomes RGB the way the loader does it. */
static GdkPixbuf *read_pnm(const char *path)
{
    gsize size;
    guint8 *d = read_all(path, &size);
    int w = 0, h = 0, maxval = 0, n = 0;
    char magic[3] = "";
    if (sscanf((const char *)d, "%2s %d %d %d%n", magic, &w, &h, &maxval, &n) != 4 ||
        (strcmp(magic, "P6") && strcmp(magic, "P5")) || maxval != 255 ||
        w < 1 || h < 1)
        die("%s: not an 8-bit binary PPM/PGM", path);
    int ch = magic[1] == '6' ? 3 : 1;
    n++;                                /* the single whitespace byte */
    if (size - (gsize)n != (gsize)w * (gsize)h * (gsize)ch)
        die("%s: wrong size", path);
    GdkPixbuf *pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8, w, h);
    guint8 *px = gdk_pixbuf_get_pixels(pb);
    int stride = gdk_pixbuf_get_rowstride(pb);
    const guint8 *s = d + n;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                px[y * stride + 3 * x + c] = s[((gsize)y * w + x) * ch + (ch == 3 ? c : 0)];
    g_free(d);
    return pb;
}

static void same_pixels(GdkPixbuf *got, GdkPixbuf *want, const char *what)
{
    int w = gdk_pixbuf_get_width(want), h = gdk_pixbuf_get_height(want);
    if (gdk_pixbuf_get_width(got) != w || gdk_pixbuf_get_height(got) != h)
        die("%s: %dx%d, want %dx%d", what, gdk_pixbuf_get_width(got),
            gdk_pixbuf_get_height(got), w, h);
    if (gdk_pixbuf_get_colorspace(got) != GDK_COLORSPACE_RGB ||
        gdk_pixbuf_get_bits_per_sample(got) != 8 ||
        gdk_pixbuf_get_n_channels(got) != 3 || gdk_pixbuf_get_has_alpha(got))
        die("%s: not 8-bit RGB without alpha", what);
    const guint8 *a = gdk_pixbuf_read_pixels(got);
    const guint8 *b = gdk_pixbuf_read_pixels(want);
    int sa = gdk_pixbuf_get_rowstride(got), sb = gdk_pixbuf_get_rowstride(want);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < 3 * w; x++)
            if (a[y * sa + x] != b[y * sb + x])
                die("%s: pixel (%d, %d) channel %d is %d, want %d", what,
                    x / 3, y, x % 3, a[y * sa + x], b[y * sb + x]);
}

/* ------------------------------------------------------ progressive loads */

typedef struct {
    gsize fed;              /* bytes written so far */
    gsize size_at;          /* bytes written when size-prepared came; 0: never */
    int width, height;
    int prepared, updated;
} Events;

static void on_size(GdkPixbufLoader *l, int w, int h, gpointer p)
{
    (void)l;
    Events *e = p;
    e->size_at = e->fed;
    e->width = w;
    e->height = h;
}

static void on_prepared(GdkPixbufLoader *l, gpointer p)
{
    (void)l;
    ((Events *)p)->prepared++;
}

static void on_updated(GdkPixbufLoader *l, int x, int y, int w, int h, gpointer p)
{
    (void)l, (void)x, (void)y, (void)w, (void)h;
    ((Events *)p)->updated++;
}

/* Feeds data in pieces of step bytes; returns the pixbuf or NULL with *err. */
static GdkPixbuf *feed(GdkPixbufLoader *l, const guint8 *d, gsize size,
                       gsize step, Events *e, GError **err)
{
    memset(e, 0, sizeof(*e));
    g_signal_connect(l, "size-prepared", G_CALLBACK(on_size), e);
    g_signal_connect(l, "area-prepared", G_CALLBACK(on_prepared), e);
    g_signal_connect(l, "area-updated", G_CALLBACK(on_updated), e);
    gboolean ok = TRUE;
    for (gsize i = 0; i < size && ok; i += step) {
        gsize n = MIN(step, size - i);
        e->fed = i + n;
        ok = gdk_pixbuf_loader_write(l, d + i, n, err);
    }
    /* close after a failed write only cleans up: keep the first error. */
    ok = gdk_pixbuf_loader_close(l, ok ? err : NULL) && ok;
    GdkPixbuf *pb = ok ? gdk_pixbuf_loader_get_pixbuf(l) : NULL;
    if (pb)
        g_object_ref(pb);
    g_object_unref(l);
    return pb;
}

static GdkPixbufLoader *dlic_loader(void)
{
    GError *err = NULL;
    GdkPixbufLoader *l = gdk_pixbuf_loader_new_with_type("dlic", &err);
    if (!l)
        die("no loader for type dlic: %s", err->message);
    return l;
}

/* ---------------------------------------------------------------- commands */

static void check_format(GdkPixbufFormat *f, const char *what)
{
    if (!f)
        die("%s: no format", what);
    gchar *name = gdk_pixbuf_format_get_name(f);
    gchar **mime = gdk_pixbuf_format_get_mime_types(f);
    int ok = !strcmp(name, "dlic") && mime[0] && !strcmp(mime[0], "image/x-dlic") &&
             !gdk_pixbuf_format_is_writable(f);
    g_free(name);
    g_strfreev(mime);
    if (!ok)
        die("%s: not the dlic format, or writable", what);
}

static int cmd_load(const char *file, const char *ref, const char *icc_file)
{
    GError *err = NULL;
    GdkPixbuf *pb = gdk_pixbuf_new_from_file(file, &err);
    if (!pb)
        die("%s: %s", file, err->message);
    GdkPixbuf *want = read_pnm(ref);
    same_pixels(pb, want, "gdk_pixbuf_new_from_file");
    /* The iccp chunk comes out as the PNG loader's "icc-profile" option. */
    const gchar *icc = gdk_pixbuf_get_option(pb, "icc-profile");
    if (icc_file) {
        gsize size, got_size = 0;
        guint8 *want_icc = read_all(icc_file, &size);
        guchar *got = icc ? g_base64_decode(icc, &got_size) : NULL;
        if (!got || got_size != size || memcmp(got, want_icc, size))
            die("icc-profile option differs from %s", icc_file);
        g_free(got);
        g_free(want_icc);
    } else if (icc) {
        die("an icc-profile option without an iccp chunk");
    }
    g_object_unref(pb);
    g_object_unref(want);
    return 0;
}

static int cmd_info(const char *file, int w, int h)
{
    int gw = 0, gh = 0;
    GdkPixbufFormat *f = gdk_pixbuf_get_file_info(file, &gw, &gh);
    check_format(f, "gdk_pixbuf_get_file_info");
    if (gw != w || gh != h)
        die("size %dx%d, want %dx%d", gw, gh, w, h);
    return 0;
}

static int cmd_scale(const char *file, int w, int h, const char *ref)
{
    GError *err = NULL;
    GdkPixbuf *want = read_pnm(ref);
    GdkPixbuf *pb = gdk_pixbuf_new_from_file_at_scale(file, w, h, FALSE, &err);
    if (!pb)
        die("%s: %s", file, err->message);
    GdkPixbuf *scaled = gdk_pixbuf_scale_simple(want, w, h, GDK_INTERP_BILINEAR);
    same_pixels(pb, scaled, "gdk_pixbuf_new_from_file_at_scale");
    g_object_unref(pb);
    g_object_unref(scaled);

    /* Keeping the aspect ratio: the longer side becomes w. */
    pb = gdk_pixbuf_new_from_file_at_size(file, w, w, &err);
    if (!pb)
        die("%s: %s", file, err->message);
    int ow = gdk_pixbuf_get_width(want), oh = gdk_pixbuf_get_height(want);
    int bw = gdk_pixbuf_get_width(pb), bh = gdk_pixbuf_get_height(pb);
    if (MAX(bw, bh) != w)
        die("at_size %d: %dx%d from %dx%d", w, bw, bh, ow, oh);
    if ((ow >= oh) != (bw >= bh))
        die("at_size %d: %dx%d from %dx%d changes the orientation", w, bw, bh, ow, oh);
    g_object_unref(pb);
    g_object_unref(want);
    return 0;
}

static int cmd_bytes(const char *file, const char *ref, const char *lite_ref)
{
    gsize size;
    guint8 *d = read_all(file, &size);
    GdkPixbuf *want = read_pnm(ref);
    Events e;
    GError *err = NULL;
    GdkPixbuf *pb = feed(dlic_loader(), d, size, 1, &e, &err);
    if (!pb)
        die("%s: %s", file, err->message);
    /* The size is known as soon as HEAD is complete, not later. */
    if (e.size_at != HEAD_END)
        die("size-prepared after %zu bytes, want %d", (size_t)e.size_at, HEAD_END);
    if (e.width != gdk_pixbuf_get_width(want) || e.height != gdk_pixbuf_get_height(want))
        die("size-prepared %dx%d", e.width, e.height);
    if (e.prepared != 1 || e.updated < 1)
        die("area-prepared %d times, area-updated %d times", e.prepared, e.updated);
    same_pixels(pb, want, "one byte at a time");
    g_object_unref(pb);

    /* Scaled through gdk_pixbuf_loader_set_size() before any data. */
    GdkPixbufLoader *l = dlic_loader();
    int sw = MAX(1, gdk_pixbuf_get_width(want) / 2);
    int sh = MAX(1, gdk_pixbuf_get_height(want) / 3);
    gdk_pixbuf_loader_set_size(l, sw, sh);
    pb = feed(l, d, size, 7, &e, &err);
    if (!pb)
        die("%s: %s", file, err->message);
    GdkPixbuf *lite = lite_ref ? read_pnm(lite_ref) : NULL;
    GdkPixbuf *scaled = gdk_pixbuf_scale_simple(lite ? lite : want, sw, sh,
                                                GDK_INTERP_BILINEAR);
    same_pixels(pb, scaled, "loader with set_size");
    g_object_unref(scaled);
    if (lite)
        g_object_unref(lite);
    g_object_unref(pb);
    g_object_unref(want);
    g_free(d);
    return 0;
}

static int cmd_sniff(const char *file, const char *ref)
{
    gsize size;
    guint8 *d = read_all(file, &size);
    GdkPixbuf *want = read_pnm(ref);
    Events e;
    GError *err = NULL;
    GdkPixbufLoader *l = gdk_pixbuf_loader_new();
    GdkPixbuf *pb = feed(l, d, size, 1000, &e, &err);
    if (!pb)
        die("%s: %s", file, err->message);
    same_pixels(pb, want, "GdkPixbufLoader without a type");
    g_object_unref(pb);

    /* The format is found from the content alone, whatever the name. */
    gchar *dir = g_dir_make_tmp("test-pixbuf-XXXXXX", &err);
    if (!dir)
        die("%s", err->message);
    gchar *renamed = g_build_filename(dir, "noextension", NULL);
    if (!g_file_set_contents(renamed, (const gchar *)d, (gssize)size, &err))
        die("%s", err->message);
    int w = 0, h = 0;
    check_format(gdk_pixbuf_get_file_info(renamed, &w, &h), "renamed file");
    pb = gdk_pixbuf_new_from_file(renamed, &err);
    if (!pb)
        die("%s: %s", renamed, err->message);
    same_pixels(pb, want, "renamed file");
    g_object_unref(pb);
    g_unlink(renamed);
    g_rmdir(dir);
    g_free(renamed);
    g_free(dir);
    g_object_unref(want);
    g_free(d);
    return 0;
}

/* GDK_PIXBUF_FORMAT_THREADSAFE: loads in parallel threads. */
typedef struct {
    const char *file;
    GdkPixbuf *want;
} ThreadJob;

static gpointer load_thread(gpointer p)
{
    const ThreadJob *job = p;
    for (int i = 0; i < 3; i++) {
        GError *err = NULL;
        GdkPixbuf *pb = gdk_pixbuf_new_from_file(job->file, &err);
        if (!pb)
            die("%s: %s", job->file, err->message);
        same_pixels(pb, job->want, "loaded in a thread");
        g_object_unref(pb);
    }
    return NULL;
}

static int cmd_threads(const char *file, const char *ref)
{
    ThreadJob job = { file, read_pnm(ref) };
    GThread *t[4];
    for (int i = 0; i < 4; i++)
        t[i] = g_thread_new("load", load_thread, &job);
    for (int i = 0; i < 4; i++)
        g_thread_join(t[i]);
    g_object_unref(job.want);
    return 0;
}

/* expect_error: err set in GDK_PIXBUF_ERROR, naming DLIC; prints it. */
static void expect_error(GdkPixbuf *pb, GError *err, const char *what)
{
    if (pb)
        die("%s: loaded a bad file", what);
    if (!err)
        die("%s: failed without a GError", what);
    if (err->domain != GDK_PIXBUF_ERROR || !strstr(err->message, "DLIC"))
        die("%s: unexpected error: %s", what, err->message);
    printf("%s: %s\n", what, err->message);
    g_error_free(err);
}

static int cmd_fail(const char *file)
{
    GError *err = NULL;
    gsize size;
    guint8 *d = read_all(file, &size);
    Events e;
    GdkPixbuf *pb = gdk_pixbuf_new_from_file(file, &err);
    expect_error(pb, err, "new_from_file");
    err = NULL;
    pb = gdk_pixbuf_new_from_file_at_scale(file, 16, 16, TRUE, &err);
    expect_error(pb, err, "at_scale");
    err = NULL;
    pb = feed(dlic_loader(), d, size, 1, &e, &err);
    expect_error(pb, err, "byte loader");
    g_free(d);
    return 0;
}

static int cmd_mime(const char *file)
{
    gsize size;
    guint8 *d = read_all(file, &size);
    gboolean uncertain = FALSE;
    gchar *type = g_content_type_guess(file, d, MIN(size, 4096), &uncertain);
    gchar *mime = g_content_type_get_mime_type(type);
    printf("%s\n", mime ? mime : type);
    g_free(mime);
    g_free(type);
    g_free(d);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: test-pixbuf load|info|scale|bytes|sniff|threads|fail|mime FILE ...\n");
        return 2;
    }
    prog_cmd = argv[1];
    const char *c = argv[1], *f = argv[2];
    if (!strcmp(c, "load") && (argc == 4 || argc == 5))
        return cmd_load(f, argv[3], argc == 5 ? argv[4] : NULL);
    if (!strcmp(c, "info") && argc == 5)
        return cmd_info(f, atoi(argv[3]), atoi(argv[4]));
    if (!strcmp(c, "scale") && argc == 6)
        return cmd_scale(f, atoi(argv[3]), atoi(argv[4]), argv[5]);
    if (!strcmp(c, "bytes") && (argc == 4 || argc == 5))
        return cmd_bytes(f, argv[3], argc == 5 ? argv[4] : NULL);
    if (!strcmp(c, "sniff") && argc == 4)
        return cmd_sniff(f, argv[3]);
    if (!strcmp(c, "threads") && argc == 4)
        return cmd_threads(f, argv[3]);
    if (!strcmp(c, "fail") && argc == 3)
        return cmd_fail(f);
    if (!strcmp(c, "mime") && argc == 3)
        return cmd_mime(f);
    fprintf(stderr, "test-pixbuf: bad arguments\n");
    return 2;
}
