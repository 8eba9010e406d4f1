import Foundation
import TensorCore
import XCTest

final class GemmProbeTests: XCTestCase {
    func testGemmProbe() throws {
        guard ProcessInfo.processInfo.environment["RLFT_GEMM"] != nil else { throw XCTSkip("manual") }
        Compute.threadCount = 1
        for (M, N, K) in [(16, 4096, 256), (16, 768, 256), (16, 1024, 256), (16, 256, 1024)] {
            var rng = SeededGenerator(seed: 0)
            let a = Tensor.randomNormal([M, K], using: &rng)
            let w = Tensor.randomNormal([N, K], using: &rng)
            let wt = w.transposed()
            var c = Tensor(zeros: [M, N])
            func time(_ body: () -> Void) -> Double {
                body()
                let start = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<50 { body() }
                return Double(DispatchTime.now().uptimeNanoseconds - start) / 50e3
            }
            let t1 = time {
                a.withUnsafeBufferPointer { pa in w.withUnsafeBufferPointer { pw in c.withUnsafeMutableBufferPointer { pc in
                    BLAS.sgemm(transposeA: false, transposeB: true, m: M, n: N, k: K, alpha: 1, a: pa.baseAddress!, lda: K, b: pw.baseAddress!, ldb: K, beta: 0, c: pc.baseAddress!, ldc: N)
                } } }
            }
            let t2 = time {
                a.withUnsafeBufferPointer { pa in wt.withUnsafeBufferPointer { pw in c.withUnsafeMutableBufferPointer { pc in
                    BLAS.sgemm(transposeA: false, transposeB: false, m: M, n: N, k: K, alpha: 1, a: pa.baseAddress!, lda: K, b: pw.baseAddress!, ldb: N, beta: 0, c: pc.baseAddress!, ldc: N)
                } } }
            }
            // C = (W · Aᵀ)ᵀ computed as Cᵀ [N, M] = W [N,K] · Aᵀ
            var ct = Tensor(zeros: [N, M])
            let t3 = time {
                a.withUnsafeBufferPointer { pa in w.withUnsafeBufferPointer { pw in ct.withUnsafeMutableBufferPointer { pc in
                    BLAS.sgemm(transposeA: false, transposeB: true, m: N, n: M, k: K, alpha: 1, a: pw.baseAddress!, lda: K, b: pa.baseAddress!, ldb: K, beta: 0, c: pc.baseAddress!, ldc: M)
                } } }
            }
            let gf = 2.0 * Double(M * N * K) / 1e3
            print(String(format: "GEMM %d×%d×%d: x·Wᵀ %.1f µs (%.0f GF/s), x·Wt %.1f µs (%.0f GF/s), W·xᵀ %.1f µs (%.0f GF/s)", M, N, K, t1, gf / t1, t2, gf / t2, t3, gf / t3))
        }
    }
}
