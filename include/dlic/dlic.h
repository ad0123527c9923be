/*
 * DLIC - learned lossy image codec with bit-exact integer decoding.
 *
 * The one public header of libdlic. Everything the library does is between
 * memory buffers: file I/O belongs to the caller. The bitstream is defined
 * in SPEC.md; section numbers below refer to it.
 *
 * Ownership: a function that returns a buffer through an out-parameter
 * allocates it on success only; release it with dlic_free() (byte buffers)
 * or dlic_picture_free() (pictures). On failure out-parameters are set to
 * NULL/0 and nothing needs freeing.
 */
#ifndef DLIC_DLIC_H
#define DLIC_DLIC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(DLIC_BUILDING_LIBRARY) && defined(__GNUC__)
#define DLIC_API __attribute__((visibility("default")))
#else
#define DLIC_API
#endif

#define DLIC_VERSION_MAJOR 0
#define DLIC_VERSION_MINOR 1
#define DLIC_VERSION_PATCH 0
#define DLIC_VERSION_NUMBER \
    ((DLIC_VERSION_MAJOR << 16) | (DLIC_VERSION_MINOR << 8) | DLIC_VERSION_PATCH)

/* Runtime version: "0.1.0"; dlic_version_number() as DLIC_VERSION_NUMBER. */
DLIC_API const char *dlic_version(void);
DLIC_API unsigned dlic_version_number(void);

/* Every failing function returns one of these (fixed values, never reused). */
typedef enum dlic_error {
    DLIC_OK = 0,
    DLIC_ERR_INVALID_ARG = 1,    /* NULL pointer, out-of-range setting */
    DLIC_ERR_NOMEM = 2,          /* allocation failed */
    DLIC_ERR_NOT_DLIC = 3,       /* no DLIC signature */
    DLIC_ERR_TRUNCATED = 4,      /* data ends early */
    DLIC_ERR_CORRUPT = 5,        /* structurally invalid stream */
    DLIC_ERR_CHECKSUM = 6,       /* a chunk checksum does not match */
    DLIC_ERR_UNSUPPORTED = 7,    /* valid but unsupported version/feature */
    DLIC_ERR_MODEL_MISMATCH = 8, /* stream made with another model */
    DLIC_ERR_BAD_MODEL = 9,      /* model file invalid */
    DLIC_ERR_LIMIT = 10,         /* exceeds max_pixels / max_memory */
    DLIC_ERR_STATE = 11,         /* context failed earlier; close it */
} dlic_error;

/* A static one-line message for an error code; never NULL. */
DLIC_API const char *dlic_strerror(int err);

/* ------------------------------------------------------------------ model */

/* A loaded model file (SPEC §8). Immutable after loading; one model can be
 * shared by any number of contexts and threads. */
typedef struct dlic_model dlic_model;

/* The model embedded in the library (weights/default.dlicm). The returned
 * object is static: dlic_model_free() on it is a no-op. */
DLIC_API int dlic_model_default(const dlic_model **model);

/* Parse and check a model file held in memory (copied; the caller keeps
 * ownership of data). Fails with DLIC_ERR_BAD_MODEL on any violation of
 * SPEC §8.6. */
DLIC_API int dlic_model_load(dlic_model **model, const uint8_t *data, size_t size);

/* Frees a model from dlic_model_load() and sets *model to NULL. The model
 * must outlive every context that uses it. */
DLIC_API void dlic_model_free(dlic_model **model);

DLIC_API uint64_t dlic_model_id(const dlic_model *model);       /* SPEC §8 */
/* XXH64 of the model file's g_s lite extension (SPEC §8.7), which the
 * model id leaves out; 0 when the file has none. */
DLIC_API uint64_t dlic_model_lite_id(const dlic_model *model);
DLIC_API const char *dlic_model_name(const dlic_model *model);
DLIC_API int dlic_model_is_test(const dlic_model *model);        /* flags bit 0 */

/* c_ctx and c_ep: the checkerboard context (SPEC §6.1); g_s lite: the
 * optional smaller synthesis transform (SPEC §8.7, dlic_settings.lite). A
 * model without them has no layers in them (dlic_model_layer_count 0). */
enum dlic_transform { DLIC_G_A = 0, DLIC_H_A = 1, DLIC_H_S = 2, DLIC_G_S = 3,
                      DLIC_C_CTX = 4, DLIC_C_EP = 5, DLIC_G_S_LITE = 6 };

typedef struct dlic_layer_info {
    unsigned cin, cout, k, stride, shuffle;
    int lo, hi;                 /* output clamp range */
    double macs_per_pixel;      /* per pixel of the full-resolution image */
} dlic_layer_info;

DLIC_API unsigned dlic_model_latent_channels(const dlic_model *model);  /* M */
DLIC_API unsigned dlic_model_hyper_channels(const dlic_model *model);   /* NZ */
DLIC_API unsigned dlic_model_layer_count(const dlic_model *model, int transform);
DLIC_API int dlic_model_layer(const dlic_model *model, int transform,
                              unsigned index, dlic_layer_info *info);

/* --------------------------------------------------------------- settings */

enum dlic_cpu {                 /* bits of dlic_settings.cpu_mask */
    DLIC_CPU_AVX2 = 1u << 0,
    DLIC_CPU_AVX512 = 1u << 1,  /* AVX-512 F/BW/VL with VNNI */
    DLIC_CPU_AVXVNNI = 1u << 2, /* AVX-VNNI (VEX, 256-bit) with AVX2 */
    DLIC_CPU_SIMD128 = 1u << 3, /* WebAssembly SIMD128 (a -msimd128 build) */
};

typedef struct dlic_settings {
    int quality;                /* 0..100, default 75 (encoder only) */
    int threads;                /* 0: all online cores; else 1..256 */
    uint64_t max_pixels;        /* 0: no limit; default 2^28 */
    uint64_t max_memory;        /* bytes of working memory; 0: no limit */
    unsigned cpu_mask;          /* AND-ed with detected features and with
                                   the DLIC_CPU environment variable;
                                   default all bits set */
    const dlic_model *model;    /* NULL: the embedded default model */
    /* Called with 0..100 during long work; NULL for none. */
    void (*progress)(void *opaque, int percent);
    void *progress_opaque;
    int rdo;                    /* encoder: 1 (default) rate-distortion
                                   optimised rounding of the latent, smaller
                                   files at the same quality; 0 rounds to
                                   the nearest (faster, larger) */
    int refine;                 /* encoder: 0 (default: what effort
                                   says) or 1..1000 iterations of latent
                                   refinement, a per-image search for a
                                   latent that g_s decodes better per bit */
    int effort;                 /* encoder: 1..9, default 5 (cjxl's
                                   convention). 1-4: nearest rounding of
                                   the latent (as rdo = 0); 5: rate-
                                   distortion optimised rounding; 6-9: also
                                   latent refinement with more iterations
                                   each (DLIC_EFFORT_ITERS), much slower,
                                   and the bytes may differ between CPU
                                   paths and thread counts (their decoding
                                   does not) */
    /* Called by the encoder's latent search (efforts 6-9) after every
     * scored candidate with the iteration reached, the iteration count and
     * the best candidate's estimated bits per pixel and RGB PSNR (float
     * synthesis); NULL for none. Gets progress_opaque. */
    void (*search_progress)(void *opaque, int iteration, int iterations, double bpp,
                            double psnr);
    int lite;                   /* decoder: 0 (default) synthesises with
                                   g_s; 1 with the model's g_s lite (SPEC
                                   §8.7), about a quarter of g_s's work,
                                   somewhat lower quality, the same
                                   streams; dlic_open() fails with
                                   DLIC_ERR_UNSUPPORTED when the model has
                                   none */
} dlic_settings;

#define DLIC_EFFORT_DEFAULT 5
#define DLIC_EFFORT_MAX 9

DLIC_API void dlic_default_settings(dlic_settings *s);

/* --------------------------------------------------------------- pictures */

enum dlic_colour { DLIC_RGB = 0, DLIC_GRAY = 1 };   /* SPEC §3.1 */

/* 8-bit interleaved pixels: channels = 3 for RGB, 1 for gray. */
typedef struct dlic_picture {
    uint32_t width, height;
    int colour;                 /* enum dlic_colour */
    size_t stride;              /* bytes per row, >= width * channels */
    uint8_t *data;
    /* Metadata (SPEC §4.4): optional; owned by the picture when it came from
       dlic_decode(), borrowed when passed to dlic_encode(). */
    const uint8_t *icc;
    size_t icc_size;
    const uint8_t *exif;
    size_t exif_size;
} dlic_picture;

/* Frees what dlic_decode() allocated and zeroes the struct. */
DLIC_API void dlic_picture_free(dlic_picture *pic);
DLIC_API void dlic_free(void *p);

/* ---------------------------------------------------------------- streams */

/* SPEC §4.1: the 8 bytes every stream starts with (for sniffing a file). */
#define DLIC_SIGNATURE "\x89" "DLIC\r\n\x1a"
#define DLIC_SIGNATURE_SIZE 8
/* SPEC §4.3: the largest width and height of a picture. */
#define DLIC_MAX_DIMENSION 65535

#define DLIC_MAX_CHUNKS 64

typedef struct dlic_chunk_info {
    char type[5];
    uint32_t length;
    uint64_t offset;            /* of the chunk's length field */
    int check_ok;
} dlic_chunk_info;

typedef struct dlic_stream_info {
    uint32_t width, height;
    int colour, bit_depth, quality;
    unsigned version_major, version_minor;
    uint64_t model_id;
    unsigned nchunks;           /* chunks listed, at most DLIC_MAX_CHUNKS */
    dlic_chunk_info chunks[DLIC_MAX_CHUNKS];
} dlic_stream_info;

/* Parse the container (SPEC §4) without decoding pixels: header fields and
 * the chunk list with checksum status. Returns DLIC_OK only when the whole
 * container is valid; on an error *info holds what was read before it. */
DLIC_API int dlic_probe(const uint8_t *data, size_t size, dlic_stream_info *info);

/* For a reader that receives a stream piece by piece: how many bytes the
 * whole stream needs, from its chunk framing (SPEC §4.1; lengths only, not
 * checksums or contents). On DLIC_OK data[0..size) holds a whole stream
 * and *need is its length (the DEND chunk's end; bytes beyond it are
 * DLIC_ERR_CORRUPT for dlic_decode()). DLIC_ERR_TRUNCATED: it ends early,
 * and no answer is possible before *need bytes (the end of the next chunk
 * header or chunk); call again once that many have arrived. Else
 * DLIC_ERR_NOT_DLIC (no signature), DLIC_ERR_CORRUPT (a chunk length
 * beyond SPEC §4.1's limit) or DLIC_ERR_LIMIT (a length beyond size_t),
 * *need 0. */
DLIC_API int dlic_stream_need(const uint8_t *data, size_t size, size_t *need);

/* --------------------------------------------------------------- contexts */

typedef struct dlic_context dlic_context;

/* Create a context; settings may be NULL for the defaults. */
DLIC_API int dlic_open(dlic_context **ctx, const dlic_settings *settings);

/* Destroy a context and set *ctx to NULL; NULL is allowed. */
DLIC_API void dlic_close(dlic_context **ctx);

/* Encode a picture; *out (size *out_size) is allocated on success. The same
 * input, settings and model give the same bytes on every machine, CPU path
 * and thread count. */
DLIC_API int dlic_encode(dlic_context *ctx, const dlic_picture *pic,
                         uint8_t **out, size_t *out_size);

/* Decode a stream into *pic (pixels, colour model of the stream, metadata
 * allocated on success). Fails with DLIC_ERR_MODEL_MISMATCH when the stream's
 * model id differs from the context's model. */
DLIC_API int dlic_decode(dlic_context *ctx, const uint8_t *data, size_t size,
                         dlic_picture *pic);

#ifdef __cplusplus
}
#endif

#endif /* DLIC_DLIC_H */
