// Token-level unlikelihood training (Welleck et al. 2019, "Neural Text Generation with Unlikelihood Training",
// arXiv 1908.04319, Eq. 4): at each position t, the tokens of the previous context that are not the target are
// negative candidates C_t, and
//
//   L_UL = Σ_t [ −log p(y_t | y_<t) − α · Σ_{c ∈ C_t} log(1 − p(c | y_<t)) ]      (token mean over the batch)
//
// With p = softmax(ℓ), the unlikelihood term's gradient is
//   d/dℓ_j Σ_c −log(1 − p_c) = 1[j ∈ C]·p_j/(1 − p_j) − p_j · Σ_{c∈C} p_c/(1 − p_c).
import Foundation
import LanguageModels
import TensorCore

/// The token means of an unlikelihood loss's two terms.
public struct UnlikelihoodTerms: Equatable, Sendable {
    public var negativeLogLikelihood: Double
    public var unlikelihood: Double
    public var tokenCount: Int
}

public enum Unlikelihood {
    /// MLE + α·token-level unlikelihood over a block of text.
    ///
    /// Position t of a row predicts token t + 1 (both real); the candidates are the distinct real tokens before
    /// t + 1 in the row, minus the target and minus `ignoredCandidates` (e.g. the end-of-text separator).
    ///
    /// - Parameters:
    ///   - model: the language model.
    ///   - batch: `[B, T]` text (right-padded or dense).
    ///   - alpha: α, the weight of the unlikelihood term (Welleck et al. use 1).
    /// - Returns: the scalar loss (token mean) and its terms.
    public static func loss(model: GPT, batch: TokenBatch, alpha: Float, ignoredCandidates: Set<Int32> = []) throws
        -> (loss: Variable, terms: UnlikelihoodTerms) {
        let logits = try model.forward(batch).logits                          // [B, T, V]
        let v = model.config.vocabularySize, T = batch.length
        let targets = GPT.nextTokenTargets(batch)                              // −100 where nothing is predicted
        let mask = batch.mask.scalars
        // Candidates of each row position: previous real tokens (distinct), excluding the target.
        var candidates = [[Int32]](repeating: [], count: targets.count)
        for b in 0..<batch.batchSize {
            var seen = Set<Int32>(), ordered: [Int32] = []
            for t in 0..<T {
                let i = b * T + t
                guard mask[i] != 0 else { continue }
                let token = batch.tokens[i]
                if !ignoredCandidates.contains(token) && seen.insert(token).inserted { ordered.append(token) }
                if targets[i] >= 0 { candidates[i] = ordered.filter { $0 != targets[i] } }
            }
        }
        return fused(logits: logits, targets: targets, candidates: candidates, vocabularySize: v, alpha: alpha)
    }

    /// The fused loss over rows of logits `[N, V]` with one target (negative = skipped) and candidate list per row.
    public static func fused(logits: Variable, targets: [Int32], candidates: [[Int32]], vocabularySize v: Int, alpha: Float)
        -> (loss: Variable, terms: UnlikelihoodTerms) {
        let rows = targets.count
        precondition(logits.value.count == rows * v && candidates.count == rows, "Unlikelihood: shapes do not match")
        let counted = targets.filter { $0 >= 0 }.count
        let lv = logits.value
        var nll = [Float](repeating: 0, count: rows), ul = nll
        lv.withUnsafeBufferPointer { pl in
            for row in 0..<rows where targets[row] >= 0 {
                let l = pl.baseAddress! + row * v
                let lse = Tensor.logSumExp(l, v)
                nll[row] = lse - l[Int(targets[row])]
                var u: Float = 0
                for c in candidates[row] { u -= Foundation.log(max(1 - Foundation.exp(l[Int(c)] - lse), 1e-6)) }
                ul[row] = u
            }
        }
        let n = Double(max(counted, 1))
        let sumN = nll.reduce(0.0) { $0 + Double($1) }, sumU = ul.reduce(0.0) { $0 + Double($1) }
        let value = Float((sumN + Double(alpha) * sumU) / n)
        let terms = UnlikelihoodTerms(negativeLogLikelihood: sumN / n, unlikelihood: sumU / n, tokenCount: counted)
        let loss = Variable.record(Tensor(value), parents: [logits]) { g in
            let scale = g.item / Float(max(counted, 1))
            var d = Tensor(zeros: lv.shape)
            lv.withUnsafeBufferPointer { pl in
                d.withUnsafeMutableBufferPointer { pd in
                    let base = pl.baseAddress!, out = pd.baseAddress!
                    Compute.parallelFor(rows, costPerItem: 6 * v) { range in
                        for row in range where targets[row] >= 0 {
                            let l = base + row * v, o = out + row * v
                            let lse = Tensor.logSumExp(l, v)
                            var ratioSum: Float = 0
                            for c in candidates[row] {
                                let p = min(Foundation.exp(l[Int(c)] - lse), 1 - 1e-6)
                                ratioSum += p / (1 - p)
                            }
                            for j in 0..<v {
                                let p = Foundation.exp(l[j] - lse)
                                o[j] = scale * (p - alpha * p * ratioSum)
                            }
                            o[Int(targets[row])] -= scale
                            for c in candidates[row] {
                                let p = min(Foundation.exp(l[Int(c)] - lse), 1 - 1e-6)
                                o[Int(c)] += scale * alpha * p / (1 - p)
                            }
                        }
                    }
                }
            }
            logits.accumulateGradient(d)
        }
        return (loss, terms)
    }
}
