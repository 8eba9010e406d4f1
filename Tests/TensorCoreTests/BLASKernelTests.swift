// The kernel OpenBLAS runs: the choice from CPUID features, the switch itself, and the rule that a CPU with
// AVX2 and FMA never runs an SSE-era kernel unless the user asked for one.
import Foundation
import TensorCore
import XCTest

final class BLASKernelTests: XCTestCase {
    /// The Intel Xeon (family 6, model 207) that OpenBLAS 0.3.21 does not know.
    private var xeon207: CPUFeatures {
        var cpu = CPUFeatures(vendor: "GenuineIntel", brand: "Intel(R) Xeon(R) Processor", family: 6, model: 207)
        cpu.sse3 = true; cpu.avx = true; cpu.avx2 = true; cpu.fma = true
        cpu.avx512f = true; cpu.avx512dq = true; cpu.avx512cd = true; cpu.avx512bw = true; cpu.avx512vl = true
        cpu.avx512bf16 = true; cpu.avx512fp16 = true
        return cpu
    }

    func testKernelInUseIsNotSSEEraOnACPUWithAVX2AndFMA() throws {
        let cpu = CPUFeatures.current
        try XCTSkipUnless(cpu.avx2 && cpu.fma, "this CPU has no AVX2 with FMA (\(cpu.summary))")
        try XCTSkipIf(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil,
                      "OPENBLAS_CORETYPE is set by the user, whose choice wins")
        // A GEMM first, as any user would, so the selection has run.
        let a = Tensor(shape: [4, 4], repeating: 1)
        _ = a.matmul(a)
        let status = BLAS.status
        XCTAssertFalse(OpenBLASCore.isSSEEra(status.core),
                       "OpenBLAS runs its SSE-era \(status.core) kernels on \(cpu.summary); \(status.howChosen)")
        XCTAssertNil(status.selection.warning)
        XCTAssertEqual(status.threads, 1, "the library splits GEMMs itself; OpenBLAS must stay single-threaded")
    }

    func testChoiceFromFeatures() {
        XCTAssertEqual(OpenBLASCore.replacement(forChosen: "Prescott", cpu: xeon207, userCoreType: nil), "Cooperlake")
        var noBF16 = xeon207
        noBF16.avx512bf16 = false
        XCTAssertEqual(OpenBLASCore.replacement(forChosen: "Prescott", cpu: noBF16, userCoreType: nil), "SkylakeX")
        XCTAssertEqual(OpenBLASCore.replacement(forChosen: "Haswell", cpu: noBF16, userCoreType: nil), "SkylakeX")
        // The user's OPENBLAS_CORETYPE always wins; OpenBLAS's right choices stand.
        XCTAssertNil(OpenBLASCore.replacement(forChosen: "Prescott", cpu: xeon207, userCoreType: "Prescott"))
        XCTAssertNil(OpenBLASCore.replacement(forChosen: "Cooperlake", cpu: xeon207, userCoreType: nil))
        XCTAssertNil(OpenBLASCore.replacement(forChosen: "SkylakeX", cpu: xeon207, userCoreType: nil))
        // A name from a newer OpenBLAS is never overridden.
        XCTAssertNil(OpenBLASCore.replacement(forChosen: "GraniteRapids", cpu: xeon207, userCoreType: nil))

        var avx2Only = CPUFeatures(vendor: "GenuineIntel", family: 6, model: 999)
        avx2Only.avx = true; avx2Only.avx2 = true; avx2Only.fma = true
        XCTAssertEqual(OpenBLASCore.replacement(forChosen: "Prescott", cpu: avx2Only, userCoreType: nil), "Haswell")
        avx2Only.vendor = "AuthenticAMD"
        XCTAssertEqual(OpenBLASCore.replacement(forChosen: "Nehalem", cpu: avx2Only, userCoreType: nil), "Zen")
        XCTAssertNil(OpenBLASCore.replacement(forChosen: "Zen", cpu: avx2Only, userCoreType: nil))

        var sseOnly = CPUFeatures(vendor: "GenuineIntel", family: 6, model: 23)
        sseOnly.sse3 = true
        XCTAssertNil(OpenBLASCore.replacement(forChosen: "Penryn", cpu: sseOnly, userCoreType: nil))
        // AVX-512 without the OS saving its registers reads as absent in CPUFeatures, so AVX2 is the ceiling.
        XCTAssertTrue(["Prescott", "core2", "Nehalem", "Atom", "generic", "Penryn", "Dunnington"].allSatisfy(OpenBLASCore.isSSEEra))
        XCTAssertFalse(OpenBLASCore.isSSEEra("Sandybridge"))
    }

    /// The Intel machine's situation, played on this one: OpenBLAS on an SSE-era kernel, then the library's
    /// choice from CPUID. Products agree across kernels to rounding, and are bit-identical once back.
    func testSwitchingFromAnSSEKernelToTheBestOneRestoresTheSameProducts() throws {
        let cpu = CPUFeatures.current
        try XCTSkipUnless(cpu.avx2 && cpu.fma, "this CPU has no AVX2 with FMA (\(cpu.summary))")
        var generator = SeededGenerator(seed: 7)
        let a = Tensor.randomNormal([96, 80], using: &generator)
        let b = Tensor.randomNormal([80, 72], using: &generator)
        let original = BLAS.status.core
        let reference = a.matmul(b)
        defer { BLAS.switchCore(to: original) }

        XCTAssertTrue(BLAS.switchCore(to: "Prescott"), "this OpenBLAS cannot switch kernels at run time")
        XCTAssertEqual(BLAS.status.core, "Prescott")
        let onSSE = a.matmul(b)
        for (x, y) in zip(onSSE.scalars, reference.scalars) { XCTAssertEqual(x, y, accuracy: 1e-4 * max(1, abs(y))) }

        let target = try XCTUnwrap(OpenBLASCore.replacement(forChosen: "Prescott", cpu: cpu, userCoreType: nil))
        XCTAssertTrue(BLAS.switchCore(to: target))
        XCTAssertEqual(BLAS.status.core.lowercased(), target.lowercased())
        BLAS.switchCore(to: original)
        XCTAssertEqual(a.matmul(b).scalars, reference.scalars)
    }

    /// CPUID and the kernel's view of the flags agree (Linux reports the extensions the OS enabled).
    func testCPUIDAgreesWithProcCPUInfo() throws {
        let text = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            throw XCTSkip("/proc/cpuinfo has no flags line (not x86-64)")
        }
        let flags = Set(line.split(separator: ":", maxSplits: 1).last!.split(separator: " ").map(String.init))
        let cpu = CPUFeatures.current
        XCTAssertEqual(cpu.avx, flags.contains("avx"))
        XCTAssertEqual(cpu.avx2, flags.contains("avx2"))
        XCTAssertEqual(cpu.fma, flags.contains("fma"))
        XCTAssertEqual(cpu.avx512f, flags.contains("avx512f"))
        XCTAssertEqual(cpu.avx512bw, flags.contains("avx512bw"))
        XCTAssertEqual(cpu.avx512bf16, flags.contains("avx512_bf16"))
        XCTAssertFalse(cpu.vendor.isEmpty)
        XCTAssertGreaterThan(cpu.family, 0)
    }
}
