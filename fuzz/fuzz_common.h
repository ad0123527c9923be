/* Shared helpers of the fuzz targets (see fuzz/README.md). */
#ifndef DLIC_FUZZ_COMMON_H
#define DLIC_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "dlic/dlic.h"

/* Every target defines this (libFuzzer's entry point). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bits of the first input byte of the probe and decode targets. Bits 2-4
 * are set in inputs that libFuzzer found with the plain model only, so the
 * model bit is bit 5 (fuzz/README.md). */
#define FUZZ_FIX_CHECKS 1u     /* recompute every chunk's XXH32 check */
#define FUZZ_FIX_MODEL 2u      /* write the picked model's id into HEAD */
#define FUZZ_CB_MODEL 32u      /* pick the checkerboard-context test model */

/* The test model picked by flags (embedded, fuzz/test_model.S):
 * weights/dlic-test-cb.dlicm with FUZZ_CB_MODEL, else
 * weights/dlic-test.dlicm. Parsed once; aborts if one does not load. */
const dlic_model *fuzz_test_model(unsigned flags);

/* A malloc'd copy of data with the fix-ups of flags applied: chunks are
 * walked leniently (the walk stops at the first chunk that does not fit),
 * their checks rewritten and HEAD given the id of fuzz_test_model(flags),
 * so that mutated streams reach the checks behind the checksums and the
 * model check. Aborts on allocation failure. */
uint8_t *fuzz_fixup(const uint8_t *data, size_t size, unsigned flags);

#endif
