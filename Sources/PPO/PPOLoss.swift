// Phase 5 of a PPO iteration (see the PPO article) on one batch of episodes: the clipped surrogate policy loss plus
// c_v times the clipped value loss, from one teacher-forced forward pass of the policy (and of a separate value
// model).
import Foundation
import LanguageModels
import TensorCore
import TrainingCore

/// The PPO loss of some episodes and its diagnostics.
public struct PPOLoss {
    /// `pgLoss + c_v · vfLoss`, differentiable.
    public let total: Variable
    /// The clipped surrogate loss and its diagnostics (clip fraction, approximate KL, mean ratio).
    public let policy: PolicyLossResult
    /// The clipped value loss `½·maskedMean(max((V − R)², (V_clip − R)²))`.
    public let value: Variable
    /// Fraction of real tokens where the clipped value term was larger.
    public let valueClipFraction: Double
    /// The number of real response tokens the losses average over.
    public let tokenCount: Int
}

/// The PPO loss of a rollout's episodes under the current policy and critic.
///
/// - Parameters:
///   - policy: the policy being trained.
///   - critic: its value head or separate value model.
///   - rollout: the episodes (old log-probabilities and values from the rollout).
///   - advantages: whitened advantages and returns of the same episodes.
///   - temperature: the rollout temperature τ.
///   - clipRange: ε.
///   - valueClipRange: ε_v.
///   - valueCoefficient: c_v.
///   - minimumNewTokens: the sampler's minimum length; with `stopTokens`, scored as in
///     `GPT.scoreResponses(…, minimumNewTokens:stopTokens:)`, the same distribution as the rollout's.
///   - stopTokens: the sampler's stop tokens.
/// - Throws: `LanguageModelError` for bad ids or over-long rows.
public func ppoLoss(policy: GPT, critic: PPOCritic, rollout: PPORollout, advantages: PPOAdvantages,
                    temperature: Float, clipRange: Float, valueClipRange: Float, valueCoefficient: Float,
                    minimumNewTokens: Int = 0, stopTokens: [Int32] = []) throws -> PPOLoss {
    let mask = rollout.mask
    let sharedHead: ScalarHead?
    if case .sharedHead(let head) = critic { sharedHead = head } else { sharedHead = nil }
    let scores = try policy.scoreResponses(prompts: rollout.prompts, responses: rollout.responses, temperature: temperature,
                                           valueHead: sharedHead, computeEntropies: false,
                                           minimumNewTokens: minimumNewTokens, stopTokens: stopTokens)
    let values: Variable
    switch critic {
    case .sharedHead: values = scores.values!
    case .separate(let model): values = try model.values(prompts: rollout.prompts, responses: rollout.responses)
    }
    let policyLoss = clippedPolicyLoss(logProbabilities: scores.logProbabilities, oldLogProbabilities: rollout.logProbabilities,
                                       advantages: advantages.advantages, mask: mask, clipRange: clipRange)
    let valueLoss = clippedValueLoss(values: values, oldValues: rollout.values, returns: advantages.returns, mask: mask,
                                     clipRange: valueClipRange)
    return PPOLoss(total: policyLoss.loss + valueLoss.loss * valueCoefficient, policy: policyLoss, value: valueLoss.loss,
                   valueClipFraction: valueLoss.clipFraction, tokenCount: Int(mask.sum()))
}
