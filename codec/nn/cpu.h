/* CPU features usable by the kernels (enum dlic_cpu bits). */
#ifndef DLIC_NN_CPU_H
#define DLIC_NN_CPU_H

/* Features the CPU and OS support (cached after the first call). */
unsigned dlic_cpu_detect(void);

/* What the kernels may use: detected AND mask AND the DLIC_CPU environment
 * variable ("scalar", "avx2", "avxvnni" or "avx512", each allowing the
 * ones before it, or "simd128"; unset or other: no restriction). */
unsigned dlic_cpu_flags(unsigned mask);

#endif
