// A linear layer's weight repacked for products with few rows (a decode step: R = batch rows against the whole
// weight). Shapes: R input rows, I in-features, O out-features; the weight is stored as W [O, I], as layers keep it.
import Foundation

/// A weight `W [O, I]` repacked as contiguous `[I, width]` column blocks of `Wᵀ`, for `y = x·Wᵀ` with few rows.
///
/// At R ≤ 64 rows a product reads the whole weight for very little arithmetic, so its speed is set by how the
/// weight streams through the caches. Cut into blocks of `width` output columns (as `BLAS.sgemm` does for skinny
/// products, so that OpenBLAS's packing-free small-matrix kernels run), a `[O, I]` weight is read as `width`
/// interleaved rows per block; repacked, each block is one contiguous `[I, width]` matrix read front to back.
/// At the small configuration's decode shapes (R = 16, I and O of 256–4096) this runs 1.2–1.8× faster than the
/// blocked transposed product when the weights come from L3 or memory, as they do between decode steps.
///
/// The blocks are a copy: rebuild the packing after the source weight changes.
public final class SkinnyWeight {
    /// I, the length of each input row.
    public let inFeatures: Int
    /// O, the length of each output row.
    public let outFeatures: Int
    /// Output columns per block (the last block may be narrower).
    public let blockWidth: Int
    /// Block `b` starts at `storage + b · blockWidth · I` and is `[I, w]` with `w` its width.
    private let storage: UnsafeMutablePointer<Float>

    /// Copies `weight [outFeatures, inFeatures]` into column blocks sized for products of up to `rows` rows.
    public init(weight: UnsafePointer<Float>, outFeatures: Int, inFeatures: Int, rows: Int) {
        precondition(outFeatures > 0 && inFeatures > 0 && rows > 0,
                     "SkinnyWeight needs positive sizes, got [\(outFeatures), \(inFeatures)] for \(rows) rows")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        blockWidth = BLAS.skinnyColumnBlock(transposeA: false, m: rows, n: outFeatures, k: inFeatures)
        storage = .allocate(capacity: outFeatures * inFeatures)
        let I = inFeatures, width = blockWidth
        for start in stride(from: 0, to: outFeatures, by: width) {
            let w = min(width, outFeatures - start)
            let block = storage + start * I
            // Each block is at most 64 KB at the decode shapes, so the strided writes stay in L2.
            for j in 0..<w {
                let source = weight + (start + j) * I
                for i in 0..<I { block[i * w + j] = source[i] }
            }
        }
    }

    deinit { storage.deallocate() }

    /// `out = x·Wᵀ + beta · out` for `x [rows, I]` (row stride I) and `out [rows, O]` (row stride `ldc`).
    ///
    /// Blocks are split across `Compute.threadCount` threads when the product is large enough to pay for them
    /// (the threshold of `BLAS.sgemm`); every output column is computed the same way whatever the split, so
    /// results do not depend on the thread count.
    public func multiply(_ x: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>, ldc: Int, beta: Float) {
        let I = inFeatures, O = outFeatures, width = blockWidth, storage = self.storage
        let blocks = (O + width - 1) / width
        Compute.parallelFor(blocks, costPerItem: 2 * rows * width * I, minimumWork: 4_000_000) { range in
            for block in range {
                let start = block * width, w = min(width, O - start)
                BLAS.sgemmSingleThreaded(transposeA: false, transposeB: false, m: rows, n: w, k: I, alpha: 1,
                                         a: x, lda: I, b: storage + start * I, ldb: w, beta: beta,
                                         c: out + start, ldc: ldc)
            }
        }
    }
}
