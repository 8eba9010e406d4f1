// What the processor can execute, read with CPUID and XGETBV. TensorCore uses it to pick OpenBLAS's kernels
// when OpenBLAS's own detection does not know the CPU (see BLAS.swift). Plain C because Swift has no CPUID.
#ifndef RLFT_CPU_INFO_H
#define RLFT_CPU_INFO_H

#include <stdbool.h>

/// One reading of CPUID. A vector extension counts only when the operating system also saves its registers
/// (XCR0), because an AVX instruction faults otherwise.
typedef struct {
    char vendor[13];   ///< "GenuineIntel", "AuthenticAMD", … ("" off x86-64)
    char brand[49];    ///< the processor's brand string, as `lscpu` shows it
    int family;        ///< display family (base + extended family)
    int model;         ///< display model (extended model · 16 + base model on families 6 and 15 and above)
    bool sse3, ssse3, sse4_1, sse4_2;
    bool avx, avx2, fma, f16c;
    bool avx512f, avx512dq, avx512cd, avx512bw, avx512vl, avx512vnni, avx512bf16, avx512fp16;
    bool amx_tile;
} rlft_cpu_info;

/// Fills `info`; on a processor other than x86-64 every field is empty or false.
void rlft_read_cpu_info(rlft_cpu_info *info);

#endif
