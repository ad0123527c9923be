/* Shared helpers of the fuzz targets (see fuzz/README.md). */
#ifndef DLIC_FUZZ_COMMON_H
#define DLIC_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "dlic/dlic.h"

/* Every target defines this (libFuzzer's entry point). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bits of the first input byte of the probe and decode targets. */
#define FUZZ_FIX_CHECKS 1u     /* recompute every chunk's XXH32 check */
#define FUZZ_FIX_MODEL 2u      /* write the test model's id into HEAD */

/* The test model weights/dlic-test.dlicm (embedded, fuzz/test_model.S),
 * parsed once; aborts if it does not load. */
const dlic_model *fuzz_test_model(void);

/* A malloc'd copy of data with the fix-ups of flags applied: chunks are
 * walked leniently (the walk stops at the first chunk that does not fit)
 * and their checks rewritten, so that mutated streams reach the checks
 * behind the checksums. Aborts on allocation failure. */
uint8_t *fuzz_fixup(const uint8_t *data, size_t size, unsigned flags);

#endif
