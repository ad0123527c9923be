/*
 * gdk-pixbuf loader for DLIC images (decoder only).
 *
 * Incremental loading buffers the bytes and follows the chunk framing
 * (SPEC §4.1) as they arrive: once HEAD is complete the size-prepared
 * callback gets the real size; once DEND is complete the whole stream is
 * decoded with libdlic. A stream that ends early is decoded at stop_load,
 * which then reports libdlic's error. Gray streams (SPEC §3.1) become RGB
 * pixbufs. Each load has its own context, so the module is thread-safe.
 *
 * A caller that asks for at most half the width and half the height (a
 * thumbnail: gdk-pixbuf-thumbnailer asks for 128 to 1024 pixels) gets the
 * lite synthesis (SPEC §8.7) when the model has one: about 2.5 times
 * faster, and its loss of detail is hidden by the downscaling.
 */
#define GDK_PIXBUF_ENABLE_BACKEND
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gmodule.h>
#include <string.h>

#include "dlic/dlic.h"

#define HEAD_CHUNK_END (DLIC_SIGNATURE_SIZE + 8 + 24 + 4)  /* SPEC §4.1, §4.3 */

typedef struct {
    GdkPixbufModuleSizeFunc size_func;
    GdkPixbufModulePreparedFunc prepared_func;
    GdkPixbufModuleUpdatedFunc updated_func;
    gpointer user_data;

    GByteArray *data;
    gboolean size_done;     /* size_func called (or the header is invalid) */
    gboolean size_only;     /* the caller asked for 0 x 0: no decoding */
    gboolean complete;      /* DEND arrived */
    gboolean decoded;       /* the pixbuf was handed out */
    int want_width, want_height;
    int width, height;      /* the stream's, from HEAD */
} DlicContext;

static void set_dlic_error(GError **error, int err)
{
    int code;
    switch (err) {
    case DLIC_ERR_NOMEM:
        code = GDK_PIXBUF_ERROR_INSUFFICIENT_MEMORY;
        break;
    case DLIC_ERR_NOT_DLIC:
        code = GDK_PIXBUF_ERROR_UNKNOWN_TYPE;
        break;
    case DLIC_ERR_UNSUPPORTED:
    case DLIC_ERR_MODEL_MISMATCH:
        code = GDK_PIXBUF_ERROR_UNSUPPORTED_OPERATION;
        break;
    case DLIC_ERR_TRUNCATED:
    case DLIC_ERR_CORRUPT:
    case DLIC_ERR_CHECKSUM:
        code = GDK_PIXBUF_ERROR_CORRUPT_IMAGE;
        break;
    default:
        code = GDK_PIXBUF_ERROR_FAILED;
        break;
    }
    g_set_error(error, GDK_PIXBUF_ERROR, code, "Cannot load DLIC image: %s",
                dlic_strerror(err));
}

static gpointer dlic_begin_load(GdkPixbufModuleSizeFunc size_func,
                                GdkPixbufModulePreparedFunc prepared_func,
                                GdkPixbufModuleUpdatedFunc updated_func,
                                gpointer user_data, GError **error)
{
    (void)error;
    DlicContext *c = g_new0(DlicContext, 1);
    c->size_func = size_func;
    c->prepared_func = prepared_func;
    c->updated_func = updated_func;
    c->user_data = user_data;
    c->data = g_byte_array_new();
    return c;
}

/* Gray samples are replicated into R, G and B. */
static GdkPixbuf *picture_to_pixbuf(const dlic_picture *pic)
{
    GdkPixbuf *pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8,
                                   (int)pic->width, (int)pic->height);
    if (!pb)
        return NULL;
    guint8 *dst = gdk_pixbuf_get_pixels(pb);
    gsize dst_stride = (gsize)gdk_pixbuf_get_rowstride(pb);
    for (guint32 y = 0; y < pic->height; y++) {
        const guint8 *s = pic->data + y * pic->stride;
        guint8 *d = dst + y * dst_stride;
        if (pic->colour == DLIC_GRAY) {
            for (guint32 x = 0; x < pic->width; x++)
                d[3 * x] = d[3 * x + 1] = d[3 * x + 2] = s[x];
        } else {
            memcpy(d, s, (gsize)pic->width * 3);
        }
    }
    if (pic->icc && pic->icc_size) {
        /* The key and encoding the PNG and JPEG loaders use. */
        gchar *b64 = g_base64_encode(pic->icc, pic->icc_size);
        gdk_pixbuf_set_option(pb, "icc-profile", b64);
        g_free(b64);
    }
    return pb;
}

/* Decode the buffered stream, scale it to the size the caller asked for
 * and hand it out through the prepared and updated callbacks. */
static gboolean decode(DlicContext *c, GError **error)
{
    dlic_context *dec = NULL;
    dlic_picture pic;
    memset(&pic, 0, sizeof(pic));
    dlic_settings s;
    dlic_default_settings(&s);
    const dlic_model *m = NULL;
    s.lite = c->want_width > 0 && c->want_height > 0 &&
             2 * c->want_width <= c->width && 2 * c->want_height <= c->height &&
             dlic_model_default(&m) == DLIC_OK &&
             dlic_model_layer_count(m, DLIC_G_S_LITE) > 0;
    int err = dlic_open(&dec, &s);
    if (err == DLIC_OK)
        err = dlic_decode(dec, c->data->data, c->data->len, &pic);
    dlic_close(&dec);
    if (err != DLIC_OK) {
        set_dlic_error(error, err);
        return FALSE;
    }
    g_byte_array_set_size(c->data, 0);         /* the stream is done with */
    GdkPixbuf *pb = picture_to_pixbuf(&pic);
    dlic_picture_free(&pic);
    if (!pb) {
        set_dlic_error(error, DLIC_ERR_NOMEM);
        return FALSE;
    }
    if (c->want_width > 0 && c->want_height > 0 &&
        (c->want_width != gdk_pixbuf_get_width(pb) ||
         c->want_height != gdk_pixbuf_get_height(pb))) {
        GdkPixbuf *scaled = gdk_pixbuf_scale_simple(pb, c->want_width,
                                                    c->want_height,
                                                    GDK_INTERP_BILINEAR);
        if (scaled) {
            /* scale_simple drops the options; keep the ICC profile. */
            gdk_pixbuf_copy_options(pb, scaled);
            g_object_unref(pb);
            pb = scaled;
        } else {
            g_object_unref(pb);
            set_dlic_error(error, DLIC_ERR_NOMEM);
            return FALSE;
        }
    }
    c->decoded = TRUE;
    if (c->prepared_func)
        c->prepared_func(pb, NULL, c->user_data);
    if (c->updated_func)
        c->updated_func(pb, 0, 0, gdk_pixbuf_get_width(pb),
                        gdk_pixbuf_get_height(pb), c->user_data);
    g_object_unref(pb);
    return TRUE;
}

/* HEAD is complete: let dlic_probe verify its checksum and read it, then
 * report the size. Fields out of range wait for the decoder's error. */
static gboolean head_arrived(DlicContext *c, GError **error)
{
    dlic_stream_info info;
    int err = dlic_probe(c->data->data, HEAD_CHUNK_END, &info);
    if (err != DLIC_ERR_TRUNCATED) {
        set_dlic_error(error, err == DLIC_OK ? DLIC_ERR_CORRUPT : err);
        return FALSE;
    }
    c->size_done = TRUE;
    if (info.nchunks < 1 || strcmp(info.chunks[0].type, "HEAD") ||
        info.width < 1 || info.width > DLIC_MAX_DIMENSION ||
        info.height < 1 || info.height > DLIC_MAX_DIMENSION)
        return TRUE;
    int w = (int)info.width, h = (int)info.height;
    c->width = w;
    c->height = h;
    if (c->size_func) {
        c->size_func(&w, &h, c->user_data);
        if (w == 0 || h == 0) {
            c->size_only = TRUE;
            g_byte_array_set_size(c->data, 0);
            return TRUE;
        }
    }
    c->want_width = w;
    c->want_height = h;
    return TRUE;
}

/* The chunk framing over the bytes that have arrived (dlic_stream_need):
 * the size once HEAD is whole, and whether DEND has come. */
static gboolean scan(DlicContext *c, GError **error)
{
    const guint8 *d = c->data->data;
    gsize n = c->data->len;
    size_t need;
    int err = dlic_stream_need(d, n, &need);
    if (err != DLIC_OK && err != DLIC_ERR_TRUNCATED) {
        set_dlic_error(error, err);
        return FALSE;
    }
    if (!c->size_done && n >= HEAD_CHUNK_END) {
        /* SPEC §4.2: HEAD comes first; if not, the decoder reports why. */
        if (!memcmp(d + DLIC_SIGNATURE_SIZE, "\x18\0\0\0HEAD", 8)) {
            if (!head_arrived(c, error))
                return FALSE;
            if (c->size_only)
                return TRUE;
        } else {
            c->size_done = TRUE;
        }
    }
    c->complete = err == DLIC_OK;
    return TRUE;
}

static gboolean dlic_load_increment(gpointer context, const guchar *buf,
                                    guint size, GError **error)
{
    DlicContext *c = context;
    if (c->size_only)
        return TRUE;
    if (c->decoded) {
        /* SPEC §4.2 rule 4: nothing may follow DEND. */
        if (size) {
            set_dlic_error(error, DLIC_ERR_CORRUPT);
            return FALSE;
        }
        return TRUE;
    }
    g_byte_array_append(c->data, buf, size);
    if (!scan(c, error))
        return FALSE;
    if (c->complete && !c->size_only)
        return decode(c, error);
    return TRUE;
}

static gboolean dlic_stop_load(gpointer context, GError **error)
{
    DlicContext *c = context;
    gboolean ok = TRUE;
    if (!c->size_only && !c->decoded) {
        /* An incomplete stream: the decoder names what is wrong. */
        if (c->data->len == 0) {
            g_set_error(error, GDK_PIXBUF_ERROR,
                        GDK_PIXBUF_ERROR_CORRUPT_IMAGE,
                        "Cannot load DLIC image: the file is empty");
            ok = FALSE;
        } else {
            ok = decode(c, error);
        }
    }
    g_byte_array_unref(c->data);
    g_free(c);
    return ok;
}

G_MODULE_EXPORT void fill_vtable(GdkPixbufModule *module);
G_MODULE_EXPORT void fill_info(GdkPixbufFormat *info);

G_MODULE_EXPORT void fill_vtable(GdkPixbufModule *module)
{
    module->begin_load = dlic_begin_load;
    module->stop_load = dlic_stop_load;
    module->load_increment = dlic_load_increment;
}

G_MODULE_EXPORT void fill_info(GdkPixbufFormat *info)
{
    /* SPEC §4.1: the 8-byte signature, every byte exact (mask NULL). */
    static GdkPixbufModulePattern signature_pattern[] = {
        { (char *)DLIC_SIGNATURE, NULL, 100 },
        { NULL, NULL, 0 }
    };
    static gchar *mime_types[] = { (gchar *)"image/x-dlic", NULL };
    static gchar *extensions[] = { (gchar *)"dlic", NULL };

    info->name = (gchar *)"dlic";
    info->signature = signature_pattern;
    info->description = (gchar *)"DLIC learned lossy image";
    info->mime_types = mime_types;
    info->extensions = extensions;
    info->flags = GDK_PIXBUF_FORMAT_THREADSAFE;
    info->license = (gchar *)"other";
}
