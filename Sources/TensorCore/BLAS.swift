// The only file that talks to CBLAS. OpenBLAS itself always runs single-threaded; this file splits large
// GEMMs across `Compute.threadCount` threads by blocks of rows or columns of C, so that small GEMMs issued
// from parallel loops (attention heads) never oversubscribe the cores.
import COpenBLAS
import Foundation

/// Thin, documented wrappers over `cblas_sgemm` for row-major matrices.
public enum BLAS {
    nonisolated(unsafe) private static var configured = false

    /// Pins OpenBLAS to one thread; called automatically before the first GEMM.
    static func configureThreads() {
        openblas_set_num_threads(1)
        configured = true
    }

    @inline(__always)
    static func ensureConfigured() {
        if !configured { configureThreads() }
    }

    /// C[m×n] = alpha · op(A) · op(B) + beta · C on the calling thread only. Row-major; `lda`, `ldb`, `ldc`
    /// are row strides in elements. `op(A)` is m×k, `op(B)` is k×n.
    @inlinable
    public static func sgemmSingleThreaded(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        rawSgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                 a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    @usableFromInline
    static func rawSgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        ensureConfigured()
        if m == 0 || n == 0 { return }
        if k == 0 {
            // BLAS would only scale C; do it explicitly so beta = 0 clears uninitialised memory.
            for i in 0..<m {
                let row = c + i * ldc
                for j in 0..<n { row[j] = beta == 0 ? 0 : beta * row[j] }
            }
            return
        }
        // Skinny products (a decode step: m = batch rows against a whole weight matrix) are cut into column
        // blocks small enough for OpenBLAS's packing-free small-matrix kernels (m·n·k ≤ 10⁶ and, for a transposed
        // B, n·m ≤ 1200). Packing the weight costs as much as multiplying by it at m = 16; the small kernels run
        // 1.5–3× faster at the small config's decode shapes. Other products take the ordinary packed path.
        let columns = skinnyColumnBlock(transposeA: transposeA, m: m, n: n, k: k)
        if columns < n {
            for start in stride(from: 0, to: n, by: columns) {
                let width = min(columns, n - start)
                let bBlock = transposeB ? b + start * ldb : b + start
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(width), Int32(k), alpha, a, Int32(lda), bBlock, Int32(ldb), beta, c + start, Int32(ldc))
            }
            return
        }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The column block of a skinny product for OpenBLAS's small-matrix kernels, or `n` (no blocking) when the
    /// product is already small, not skinny, or has a transposed A.
    @usableFromInline
    static func skinnyColumnBlock(transposeA: Bool, m: Int, n: Int, k: Int) -> Int {
        let limit = 1_000_000
        guard !transposeA, m <= 64, m * n * k > limit else { return n }
        for block in [64, 32, 16] where m * block * k <= limit && m * block <= 1200 { return block }
        return n
    }

    /// C[m×n] = alpha · op(A) · op(B) + beta · C, split across `Compute.threadCount` threads when large.
    ///
    /// The split is along the larger of m and n, in blocks that are multiples of 16, so each thread runs
    /// one single-threaded sgemm on a contiguous block of C.
    public static func sgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let threads = Compute.threadCount
        let flops = 2.0 * Double(m) * Double(n) * Double(k)
        if threads <= 1 || flops < 4_000_000 || max(m, n) < 32 {
            rawSgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                     a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        let splitRows = m >= n
        let extent = splitRows ? m : n
        let blocks = min(threads, (extent + 15) / 16)
        DispatchQueue.concurrentPerform(iterations: blocks) { block in
            // Block boundaries on multiples of 16 keep the GEMM micro-kernels on full panels.
            let start = (extent * block / blocks) & ~15
            let end = block == blocks - 1 ? extent : (extent * (block + 1) / blocks) & ~15
            if start >= end { return }
            if splitRows {
                // Rows of op(A): row i of A, or column i of A when transposed.
                let aBlock = transposeA ? a + start : a + start * lda
                rawSgemm(transposeA: transposeA, transposeB: transposeB, m: end - start, n: n, k: k,
                         alpha: alpha, a: aBlock, lda: lda, b: b, ldb: ldb, beta: beta,
                         c: c + start * ldc, ldc: ldc)
            } else {
                // Columns of op(B): column j of B, or row j of B when transposed.
                let bBlock = transposeB ? b + start * ldb : b + start
                rawSgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: end - start, k: k,
                         alpha: alpha, a: a, lda: lda, b: bBlock, ldb: ldb, beta: beta,
                         c: c + start, ldc: ldc)
            }
        }
    }

    /// One `cblas_sgemm` call with OpenBLAS's own threading set to `threads`, for benchmarking the
    /// library against the raw BLAS. Restores single-threaded OpenBLAS afterwards.
    public static func openBLASSgemm(
        threads: Int, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        openblas_set_num_threads(Int32(threads))
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        openblas_set_num_threads(1)
        configured = true
    }

    /// y = alpha · x + y over `count` elements.
    public static func axpy(count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        ensureConfigured()
        cblas_saxpy(Int32(count), alpha, x, 1, y, 1)
    }
}
