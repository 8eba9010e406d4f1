// The backward pass of the tied output projection `logits[K, V] = hidden[kept] · tableᵀ`, shared by the tied
// cross-entropy and the tied log-probabilities (both compute their own dlogits, then hand them here).
import Foundation
import TensorCore

/// Accumulates the gradients of a tied projection from `dlogits`.
///
/// - Parameters:
///   - dlogits: `[K, V]`, row r belonging to hidden row `kept[r]`.
///   - kept: The K hidden rows that were projected, in increasing order.
///   - rowCount: N, the rows of `hidden`.
///   - keptHidden: `hidden[kept]`, `[K, C]`, as the forward pass gathered it.
///   - hidden: `[N, C]` (any shape with N·C elements); gets `dlogits · table` in its kept rows.
///   - table: `[V, C]`; gets `dlogitsᵀ · hidden[kept]`.
///   - tableValue: The table's value the forward pass used.
func accumulateTiedProjectionGradients(dlogits: UnsafePointer<Float>, kept: [Int], rowCount n: Int, keptHidden: Tensor,
                                       hidden: Variable, table: Variable, tableValue: Tensor) {
    let k = kept.count, v = tableValue.shape[0], c = tableValue.shape[1]
    tableValue.withUnsafeBufferPointer { pw in
        if hidden.requiresGrad {
            if k == n {
                // Every row kept (kept[r] == r): d hidden (+)= dlogits · table, straight into the gradient buffer.
                hidden.withGradientBuffer { dh, beta in
                    BLAS.sgemm(transposeA: false, transposeB: false, m: k, n: c, k: v, alpha: 1, a: dlogits, lda: v,
                               b: pw.baseAddress!, ldb: c, beta: beta, c: dh, ldc: c)
                }
            } else {
                // d hK = dlogits · table  [K, C], scattered back to the kept rows.
                var dhK = Tensor(uninitializedShape: [k, c])
                dhK.withUnsafeMutableBufferPointer { d in
                    BLAS.sgemm(transposeA: false, transposeB: false, m: k, n: c, k: v, alpha: 1, a: dlogits, lda: v,
                               b: pw.baseAddress!, ldb: c, beta: 0, c: d.baseAddress!, ldc: c)
                    hidden.withGradientBuffer { dh, beta in
                        if beta == 0 { dh.initialize(repeating: 0, count: n * c) }
                        for (r, i) in kept.enumerated() {
                            let dst = dh + i * c, src = d.baseAddress! + r * c
                            for j in 0..<c { dst[j] += src[j] }
                        }
                    }
                }
            }
        }
    }
    if table.requiresGrad {
        // d table += dlogitsᵀ · hK  [V, C]
        keptHidden.withUnsafeBufferPointer { ph in
            table.withGradientBuffer { dw, beta in
                BLAS.sgemm(transposeA: true, transposeB: false, m: v, n: c, k: k, alpha: 1, a: dlogits, lda: v,
                           b: ph.baseAddress!, ldb: c, beta: beta, c: dw, ldc: c)
            }
        }
    }
}
