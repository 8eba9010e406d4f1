// The critic-free policy losses as TRL implements them (RLOO, arXiv 2402.14740; GRPO, arXiv 2402.03300 eq. 3): RLOO's
// sequence-level clipped ratio and GRPO's per-token clipped ratio with an optional k3 KL term and four loss
// aggregations. Both use TrainingCore's one `clippedSurrogate`. Shapes: [B, T] per-token tensors with a response mask; advantages are per sequence, [B].
import Foundation
import TensorCore
import TrainingCore

/// How GRPO reduces its per-token losses ℓ_{i,t} to one number (TRL `loss_type`); ``GRPOConfig/lossAggregation``,
/// spelled `grpo`, `bnpo`, `dr_grpo` or `dapo` in configuration files.
public enum GRPOLossAggregation: String, ConfigurationChoice {
    /// Mean over sequences of each sequence's token mean (the GRPO paper).
    case grpo
    /// Σ ℓ / #tokens of each micro-batch, averaged over the micro-batches of the step.
    case bnpo
    /// Σ ℓ / (B · maximum completion length) (Dr. GRPO; no length bias).
    case drGRPO = "dr_grpo"
    /// Σ ℓ / #tokens of the whole step batch (DAPO; TRL's default).
    case dapo
}

/// A critic-free loss and its diagnostics.
public struct CriticFreeLossResult {
    /// The loss, differentiable with respect to the policy's log-probabilities.
    public let loss: Variable
    /// The policy-gradient part (without the KL term), as a number.
    public let policyLoss: Double
    /// The KL part β·Σ w·k3 (0 without a KL term).
    public let klLoss: Double
    /// Fraction of ratios (tokens for GRPO, sequences for RLOO) where the clipped term was active.
    public let clipFraction: Double
    /// Mean probability ratio.
    public let meanRatio: Double
}

/// The per-token weights w with `Σ w·ℓ` = GRPO's aggregated loss, for one micro-batch of a step.
///
/// - Parameters:
///   - mask: the micro-batch's response mask `[b, T]`.
///   - aggregation: the reduction.
///   - totalSequences: B, sequences in the whole step batch.
///   - totalTokens: real tokens in the whole step batch.
///   - microBatchCount: micro-batches of the step (for `.bnpo`).
///   - maximumCompletionLength: the generation limit (for `.drGRPO`).
public func grpoTokenWeights(mask: Tensor, aggregation: GRPOLossAggregation, totalSequences: Int, totalTokens: Double,
                             microBatchCount: Int = 1, maximumCompletionLength: Int) -> Tensor {
    let b = mask.shape[0], t = mask.shape[1]
    var weights = [Float](repeating: 0, count: b * t)
    let m = mask.scalars
    let localTokens = m.reduce(0.0) { $0 + Double($1) }
    for row in 0..<b {
        let length = (0..<t).reduce(0.0) { $0 + Double(m[row * t + $1]) }
        let w: Double
        switch aggregation {
        case .grpo: w = 1 / (Double(totalSequences) * max(length, 1))
        case .bnpo: w = 1 / (Double(microBatchCount) * max(localTokens, 1))
        case .drGRPO: w = 1 / (Double(totalSequences) * Double(maximumCompletionLength))
        case .dapo: w = 1 / max(totalTokens, 1)
        }
        for j in 0..<t where m[row * t + j] != 0 { weights[row * t + j] = Float(w) }
    }
    return Tensor(shape: [b, t], scalars: weights)
}

/// Broadcasts per-sequence advantages `[B]` over a `[B, T]` mask (0 at padding).
func perToken(_ advantages: [Float], mask: Tensor) -> Tensor {
    let b = mask.shape[0], t = mask.shape[1]
    let m = mask.scalars
    var out = [Float](repeating: 0, count: b * t)
    for row in 0..<b { for j in 0..<t where m[row * t + j] != 0 { out[row * t + j] = advantages[row] } }
    return Tensor(shape: [b, t], scalars: out)
}

/// GRPO's loss: `Σ_{i,t} w_{i,t} [−min(ρ A_i, clip(ρ, 1−ε_low, 1+ε_high) A_i) + β k3_{i,t}]` with the per-token
/// ratio `ρ = exp(log π − log π_old)` and `k3 = exp(log π_ref − log π) − (log π_ref − log π) − 1`.
///
/// - Parameters:
///   - logProbabilities: log π(y_t), `[B, T]`, with gradient.
///   - oldLogProbabilities: log π_old(y_t) from generation time.
///   - referenceLogProbabilities: log π_ref(y_t); needed when `klCoefficient > 0`.
///   - advantages: A_i, `[B]`.
///   - mask: 1 on real response tokens.
///   - weights: from ``grpoTokenWeights(mask:aggregation:totalSequences:totalTokens:microBatchCount:maximumCompletionLength:)``.
///   - clipLow: ε. Default 0.2.
///   - clipHigh: ε_high. Default 0.2.
///   - klCoefficient: β ≥ 0. Default 0.
public func grpoLoss(logProbabilities: Variable, oldLogProbabilities: Tensor, referenceLogProbabilities: Tensor?,
                     advantages: [Float], mask: Tensor, weights: Tensor, clipLow: Float = 0.2, clipHigh: Float = 0.2,
                     klCoefficient: Float = 0) -> CriticFreeLossResult {
    precondition(logProbabilities.shape == mask.shape && oldLogProbabilities.shape == mask.shape && weights.shape == mask.shape
                 && advantages.count == mask.shape[0], "grpoLoss: shapes differ")
    let ratio = (logProbabilities - Variable(oldLogProbabilities)).exp()
    let (surrogate, clippedMore) = clippedSurrogate(ratio: ratio, advantages: perToken(advantages, mask: mask),
                                                    clipLow: clipLow, clipHigh: clipHigh)
    let w = Variable(weights)
    let policyLoss = (surrogate * w).sum()
    var loss = policyLoss
    var klLoss = 0.0
    if klCoefficient > 0 {
        guard let referenceLogProbabilities else { preconditionFailure("grpoLoss: a KL term needs reference log-probabilities") }
        let d = Variable(referenceLogProbabilities) - logProbabilities
        let k3 = d.exp() - d - 1
        let kl = (k3 * w).sum() * klCoefficient
        klLoss = Double(kl.value.item)
        loss = loss + kl
    }
    return CriticFreeLossResult(loss: loss, policyLoss: Double(policyLoss.value.item), klLoss: klLoss,
                                clipFraction: maskedMean(clippedMore, mask: mask), meanRatio: maskedMean(ratio.value, mask: mask))
}

/// RLOO's loss with a sequence-level ratio: `Σ_i w_i · −min(ρ_i A_i, clip(ρ_i, 1−ε_low, 1+ε_high) A_i)` with
/// `ρ_i = exp(Σ_t log π(y_i,t) − Σ_t log π_old(y_i,t))` (TRL `rloo_trainer.py`); `w_i = 1/B` over the step batch.
///
/// - Parameters:
///   - logProbabilities: log π(y_t), `[b, T]`, with gradient (0 at padding).
///   - oldLogProbabilities: log π_old(y_t), `[b, T]`.
///   - advantages: A_i, `[b]`.
///   - mask: 1 on real response tokens.
///   - sequenceWeight: w, 1/B for the whole step batch.
///   - clipLow: ε. Default 0.2.
///   - clipHigh: ε_high. Default 0.2.
public func rlooLoss(logProbabilities: Variable, oldLogProbabilities: Tensor, advantages: [Float], mask: Tensor,
                     sequenceWeight: Float, clipLow: Float = 0.2, clipHigh: Float = 0.2) -> CriticFreeLossResult {
    precondition(logProbabilities.shape == mask.shape && oldLogProbabilities.shape == mask.shape
                 && advantages.count == mask.shape[0], "rlooLoss: shapes differ")
    let b = mask.shape[0]
    let sequence = (logProbabilities * Variable(mask)).sum(axis: 1)
    let oldSequence = (oldLogProbabilities * mask).sum(axis: 1)
    let ratio = (sequence - Variable(oldSequence)).exp()
    let (surrogate, clipped) = clippedSurrogate(ratio: ratio, advantages: Tensor(shape: [b], scalars: advantages),
                                                clipLow: clipLow, clipHigh: clipHigh)
    let loss = surrogate.sum() * sequenceWeight
    let clippedMore = clipped.scalars.filter { $0 != 0 }.count
    return CriticFreeLossResult(loss: loss, policyLoss: Double(loss.value.item), klLoss: 0,
                                clipFraction: Double(clippedMore) / Double(max(b, 1)),
                                meanRatio: Double(ratio.value.scalars.reduce(0, +)) / Double(max(b, 1)))
}
