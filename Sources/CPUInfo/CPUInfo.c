// CPUID leaves and bits: Intel 64 and IA-32 Architectures Software Developer's Manual, vol. 2A, "CPUID";
// XCR0 state components: vol. 1, §13.
#include "CPUInfo.h"
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long read_xcr0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

static bool bit(unsigned int word, int index) { return (word >> index) & 1u; }

void rlft_read_cpu_info(rlft_cpu_info *info) {
    memset(info, 0, sizeof *info);
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return;
    unsigned int maxLeaf = eax;
    memcpy(info->vendor + 0, &ebx, 4);
    memcpy(info->vendor + 4, &edx, 4);
    memcpy(info->vendor + 8, &ecx, 4);

    __get_cpuid(1, &eax, &ebx, &ecx, &edx);
    int baseFamily = (eax >> 8) & 0xf, baseModel = (eax >> 4) & 0xf;
    info->family = baseFamily == 0xf ? baseFamily + ((eax >> 20) & 0xff) : baseFamily;
    info->model = (baseFamily == 0x6 || baseFamily == 0xf) ? (((eax >> 16) & 0xf) << 4) + baseModel : baseModel;
    info->sse3 = bit(ecx, 0);
    info->ssse3 = bit(ecx, 9);
    info->sse4_1 = bit(ecx, 19);
    info->sse4_2 = bit(ecx, 20);
    // AVX needs the OS to save YMM state (XCR0 bits 1 and 2); AVX-512 also needs opmask and ZMM (bits 5–7).
    bool osxsave = bit(ecx, 27);
    unsigned long long xcr0 = osxsave ? read_xcr0() : 0;
    bool osAVX = (xcr0 & 0x6) == 0x6;
    bool osAVX512 = osAVX && (xcr0 & 0xe0) == 0xe0;
    info->avx = osAVX && bit(ecx, 28);
    info->fma = osAVX && bit(ecx, 12);
    info->f16c = osAVX && bit(ecx, 29);

    if (maxLeaf >= 7) {
        __cpuid_count(7, 0, eax, ebx, ecx, edx);
        unsigned int subleaves = eax;
        info->avx2 = osAVX && bit(ebx, 5);
        info->avx512f = osAVX512 && bit(ebx, 16);
        info->avx512dq = osAVX512 && bit(ebx, 17);
        info->avx512cd = osAVX512 && bit(ebx, 28);
        info->avx512bw = osAVX512 && bit(ebx, 30);
        info->avx512vl = osAVX512 && bit(ebx, 31);
        info->avx512vnni = osAVX512 && bit(ecx, 11);
        info->avx512fp16 = osAVX512 && bit(edx, 23);
        info->amx_tile = bit(edx, 24);
        if (subleaves >= 1) {
            __cpuid_count(7, 1, eax, ebx, ecx, edx);
            info->avx512bf16 = osAVX512 && bit(eax, 5);
        }
    }

    __get_cpuid(0x80000000, &eax, &ebx, &ecx, &edx);
    if (eax >= 0x80000004) {
        unsigned int words[12];
        for (unsigned int leaf = 0; leaf < 3; leaf++)
            __get_cpuid(0x80000002 + leaf, &words[4 * leaf], &words[4 * leaf + 1], &words[4 * leaf + 2], &words[4 * leaf + 3]);
        memcpy(info->brand, words, 48);
        info->brand[48] = 0;
    }
}

#else

void rlft_read_cpu_info(rlft_cpu_info *info) { memset(info, 0, sizeof *info); }

#endif
