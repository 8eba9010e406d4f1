// The language-modelling loss through the tied output projection, fused: only rows with a target are
// projected, the softmax is computed once (in place over the logits, one exponential per entry), and the
// backward pass reuses those probabilities, so no [N, V] logits Variable or gradient is ever allocated.
// Shapes: N rows (leading axes flattened), K kept rows, C channels, V vocabulary.
import Foundation
import TensorCore

extension Variable {
    /// Token-mean cross-entropy of `softmax(hidden · tableᵀ)` against `targets` (one per row of `hidden`).
    ///
    /// Equal to `hidden.matmul(table, transposeOther: true).crossEntropy(targets:ignoreIndex:)`; rows whose
    /// target is `ignoreIndex` cost nothing. Returns 0 (no gradient) when every row is ignored.
    ///
    /// Backward: with P the kept rows' probabilities and Y their one-hot targets, dlogits = (P − Y)·g/K,
    /// d hidden = dlogits · table and d table += dlogitsᵀ · hidden (two BLAS GEMMs).
    public static func tiedProjectionCrossEntropy(hidden: Variable, table: Variable, targets: [Int32],
                                                  ignoreIndex: Int32 = -100) -> Variable {
        let c = hidden.shape.last ?? 0, v = table.shape[0]
        precondition(table.shape == [v, c], "tiedProjectionCrossEntropy: table \(table.shape) does not match hidden \(hidden.shape)")
        let n = hidden.value.count / Swift.max(c, 1)
        precondition(targets.count == n, "tiedProjectionCrossEntropy: \(targets.count) targets for \(n) rows")
        let kept = (0..<n).filter { targets[$0] != ignoreIndex }
        let k = kept.count
        if k == 0 { return Variable.record(Tensor(0), parents: [hidden, table]) { _ in } }
        for i in kept { precondition(targets[i] >= 0 && Int(targets[i]) < v, "target id \(targets[i]) out of range 0..<\(v)") }

        // hK = hidden[kept]  [K, C]
        var hK = Tensor(uninitializedShape: [k, c])
        hidden.value.withUnsafeBufferPointer { h in
            hK.withUnsafeMutableBufferPointer { d in
                for (r, i) in kept.enumerated() { (d.baseAddress! + r * c).update(from: h.baseAddress! + i * c, count: c) }
            }
        }
        // logits = hK · tableᵀ  [K, V], then softmax in place; loss rows = lse − z_target.
        var probabilities = Tensor(uninitializedShape: [k, v])
        var rowLoss = [Float](repeating: 0, count: k)
        let tableValue = table.value
        hK.withUnsafeBufferPointer { ph in
            tableValue.withUnsafeBufferPointer { pw in
                probabilities.withUnsafeMutableBufferPointer { pp in
                    let p = pp.baseAddress!
                    BLAS.sgemm(transposeA: false, transposeB: true, m: k, n: v, k: c, alpha: 1, a: ph.baseAddress!, lda: c,
                               b: pw.baseAddress!, ldb: c, beta: 0, c: p, ldc: v)
                    rowLoss.withUnsafeMutableBufferPointer { pl in
                        let losses = pl.baseAddress!
                        Compute.parallelFor(k, costPerItem: 8 * v) { range in
                            for r in range {
                                let row = p + r * v
                                let m = FastMath.maximum(row, count: v)
                                let target = row[Int(targets[kept[r]])]
                                let s = FastMath.expShifted(row, row, count: v, shift: m)
                                losses[r] = m + Foundation.log(s) - target
                                let inv = 1 / s
                                for j in 0..<v { row[j] *= inv }
                            }
                        }
                    }
                }
            }
        }
        var total: Double = 0
        for l in rowLoss { total += Double(l) }
        let loss = Tensor(Float(total / Double(k)))

        return Variable.record(loss, parents: [hidden, table]) { g in
            let scale = g.item / Float(k)
            // dlogits = (P − Y) · g / K, in place over P.
            probabilities.withUnsafeMutableBufferPointer { pp in
                let p = pp.baseAddress!
                Compute.parallelFor(k, costPerItem: v) { range in
                    for r in range {
                        let row = p + r * v
                        for j in 0..<v { row[j] *= scale }
                        row[Int(targets[kept[r]])] -= scale
                    }
                }
            }
            probabilities.withUnsafeBufferPointer { pd in
                accumulateTiedProjectionGradients(dlogits: pd.baseAddress!, kept: kept, rowCount: n, keptHidden: hK,
                                                  hidden: hidden, table: table, tableValue: tableValue)
            }
        }
    }
}
