// PPO's clipped surrogate (Schulman et al. 2017, arXiv 1707.06347, eq. 7), the one implementation PPO, RLOO and GRPO
// share, its masked-mean policy loss, and the clipped value loss of lm-human-preferences and TRL, with their
// diagnostics. Shapes: [B, T] per-token quantities and a response mask of the same shape.
import TensorCore

/// The clipped surrogate of every element as a loss, `max(−A·ρ, −A·clip(ρ, 1−ε_low, 1+ε_high))`
/// (= `−min(ρA, clip(ρ)A)`, arXiv 1707.06347 eq. 7), and where the clipped term was the larger one.
///
/// PPO reads it per token, GRPO per token with asymmetric ranges (DAPO's ε_high), RLOO per sequence.
///
/// - Parameters:
///   - ratio: the probability ratio ρ = π/π_old, with gradient, any shape.
///   - advantages: A, the shape of `ratio`.
///   - clipLow: ε (the ratio is clipped below at 1 − ε).
///   - clipHigh: ε_high (the ratio is clipped above at 1 + ε_high).
/// - Returns: the per-element loss and a 0/1 tensor that is 1 where the clipped term was larger.
public func clippedSurrogate(ratio: Variable, advantages: Tensor, clipLow: Float, clipHigh: Float)
    -> (loss: Variable, clipped: Tensor) {
    precondition(ratio.shape == advantages.shape, "clippedSurrogate: ratio \(ratio.shape) and advantages \(advantages.shape) differ")
    let negativeAdvantages = Variable(-advantages)
    let unclipped = ratio * negativeAdvantages
    let clipped = ratio.clamped(min: 1 - clipLow, max: 1 + clipHigh) * negativeAdvantages
    let clippedMore = Tensor.binary(clipped.value, unclipped.value) { $0 > $1 ? 1 : 0 }
    return (Variable.maximum(unclipped, clipped), clippedMore)
}

/// The result of the clipped policy loss: the differentiable loss plus diagnostics.
public struct PolicyLossResult {
    /// `maskedMean(max(−A·ratio, −A·clip(ratio, 1−ε, 1+ε)))`.
    public let loss: Variable
    /// Fraction of real tokens where the clipped term was the larger one.
    public let clipFraction: Double
    /// `½·maskedMean((log π − log π_old)²)`.
    public let approximateKL: Double
    /// Masked mean of the probability ratio.
    public let meanRatio: Double
}

/// The clipped surrogate objective of PPO, as a loss to minimise.
///
/// - Parameters:
///   - logProbabilities: log π(yₜ) under the current policy, `[B, T]`, with gradient.
///   - oldLogProbabilities: log π_old(yₜ) from the rollout, `[B, T]`.
///   - advantages: whitened advantages `[B, T]`.
///   - mask: 1 on real response tokens.
///   - clipRange: ε.
public func clippedPolicyLoss(
    logProbabilities: Variable, oldLogProbabilities: Tensor, advantages: Tensor, mask: Tensor, clipRange: Float
) -> PolicyLossResult {
    precondition(logProbabilities.shape == oldLogProbabilities.shape && advantages.shape == mask.shape
                 && mask.shape == logProbabilities.shape, "clippedPolicyLoss: shapes differ")
    let logRatio = logProbabilities - Variable(oldLogProbabilities)
    let ratio = logRatio.exp()
    let (perToken, clippedMore) = clippedSurrogate(ratio: ratio, advantages: advantages, clipLow: clipRange, clipHigh: clipRange)
    let tokens = Float(Swift.max(mask.sum(), 1))
    let loss = (perToken * Variable(mask)).sum() * (1 / tokens)
    let squaredLogRatio = logRatio.value * logRatio.value
    return PolicyLossResult(
        loss: loss,
        clipFraction: maskedMean(clippedMore, mask: mask),
        approximateKL: 0.5 * maskedMean(squaredLogRatio, mask: mask),
        meanRatio: maskedMean(ratio.value, mask: mask))
}

/// The clipped value loss `½·maskedMean(max((V − R)², (V_clip − R)²))` with
/// `V_clip = V_old + clip(V − V_old, −ε_v, ε_v)`.
///
/// - Returns: the loss and the fraction of real tokens where the clipped term was larger.
public func clippedValueLoss(
    values: Variable, oldValues: Tensor, returns: Tensor, mask: Tensor, clipRange: Float
) -> (loss: Variable, clipFraction: Double) {
    precondition(values.shape == oldValues.shape && returns.shape == mask.shape && mask.shape == values.shape,
                 "clippedValueLoss: shapes differ")
    let old = Variable(oldValues), target = Variable(returns)
    let clippedValues = (values - old).clamped(min: -clipRange, max: clipRange) + old
    let e1 = values - target, e2 = clippedValues - target
    let perToken = Variable.maximum(e1 * e1, e2 * e2)
    let tokens = Float(Swift.max(mask.sum(), 1))
    let loss = (perToken * Variable(mask)).sum() * (0.5 / tokens)
    let clippedMore = Tensor.binary((e2 * e2).value, (e1 * e1).value) { $0 > $1 ? 1 : 0 }
    return (loss, maskedMean(clippedMore, mask: mask))
}
