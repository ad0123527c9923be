/* The C functions that the WebAssembly module exports (glue.c); dlic.mjs
 * calls them. One model and one context per module instance. */
#ifndef DLIC_WASM_GLUE_H
#define DLIC_WASM_GLUE_H

#include <stddef.h>
#include <stdint.h>

/* Load a model file's bytes and open a one-thread context: a dlic_error. */
int dlicw_open(const uint8_t *data, size_t size);
/* Decode a stream (lite: with g_s lite, SPEC §8.7): a dlic_error; then
 * the picture's accessors below. */
int dlicw_decode(const uint8_t *data, size_t size, int lite);
uint32_t dlicw_width(void);
uint32_t dlicw_height(void);
int dlicw_gray(void);
const uint8_t *dlicw_rgba(void);   /* width * height * 4 bytes */
const char *dlicw_hash(void);      /* "xxh3:<16 hex>" of the RGB pixels, SPEC §9 */
void dlicw_release(void);          /* the picture */
void dlicw_close(void);            /* the picture, the context, the model */
/* SPEC §9 hash of the RGB of w * h RGBA pixels (a canvas's), into a
 * static string; NULL when out of memory. */
const char *dlicw_hash_rgba(const uint8_t *rgba, uint32_t w, uint32_t h);
const char *dlicw_error(int err);
const char *dlicw_version(void);
int dlicw_has_lite(void);          /* the model has g_s lite (SPEC §8.7) */

#endif
