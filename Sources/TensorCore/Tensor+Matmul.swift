// Batched matrix multiplication through BLAS.sgemm. Shapes: a [..., M, K] (or [..., K, M] transposed),
// b [..., K, N] (or [..., N, K] transposed); batch axes must match, or one operand is a plain matrix.
import Foundation

extension Tensor {
    /// `op(self) · op(other)` over the last two axes, batched over leading axes.
    ///
    /// - Parameters:
    ///   - other: the right operand.
    ///   - transposeSelf: use the transpose of the last two axes of `self`.
    ///   - transposeOther: use the transpose of the last two axes of `other`.
    /// - Returns: `[..., M, N]`.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        precondition(rank >= 2 && other.rank >= 2, "matmul needs rank ≥ 2 operands, got \(shape) and \(other.shape)")
        let m = transposeSelf ? shape[rank - 1] : shape[rank - 2]
        let k = transposeSelf ? shape[rank - 2] : shape[rank - 1]
        let k2 = transposeOther ? other.shape[other.rank - 1] : other.shape[other.rank - 2]
        let n = transposeOther ? other.shape[other.rank - 2] : other.shape[other.rank - 1]
        precondition(k == k2, "matmul inner dimensions differ: \(shape)\(transposeSelf ? "ᵀ" : "") · \(other.shape)\(transposeOther ? "ᵀ" : "")")
        let batchA = Array(shape.dropLast(2)), batchB = Array(other.shape.dropLast(2))
        let lda = shape[rank - 1], ldb = other.shape[other.rank - 1]

        // A batch of matrices times one matrix: one large GEMM over the stacked rows.
        if batchB.isEmpty && !transposeSelf {
            let out = Tensor(uninitializedShape: batchA + [m, n])
            BLAS.sgemm(transposeA: false, transposeB: transposeOther, m: batchA.reduce(1, *) * m, n: n, k: k,
                       alpha: 1, a: pointer, lda: lda, b: other.pointer, ldb: ldb, beta: 0, c: out.pointer, ldc: n)
            return out
        }
        precondition(batchA == batchB || batchA.isEmpty || batchB.isEmpty,
                     "matmul batch axes differ: \(shape) and \(other.shape)")
        let batch = batchA.isEmpty ? batchB : batchA
        let count = batch.reduce(1, *)
        let out = Tensor(uninitializedShape: batch + [m, n])
        let strideA = batchA.isEmpty ? 0 : m * k, strideB = batchB.isEmpty ? 0 : k * n
        let pa = pointer, pb = other.pointer, pc = out.pointer
        if count == 1 || Double(m * n * k) > 2e6 {
            for i in 0..<count {
                BLAS.sgemm(transposeA: transposeSelf, transposeB: transposeOther, m: m, n: n, k: k, alpha: 1,
                           a: pa + i * strideA, lda: lda, b: pb + i * strideB, ldb: ldb, beta: 0,
                           c: pc + i * m * n, ldc: n)
            }
        } else {
            // Many small products: one single-threaded GEMM per batch item, batch items in parallel.
            Compute.parallelFor(count, costPerItem: 2 * m * n * k, minimumWork: 1 << 20) { r in
                for i in r {
                    BLAS.sgemmSingleThreaded(
                        transposeA: transposeSelf, transposeB: transposeOther, m: m, n: n, k: k, alpha: 1,
                        a: pa + i * strideA, lda: lda, b: pb + i * strideB, ldb: ldb, beta: 0,
                        c: pc + i * m * n, ldc: n)
                }
            }
        }
        return out
    }
}
