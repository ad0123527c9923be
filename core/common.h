/* The bottom layer: internal helpers shared by every part of the library
 * (error propagation, checked sizes, byte order, SPEC §1 arithmetic). */
#ifndef DLIC_CORE_COMMON_H
#define DLIC_CORE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "dlic/dlic.h"

/* Return err from the current function when cond holds (zstd style). */
#define DLIC_CHECK(cond, err) \
    do { if (cond) return (err); } while (0)
/* Propagate a nonzero dlic_error. */
#define DLIC_TRY(expr) \
    do { int dlic_try_r_ = (expr); if (dlic_try_r_) return dlic_try_r_; } while (0)

/* Overflow-checked size arithmetic: return 0 on success, 1 on overflow. */
static inline int dlic_mul_size(size_t a, size_t b, size_t *r)
{
    return __builtin_mul_overflow(a, b, r);
}
static inline int dlic_add_size(size_t a, size_t b, size_t *r)
{
    return __builtin_add_overflow(a, b, r);
}

static inline int32_t dlic_clamp32(int64_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : v > hi ? hi : (int32_t)v;
}

/* SPEC §1 rshr(): rounding shift right, halves towards +infinity. */
static inline int64_t dlic_rshr64(int64_t v, unsigned s)
{
    return s ? (v + ((int64_t)1 << (s - 1))) >> s : v;
}

static inline uint16_t dlic_rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t dlic_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t dlic_rd64(const uint8_t *p)
{
    return (uint64_t)dlic_rd32(p) | (uint64_t)dlic_rd32(p + 4) << 32;
}
static inline void dlic_wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void dlic_wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void dlic_wr64(uint8_t *p, uint64_t v)
{
    dlic_wr32(p, (uint32_t)v); dlic_wr32(p + 4, (uint32_t)(v >> 32));
}

#endif
