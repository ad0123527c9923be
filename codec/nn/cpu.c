/* CPU feature detection with cpuid/xgetbv (x86); SIMD128 in a -msimd128
 * WebAssembly build (fixed when it is built); no features elsewhere. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dlic/dlic.h"
#include "codec/nn/cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long xgetbv0(void)
{
    unsigned lo, hi;
    /* Raw encoding of xgetbv: no -mxsave needed for this file. */
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
    return (unsigned long long)hi << 32 | lo;
}

static unsigned detect(void)
{
    unsigned a, b, c, d, flags = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    const int osxsave = c >> 27 & 1, avx = c >> 28 & 1, fma = c >> 12 & 1;
    if (!osxsave || !avx)
        return 0;
    const unsigned long long xcr0 = xgetbv0();
    if ((xcr0 & 0x6) != 0x6)                /* XMM and YMM state */
        return 0;
    if (__get_cpuid_max(0, NULL) < 7)
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    const int avx2 = b >> 5 & 1;
    if (avx2 && fma)
        flags |= DLIC_CPU_AVX2;
    /* AVX-VNNI (VEX vpdpbusd/vpdpwssd on ymm): leaf 7 subleaf 1 (a: the
     * highest subleaf), EAX bit 4; its kernels need AVX2, FMA and the YMM
     * state as well. */
    if ((flags & DLIC_CPU_AVX2) && a >= 1) {
        unsigned a1, b1, c1, d1;
        __cpuid_count(7, 1, a1, b1, c1, d1);
        if (a1 >> 4 & 1)
            flags |= DLIC_CPU_AVXVNNI;
    }
    /* AVX-512 kernels are built with F, BW, VL, DQ and VNNI (Makefile) and
     * need the opmask and ZMM state enabled by the OS. */
    const int f = b >> 16 & 1, dq = b >> 17 & 1, bw = b >> 30 & 1, vl = b >> 31 & 1;
    const int vnni = c >> 11 & 1;
    if ((flags & DLIC_CPU_AVX2) && f && dq && bw && vl && vnni &&
        (xcr0 & 0xE6) == 0xE6)
        flags |= DLIC_CPU_AVX512;
    return flags;
}
#elif defined(__wasm_simd128__)
/* A module built with SIMD128 does not load where SIMD128 is missing. */
static unsigned detect(void) { return DLIC_CPU_SIMD128; }
#else
static unsigned detect(void) { return 0; }
#endif

static pthread_once_t detect_once = PTHREAD_ONCE_INIT;
static unsigned detected;

static void detect_init(void) { detected = detect(); }

unsigned dlic_cpu_detect(void)
{
    pthread_once(&detect_once, detect_init);
    return detected;
}

static unsigned env_mask(void)
{
    const char *e = getenv("DLIC_CPU");
    if (!e)
        return ~0u;
    if (!strcmp(e, "scalar"))
        return 0;
    if (!strcmp(e, "avx2"))
        return DLIC_CPU_AVX2;
    if (!strcmp(e, "avxvnni"))
        return DLIC_CPU_AVX2 | DLIC_CPU_AVXVNNI;
    if (!strcmp(e, "avx512"))
        return DLIC_CPU_AVX2 | DLIC_CPU_AVXVNNI | DLIC_CPU_AVX512;
    if (!strcmp(e, "simd128"))
        return DLIC_CPU_SIMD128;
    return ~0u;
}

unsigned dlic_cpu_flags(unsigned mask)
{
    return dlic_cpu_detect() & mask & env_mask();
}
