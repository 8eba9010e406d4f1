// Teacher-forced log-probabilities through the tied output projection, fused (the scoring primitive of every RL
// algorithm: PPO's old, reference and new log-probabilities). Only rows with a target are projected; one pass
// over each row of logits turns it into exponentials, its log-sum-exp and (when asked) its entropy; the
// backward pass turns those exponentials into dlogits in place (normalising on the way), so no [N, V] logits
// Variable or gradient is allocated and no exponential is computed twice. Shapes: N rows (leading axes flattened), K kept rows, C channels, V vocabulary.
import Foundation
import TensorCore

extension Variable {
    /// `log softmax(hidden · tableᵀ / τ)[target]` for each row of `hidden`, and optionally the entropy of
    /// that softmax.
    ///
    /// Equal to `hidden.matmul(table, transposeOther: true).selectedLogProbabilities(targets:temperature:)`
    /// (and `ScoringKernels.entropies`) up to rounding. Rows whose target is negative get 0 and no gradient.
    ///
    /// Backward: with P the kept rows' probabilities, Y their one-hot targets and g the incoming gradient,
    /// dlogits = (Y − P)·g/τ, d hidden = dlogits · table and d table += dlogitsᵀ · hidden (two BLAS GEMMs).
    ///
    /// - Parameters:
    ///   - hidden: `[..., C]`.
    ///   - table: the tied embedding `[V, C]`.
    ///   - targets: one id per row of `hidden`, or a negative number for rows that are not scored.
    ///   - temperature: τ > 0.
    ///   - computeEntropies: whether to return the entropy of each scored row (0 elsewhere).
    ///   - excludedTokens: tokens removed from the softmax of the rows flagged in `excludedRows` (the stop tokens a
    ///     sampler masks until a minimum length): those rows' log-probabilities and entropies are over the other
    ///     tokens, and the excluded ones get no gradient. A row's own target is never excluded.
    ///   - excludedRows: one flag per row of `hidden` (empty: no row).
    /// - Returns: `hidden`'s leading shape, for both outputs; the entropies carry no gradient.
    public static func tiedProjectionLogProbabilities(hidden: Variable, table: Variable, targets: [Int32],
                                                      temperature: Float = 1, computeEntropies: Bool = false,
                                                      excludedTokens: [Int32] = [], excludedRows: [Bool] = [])
        -> (logProbabilities: Variable, entropies: Tensor?) {
        let c = hidden.shape.last ?? 0, v = table.shape[0]
        precondition(table.shape == [v, c], "tiedProjectionLogProbabilities: table \(table.shape) does not match hidden \(hidden.shape)")
        precondition(temperature > 0, "temperature must be positive, got \(temperature)")
        let n = hidden.value.count / Swift.max(c, 1)
        precondition(targets.count == n, "tiedProjectionLogProbabilities: \(targets.count) targets for \(n) rows")
        precondition(excludedRows.isEmpty || excludedRows.count == n, "tiedProjectionLogProbabilities: \(excludedRows.count) row flags for \(n) rows")
        let excluded = excludedRows.isEmpty ? [] : excludedTokens.filter { $0 >= 0 && Int($0) < v }
        let leading = Array(hidden.shape.dropLast())
        let kept = (0..<n).filter { targets[$0] >= 0 }
        for i in kept { precondition(Int(targets[i]) < v, "target id \(targets[i]) out of range 0..<\(v)") }
        let k = kept.count
        var out = Tensor(zeros: leading)
        var entropies = computeEntropies ? Tensor(zeros: leading) : nil
        if k == 0 { return (Variable.record(out, parents: [hidden, table]) { _ in }, entropies) }
        let invT = 1 / temperature
        // 1 / Σe per kept row: the backward turns e into dlogits in one pass, normalising on the way.
        var inverseSums = [Float](repeating: 0, count: k)

        // hK = hidden[kept]  [K, C]; no copy when every row is kept.
        let hK: Tensor
        if k == n {
            hK = hidden.value.reshaped([n, c])
        } else {
            var gathered = Tensor(uninitializedShape: [k, c])
            hidden.value.withUnsafeBufferPointer { h in
                gathered.withUnsafeMutableBufferPointer { d in
                    for (r, i) in kept.enumerated() { (d.baseAddress! + r * c).update(from: h.baseAddress! + i * c, count: c) }
                }
            }
            hK = gathered
        }
        // z = hK · tableᵀ / τ  [K, V] (τ folded into the GEMM's alpha), then per row: the exponentials e = exp(z − max)
        // in place, log p(target) = z_t − max − log Σe, entropy = log Σe − Σ e·(z − max) / Σe, and (for the
        // backward pass) 1 / Σe.
        var probabilities = Tensor(uninitializedShape: [k, v])
        let tableValue = table.value
        hK.withUnsafeBufferPointer { ph in
            tableValue.withUnsafeBufferPointer { pw in
                probabilities.withUnsafeMutableBufferPointer { pp in
                    out.withUnsafeMutableBufferPointer { pout in
                        let p = pp.baseAddress!, po = pout.baseAddress!
                        BLAS.sgemm(transposeA: false, transposeB: true, m: k, n: v, k: c, alpha: invT, a: ph.baseAddress!, lda: c,
                                   b: pw.baseAddress!, ldb: c, beta: 0, c: p, ldc: v)
                        func scoreRows(_ pe: UnsafeMutablePointer<Float>?, _ pis: UnsafeMutablePointer<Float>) {
                            Compute.parallelFor(k, costPerItem: 8 * v) { range in
                                for r in range {
                                    let row = p + r * v, i = kept[r]
                                    // An excluded token's exponential underflows to (about) 0: out of the sum, no gradient.
                                    if !excluded.isEmpty && excludedRows[i] {
                                        for token in excluded where token != targets[i] { row[Int(token)] = -1e9 }
                                    }
                                    let m = FastMath.maximum(row, count: v)
                                    let target = row[Int(targets[i])] - m
                                    let s: Float
                                    if let pe {
                                        let (sum, weighted) = FastMath.exponentiateShifted(row, count: v, shift: m)
                                        s = sum
                                        pe[i] = Foundation.log(s) - weighted / s
                                    } else {
                                        s = FastMath.expShifted(row, row, count: v, shift: m)
                                    }
                                    po[i] = target - Foundation.log(s)
                                    pis[r] = 1 / s
                                }
                            }
                        }
                        inverseSums.withUnsafeMutableBufferPointer { pisBuffer in
                            let pis = pisBuffer.baseAddress!
                            if entropies != nil {
                                entropies!.withUnsafeMutableBufferPointer { scoreRows($0.baseAddress!, pis) }
                            } else {
                                scoreRows(nil, pis)
                            }
                        }
                    }
                }
            }
        }
        let result = Variable.record(out, parents: [hidden, table]) { g in
            g.withUnsafeBufferPointer { pgBuffer in
                probabilities.withUnsafeMutableBufferPointer { pp in
                    let p = pp.baseAddress!, pg = pgBuffer.baseAddress!
                    // dlogits = (Y − e/Σe) · g / τ, in place over e.
                    inverseSums.withUnsafeBufferPointer { sumsBuffer in
                        let sums = sumsBuffer.baseAddress!
                        Compute.parallelFor(k, costPerItem: v) { range in
                            for r in range {
                                let row = p + r * v, i = kept[r]
                                let gr = pg[i] * invT, scale = -gr * sums[r]
                                for j in 0..<v { row[j] *= scale }
                                row[Int(targets[i])] += gr
                            }
                        }
                    }
                    accumulateTiedProjectionGradients(dlogits: p, kept: kept, rowCount: n, keptHidden: hK,
                                                      hidden: hidden, table: table, tableValue: tableValue)
                }
            }
        }
        return (result, entropies)
    }
}
