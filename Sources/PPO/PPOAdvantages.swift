// The per-token quantities of phases 3–4 of a PPO iteration, which the PPO epochs read.
import Foundation
import Rollouts
import TensorCore

/// The per-token quantities derived from a rollout before the PPO epochs (phases 3–4 in the PPO article).
public struct PPOAdvantages {
    /// The KL estimates of the penalty (by the configured estimator), `[B, R]`.
    public var kl: Tensor
    /// KL-shaped rewards, whitened when configured, `[B, R]`.
    public var rewards: Tensor
    /// Whitened GAE advantages, `[B, R]` (0 at padding).
    public var advantages: Tensor
    /// Returns `A + V` before whitening: the value targets, `[B, R]`.
    public var returns: Tensor
    /// `mean_b Σₜ (log π − log π_ref)`: the sequence KL (k1) that the adaptive controller tracks.
    public var meanSequenceKL: Double
    /// `mean_b Σₜ −β·klₜ`: the mean KL part of the episode return.
    public var meanNonScoreReward: Double

    public init(kl: Tensor, rewards: Tensor, advantages: Tensor, returns: Tensor, meanSequenceKL: Double, meanNonScoreReward: Double) {
        self.kl = kl
        self.rewards = rewards
        self.advantages = advantages
        self.returns = returns
        self.meanSequenceKL = meanSequenceKL
        self.meanNonScoreReward = meanNonScoreReward
    }

    /// The episodes `indices`, keeping the first `width` response columns.
    func episodes(_ indices: [Int], width: Int) -> PPOAdvantages {
        func cut(_ t: Tensor) -> Tensor {
            let rows = t.rows(indices)
            return width == t.shape[1] ? rows : rows.slice(axis: 1, 0..<width)
        }
        return PPOAdvantages(kl: cut(kl), rewards: cut(rewards), advantages: cut(advantages), returns: cut(returns),
                             meanSequenceKL: meanSequenceKL, meanNonScoreReward: meanNonScoreReward)
    }
}
