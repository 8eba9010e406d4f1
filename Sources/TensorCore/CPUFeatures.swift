// The processor's identity and vector extensions, as CPUID reports them. Used to choose OpenBLAS's kernels
// (`OpenBLASCore`) and shown by `rlft --version`.
import CPUInfo
import Foundation

/// What this processor can execute: vendor, model and the vector extensions the OS has enabled.
public struct CPUFeatures: Sendable, Equatable {
    public var vendor: String
    public var brand: String
    public var family: Int
    public var model: Int
    public var sse3 = false, ssse3 = false, sse4_1 = false, sse4_2 = false
    public var avx = false, avx2 = false, fma = false, f16c = false
    public var avx512f = false, avx512dq = false, avx512cd = false, avx512bw = false, avx512vl = false
    public var avx512vnni = false, avx512bf16 = false, avx512fp16 = false
    public var amxTile = false

    /// A processor with the given identity and no extensions; set the flags that apply.
    public init(vendor: String = "", brand: String = "", family: Int = 0, model: Int = 0) {
        self.vendor = vendor
        self.brand = brand
        self.family = family
        self.model = model
    }

    /// This machine's processor, read once.
    public static let current: CPUFeatures = {
        var info = rlft_cpu_info()
        rlft_read_cpu_info(&info)
        var cpu = CPUFeatures(vendor: cString(info.vendor), brand: cString(info.brand),
                              family: Int(info.family), model: Int(info.model))
        cpu.sse3 = info.sse3; cpu.ssse3 = info.ssse3; cpu.sse4_1 = info.sse4_1; cpu.sse4_2 = info.sse4_2
        cpu.avx = info.avx; cpu.avx2 = info.avx2; cpu.fma = info.fma; cpu.f16c = info.f16c
        cpu.avx512f = info.avx512f; cpu.avx512dq = info.avx512dq; cpu.avx512cd = info.avx512cd
        cpu.avx512bw = info.avx512bw; cpu.avx512vl = info.avx512vl; cpu.avx512vnni = info.avx512vnni
        cpu.avx512bf16 = info.avx512bf16; cpu.avx512fp16 = info.avx512fp16; cpu.amxTile = info.amx_tile
        return cpu
    }()

    /// The AVX-512 subset OpenBLAS's SkylakeX kernels execute (F, DQ, CD, BW, VL).
    public var hasSkylakeXAVX512: Bool { avx512f && avx512dq && avx512cd && avx512bw && avx512vl }

    /// The vector extensions present, oldest first, in the spelling of Intel's manuals.
    public var vectorExtensions: [String] {
        let all: [(Bool, String)] = [
            (sse3, "SSE3"), (ssse3, "SSSE3"), (sse4_1, "SSE4.1"), (sse4_2, "SSE4.2"), (avx, "AVX"), (f16c, "F16C"),
            (fma, "FMA"), (avx2, "AVX2"), (avx512f, "AVX-512F"), (avx512dq, "AVX-512DQ"), (avx512cd, "AVX-512CD"),
            (avx512bw, "AVX-512BW"), (avx512vl, "AVX-512VL"), (avx512vnni, "AVX-512VNNI"),
            (avx512bf16, "AVX-512BF16"), (avx512fp16, "AVX-512FP16"), (amxTile, "AMX"),
        ]
        return all.filter(\.0).map(\.1)
    }

    /// One line for logs and `--version`: brand, family and model, then the vector extensions.
    public var summary: String {
        let name = brand.trimmingCharacters(in: .whitespaces)
        return "\(name.isEmpty ? vendor : name) (\(vendor), family \(family), model \(model)): "
            + (vectorExtensions.isEmpty ? "no vector extensions detected" : vectorExtensions.joined(separator: " "))
    }
}

/// A NUL-terminated C character array as a Swift string.
private func cString<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { raw in
        let bytes = raw.prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
    }
}
