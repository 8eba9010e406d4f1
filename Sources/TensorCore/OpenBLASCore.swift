// Which of OpenBLAS's kernel families ("cores") a processor should run. OpenBLAS built with DYNAMIC_ARCH (as
// Debian ships it) picks one at load time from CPUID, but only for the models it knows: 0.3.21 falls back to
// its SSE3 "Prescott" kernels on Intel's family-6 model 207 (an AVX-512 Xeon), about 7× slower at sgemm.
// This file decides from CPUID features instead of model numbers; BLAS.swift applies the decision.

/// OpenBLAS's kernel families, ranked by the widest vector instructions they use, and the choice for a CPU.
public enum OpenBLASCore {
    /// The instruction-set tier of an OpenBLAS core name (`openblas_get_corename()`, any case): 0 for SSE-era
    /// kernels, 1 for AVX, 2 for AVX2 with FMA, 3 for AVX-512. Nil for a name this table does not know (a newer
    /// OpenBLAS, another architecture): such a choice is never overridden.
    public static func tier(_ name: String) -> Int? {
        switch name.lowercased() {
        case "unknown", "generic", "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2",
             "penryn", "dunnington", "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "bobcat":
            return 0
        case "sandybridge", "bulldozer", "piledriver", "steamroller":
            return 1
        case "haswell", "excavator", "zen":
            return 2
        case "skylakex", "cooperlake", "sapphirerapids":
            return 3
        default:
            return nil
        }
    }

    /// Whether `name` is a kernel family that uses no AVX (SSE3/SSSE3/SSE4 era).
    public static func isSSEEra(_ name: String) -> Bool { tier(name) == 0 }

    /// The fastest OpenBLAS 0.3.21 core whose instructions `cpu` executes, or nil when it has no AVX
    /// (OpenBLAS's own choice is then as good as any).
    ///
    /// AVX-512 (F, DQ, CD, BW, VL) → Cooperlake with BF16, SkylakeX without (their sgemm kernels are the same;
    /// Cooperlake adds bfloat16 GEMM). AVX2 with FMA → Zen on AMD, Haswell elsewhere. AVX → Sandybridge.
    public static func best(for cpu: CPUFeatures) -> String? {
        if cpu.hasSkylakeXAVX512 && cpu.avx2 && cpu.fma { return cpu.avx512bf16 ? "Cooperlake" : "SkylakeX" }
        if cpu.avx2 && cpu.fma { return cpu.vendor == "AuthenticAMD" ? "Zen" : "Haswell" }
        if cpu.avx { return "Sandybridge" }
        return nil
    }

    /// The core to switch OpenBLAS to, or nil to keep the one it chose.
    ///
    /// A user's `OPENBLAS_CORETYPE` always wins. Otherwise OpenBLAS's choice is replaced only when it is a
    /// known family of a lower tier than the CPU supports: OpenBLAS did not recognise the CPU.
    public static func replacement(forChosen chosen: String, cpu: CPUFeatures, userCoreType: String?) -> String? {
        if let user = userCoreType, !user.isEmpty { return nil }
        guard let chosenTier = tier(chosen), let best = best(for: cpu), let bestTier = tier(best),
              chosenTier < bestTier else { return nil }
        return best
    }
}
