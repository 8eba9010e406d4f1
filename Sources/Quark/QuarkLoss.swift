// Quark's learning loss (QK `main.py::loss`; AF `quark_trainer.py::compute_loss`), fused over the
// vocabulary so that no [N, V] intermediate is kept for the graph:
//
//   L = maskedMean_t [ −log p_θ(y_t | r_k, x, y_<t) + β·KL_t − α·H_t ]
//
//   NLL_t = −log softmax(ℓ)[y_t]                        over the extended vocabulary V + K
//   KL_t  = Σ_{v<V} p̃(v)(log p̃(v) − log p_0(v))        p̃ = softmax(ℓ[:V]) (reward-token columns removed)
//   H_t   = −Σ_v p(v) log p(v)                          full softmax, reward-token columns included
//
// Gradients with respect to a row of logits ℓ (p = softmax(ℓ), p̃ = softmax(ℓ[:V])):
//   d NLL / dℓ_j = p_j − 1[j = y]
//   d KL(p̃‖p_0) / dℓ_j = p̃_j (log p̃_j − log p_0_j − KL)       (j < V; 0 for reward-token columns)
//   d KL(p_0‖p̃) / dℓ_j = p̃_j − p_0_j                           (j < V)
//   d(−H) / dℓ_j = p_j (log p_j + H)
import Foundation
import TensorCore

/// The token means of the three terms of a Quark loss.
public struct QuarkLossTerms: Equatable, Sendable {
    /// Mean −log p_θ(y_t | r_k, x, y_<t).
    public var negativeLogLikelihood: Double
    /// Mean exact per-token KL over the original vocabulary.
    public var kl: Double
    /// Mean per-token entropy of the full softmax.
    public var entropy: Double
    /// The number of response tokens averaged over.
    public var tokenCount: Int
}

public enum QuarkLoss {
    /// The fused Quark loss of rows of logits.
    ///
    /// - Parameters:
    ///   - policyLogits: `[..., V + K]` policy logits (differentiable), one row per response position.
    ///   - referenceLogits: `[..., V]` reference logits at the same positions (a constant).
    ///   - targets: one target id per row; a negative id marks padding (not counted).
    ///   - originalVocabularySize: V; columns from V on are reward tokens.
    ///   - klCoefficient: β.
    ///   - entropyCoefficient: α.
    ///   - direction: which KL.
    /// - Returns: the scalar loss `mean(NLL + β·KL − α·H)` over the counted rows (0 when none), and its terms.
    public static func loss(policyLogits: Variable, referenceLogits: Tensor, targets: [Int32], originalVocabularySize: Int,
                            klCoefficient: Float, entropyCoefficient: Float,
                            direction: QuarkKLDirection = .policyToReference) -> (loss: Variable, terms: QuarkLossTerms) {
        let vp = policyLogits.shape.last ?? 1, v = originalVocabularySize
        let rows = policyLogits.value.count / max(vp, 1)
        precondition(v >= 1 && v <= vp, "QuarkLoss: original vocabulary \(v) must be in 1...\(vp)")
        precondition(referenceLogits.shape.last == v && referenceLogits.count == rows * v,
                     "QuarkLoss: reference logits \(referenceLogits.shape) must have \(rows) rows of \(v)")
        precondition(targets.count == rows, "QuarkLoss: \(targets.count) targets for \(rows) rows")
        let counted = targets.filter { $0 >= 0 }.count
        let lv = policyLogits.value
        // Per row: nll, kl, entropy.
        var nll = [Float](repeating: 0, count: rows), kl = nll, entropy = nll
        lv.withUnsafeBufferPointer { pl in
            referenceLogits.withUnsafeBufferPointer { pr in
                nll.withUnsafeMutableBufferPointer { pn in
                    kl.withUnsafeMutableBufferPointer { pk in
                        entropy.withUnsafeMutableBufferPointer { ph in
                            let base = pl.baseAddress!, refBase = pr.baseAddress!
                            let outN = pn.baseAddress!, outK = pk.baseAddress!, outH = ph.baseAddress!
                            Compute.parallelFor(rows, costPerItem: 12 * vp) { range in
                                for row in range where targets[row] >= 0 {
                                    let t = Int(targets[row])
                                    precondition(t < vp, "QuarkLoss: target \(t) outside the vocabulary of \(vp)")
                                    let s = RowStatistics(base + row * vp, vp, refBase + row * v, v, direction)
                                    outN[row] = s.lseFull - base[row * vp + t]
                                    outK[row] = s.kl
                                    outH[row] = s.entropy
                                }
                            }
                        }
                    }
                }
            }
        }
        var sumN = 0.0, sumK = 0.0, sumH = 0.0
        for row in 0..<rows where targets[row] >= 0 {
            sumN += Double(nll[row]); sumK += Double(kl[row]); sumH += Double(entropy[row])
        }
        let n = Double(max(counted, 1))
        let beta = klCoefficient, alpha = entropyCoefficient
        let value = counted == 0 ? 0 : Float((sumN + Double(beta) * sumK - Double(alpha) * sumH) / n)
        let terms = QuarkLossTerms(negativeLogLikelihood: sumN / n, kl: sumK / n, entropy: sumH / n, tokenCount: counted)
        let loss = Variable.record(Tensor(value), parents: [policyLogits]) { g in
            let scale = g.item / Float(max(counted, 1))
            var d = Tensor(zeros: lv.shape)
            lv.withUnsafeBufferPointer { pl in
                referenceLogits.withUnsafeBufferPointer { pr in
                    d.withUnsafeMutableBufferPointer { pd in
                        let base = pl.baseAddress!, refBase = pr.baseAddress!, out = pd.baseAddress!
                        Compute.parallelFor(rows, costPerItem: 16 * vp) { range in
                            for row in range where targets[row] >= 0 {
                                let l = base + row * vp, r = refBase + row * v, o = out + row * vp
                                let s = RowStatistics(l, vp, r, v, direction)
                                let lseRef = Tensor.logSumExp(r, v)
                                for j in 0..<vp {
                                    let logP = l[j] - s.lseFull
                                    let p = Foundation.exp(logP)
                                    // NLL and −α·H.
                                    var grad = p + alpha * p * (logP + s.entropy)
                                    if j < v {
                                        let logQ = l[j] - s.lseOriginal
                                        let q = Foundation.exp(logQ)
                                        let logP0 = r[j] - lseRef
                                        switch direction {
                                        case .policyToReference: grad += beta * q * (logQ - logP0 - s.kl)
                                        case .referenceToPolicy: grad += beta * (q - Foundation.exp(logP0))
                                        }
                                    }
                                    o[j] = grad * scale
                                }
                                o[Int(targets[row])] -= scale
                            }
                        }
                    }
                }
            }
            policyLogits.accumulateGradient(d)
        }
        return (loss, terms)
    }
}

/// The log-normalisers, KL and entropy of one row.
struct RowStatistics {
    let lseFull: Float, lseOriginal: Float, kl: Float, entropy: Float

    init(_ l: UnsafePointer<Float>, _ vp: Int, _ r: UnsafePointer<Float>, _ v: Int, _ direction: QuarkKLDirection) {
        lseFull = Tensor.logSumExp(l, vp)
        lseOriginal = Tensor.logSumExp(l, v)
        let lseRef = Tensor.logSumExp(r, v)
        var h: Float = 0
        for j in 0..<vp {
            let logP = l[j] - lseFull
            h -= Foundation.exp(logP) * logP
        }
        var k: Float = 0
        for j in 0..<v {
            let logQ = l[j] - lseOriginal, logP0 = r[j] - lseRef
            switch direction {
            case .policyToReference: k += Foundation.exp(logQ) * (logQ - logP0)
            case .referenceToPolicy: k += Foundation.exp(logP0) * (logP0 - logQ)
            }
        }
        entropy = h
        kl = max(k, 0)
    }
}
