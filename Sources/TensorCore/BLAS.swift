// The only file that talks to CBLAS. OpenBLAS itself always runs single-threaded; this file splits large
// GEMMs across `Compute.threadCount` threads by blocks of rows or columns of C, so that small GEMMs issued
// from parallel loops (attention heads) never oversubscribe the cores. Before the first GEMM it also makes
// sure OpenBLAS runs the widest kernels the CPU executes (`OpenBLASCore`), whatever entry point loaded it.
import COpenBLAS
import Foundation

/// Thin, documented wrappers over `cblas_sgemm` for row-major matrices.
public enum BLAS {
    /// How the kernel family in use was chosen, and any warning about it; settled once, before the first GEMM.
    private static let selection: BLASStatus.Selection = selectKernels()

    /// Pins OpenBLAS to one thread (the library splits GEMMs itself); called before the first GEMM and whenever
    /// `Compute.threadCount` changes.
    static func configureThreads() {
        _ = selection
        openblas_set_num_threads(1)
    }

    @inline(__always)
    static func ensureConfigured() {
        _ = selection
    }

    /// The BLAS library, the kernel family it runs and its thread count, as they are now.
    public static var status: BLASStatus {
        let chosenBy = selection
        return BLASStatus(library: String(cString: openblas_get_config()),
                          core: String(cString: openblas_get_corename()),
                          threads: Int(openblas_get_num_threads()), selection: chosenBy)
    }

    /// Chooses the kernel family once per process: keeps OpenBLAS's own choice unless `OpenBLASCore` finds a
    /// wider one the CPU executes, and switches to it through OpenBLAS's dynamic-dispatch entry points. Prints
    /// one warning on standard error when an SSE-era kernel remains on a CPU with AVX2.
    private static func selectKernels() -> BLASStatus.Selection {
        openblas_set_num_threads(1)
        let cpu = CPUFeatures.current
        let chosen = String(cString: openblas_get_corename())
        let user = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
        var result = BLASStatus.Selection(chosenByOpenBLAS: chosen, forced: nil, userCoreType: user, warning: nil)
        if let target = OpenBLASCore.replacement(forChosen: chosen, cpu: cpu, userCoreType: user) {
            if switchCore(to: target) {
                result.forced = target
            }
        }
        let now = String(cString: openblas_get_corename())
        if OpenBLASCore.isSSEEra(now), cpu.avx2, cpu.fma, let best = OpenBLASCore.best(for: cpu) {
            let cause = user.map { "OPENBLAS_CORETYPE=\($0) is set" }
                ?? "this OpenBLAS (\(String(cString: openblas_get_config()))) cannot switch kernels at run time"
            result.warning = "warning: OpenBLAS runs its SSE-era \(now) kernels on a CPU with AVX2 (\(cpu.summary)), "
                + "because \(cause); matrix products run several times slower than they could. Fix: "
                + (user == nil ? "set OPENBLAS_CORETYPE=\(best), or install an OpenBLAS built with DYNAMIC_ARCH "
                                 + "(Debian's libopenblas-dev)."
                               : "unset OPENBLAS_CORETYPE, or set it to \(best).")
            FileHandle.standardError.write(Data((result.warning! + "\n").utf8))
        }
        return result
    }

    /// Re-runs OpenBLAS's dynamic dispatch with `OPENBLAS_CORETYPE` set to `name`, and reports whether OpenBLAS
    /// now runs that family. False when the library has no run-time dispatch (a build without DYNAMIC_ARCH).
    ///
    /// Only safe while no other thread is inside OpenBLAS: the kernel table is briefly empty. The library calls
    /// it once before the first GEMM; call it yourself only between GEMMs, to compare kernels. Choosing a family
    /// the CPU cannot execute crashes on the first GEMM: check `OpenBLASCore.tier` against `CPUFeatures.current`.
    @discardableResult
    public static func switchCore(to name: String) -> Bool {
        _ = selection
        typealias Entry = @convention(c) () -> Void
        // RTLD_DEFAULT: look the symbols up in every loaded library. They are OpenBLAS's exported but
        // undeclared entry points of DYNAMIC_ARCH builds (driver/others/dynamic.c).
        let everyLibrary = UnsafeMutableRawPointer(bitPattern: 0)
        guard let quitSymbol = dlsym(everyLibrary, "gotoblas_dynamic_quit"),
              let initSymbol = dlsym(everyLibrary, "gotoblas_dynamic_init") else { return false }
        let quit = unsafeBitCast(quitSymbol, to: Entry.self)
        let initialise = unsafeBitCast(initSymbol, to: Entry.self)
        let previous = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
        setenv("OPENBLAS_CORETYPE", name, 1)
        quit()
        initialise()
        // Leave the environment as it was, so child processes make their own choice.
        if let previous { setenv("OPENBLAS_CORETYPE", previous, 1) } else { unsetenv("OPENBLAS_CORETYPE") }
        return String(cString: openblas_get_corename()).lowercased() == name.lowercased()
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
        ensureConfigured()
        openblas_set_num_threads(Int32(threads))
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        openblas_set_num_threads(1)
    }

    /// y = alpha · x + y over `count` elements.
    public static func axpy(count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        ensureConfigured()
        cblas_saxpy(Int32(count), alpha, x, 1, y, 1)
    }
}
