// Pure functions of phases 3–4 of a PPO iteration (see the PPO article; the missing-stop penalty of phase 2 is
// Rollouts' `penalizedScores`): KL-shaped per-token rewards, optional reward whitening, GAE and advantage
// whitening. Shapes: [B, R] per-token tensors, [B] scores.
import Distributed
import Foundation
import TensorCore
import TrainingCore

/// Per-token rewards `rₜ = −β·klₜ`, plus the sequence score on the last real token of each row
/// (lm-human-preferences, AlpacaFarm and OpenRLHF put it there; TRL one position later).
///
/// - Parameters:
///   - scores: one score per episode, `[B]`.
///   - kl: per-token KL estimates `[B, R]` (0 at padding).
///   - mask: `[B, R]`, 1 on real response tokens; every row needs at least one.
///   - klCoefficient: β.
/// - Returns: rewards `[B, R]`, 0 at padding.
public func klShapedRewards(scores: [Float], kl: Tensor, mask: Tensor, klCoefficient: Float) -> Tensor {
    precondition(kl.shape == mask.shape && kl.rank == 2 && scores.count == kl.shape[0],
                 "klShapedRewards: kl \(kl.shape), mask \(mask.shape) and \(scores.count) scores do not agree")
    let b = kl.shape[0], t = kl.shape[1]
    var rewards = Tensor(zeros: [b, t])
    kl.withUnsafeBufferPointer { k in
        mask.withUnsafeBufferPointer { m in
            rewards.withUnsafeMutableBufferPointer { r in
                for row in 0..<b {
                    var last = -1
                    for i in 0..<t where m[row * t + i] != 0 {
                        r[row * t + i] = -klCoefficient * k[row * t + i]
                        last = i
                    }
                    precondition(last >= 0, "klShapedRewards: response \(row) has no real token")
                    r[row * t + last] += scores[row]
                }
            }
        }
    }
    return rewards
}

/// Steps 3–5 of a PPO iteration on a rollout: per-token KL by `estimator`, rewards `−β·kl` plus the score on
/// the last real token, optional reward whitening (mean kept), GAE, returns, and whitened advantages.
///
/// - Parameters:
///   - rollout: the collected episodes.
///   - klCoefficient: β for this iteration.
///   - estimator: the per-token KL estimator of the penalty.
///   - whitenRewards: whether rewards are scaled to unit variance before GAE.
///   - gamma: discount γ.
///   - lambda: GAE λ.
public func estimateAdvantages(rollout: PPORollout, klCoefficient: Float, estimator: KLEstimator = .k1,
                               whitenRewards: Bool = false, gamma: Float = 1, lambda: Float = 0.95) -> PPOAdvantages {
    try! estimateAdvantages(rollout: rollout, klCoefficient: klCoefficient, estimator: estimator, whitenRewards: whitenRewards,
                            gamma: gamma, lambda: lambda, communicator: SingleProcessCommunicator())
}

/// `estimateAdvantages` for one rank's shard of a batch: the whitening and the mean KL and non-score reward are
/// those of the whole batch (sums and counts all-reduced over `communicator`'s ranks; every rank calls this
/// together).
public func estimateAdvantages(rollout: PPORollout, klCoefficient: Float, estimator: KLEstimator = .k1,
                               whitenRewards: Bool = false, gamma: Float = 1, lambda: Float = 0.95,
                               communicator: any Communicator) throws -> PPOAdvantages {
    let mask = rollout.mask
    let kl = estimator.perToken(logProbabilities: rollout.logProbabilities,
                                referenceLogProbabilities: rollout.referenceLogProbabilities, mask: mask)
    var rewards = klShapedRewards(scores: rollout.scores, kl: kl, mask: mask, klCoefficient: klCoefficient)
    let b = Double(rollout.batchSize)
    let k1 = KLEstimator.k1.perToken(logProbabilities: rollout.logProbabilities,
                                     referenceLogProbabilities: rollout.referenceLogProbabilities, mask: mask)
    let sums = try communicator.allReduceSum([maskedSum(k1, mask: mask), maskedSum(kl, mask: mask), b])
    let meanSequenceKL = sums[0] / sums[2]
    let meanNonScore = -Double(klCoefficient) * sums[1] / sums[2]
    if whitenRewards { rewards = try whiten(rewards, mask: mask, shiftMean: false, communicator: communicator) }
    let (advantages, returns) = generalizedAdvantageEstimates(rewards: rewards, values: rollout.values, mask: mask,
                                                              gamma: gamma, lambda: lambda)
    return PPOAdvantages(kl: kl, rewards: rewards, advantages: try whiten(advantages, mask: mask, shiftMean: true, communicator: communicator),
                         returns: returns, meanSequenceKL: meanSequenceKL, meanNonScoreReward: meanNonScore)
}
