// Per-token KL estimators on sampled tokens (Schulman 2020, "Approximating KL divergence",
// http://joschu.net/blog/kl-approx.html: k1, k2, k3).
import Foundation
import TensorCore

/// How the per-token KL between the policy π and the reference π_ref is estimated from the log-ratio
/// `lr = log π(y) − log π_ref(y)` of the sampled token.
public enum KLEstimator: String, Codable, CaseIterable, Sendable {
    /// `lr`: unbiased for KL(π‖π_ref), can be negative per token (the PPO-RLHF default).
    case k1
    /// `½ lr²`: biased, low variance, never negative.
    case k2
    /// `exp(−lr) − 1 + lr`: unbiased and never negative (GRPO's choice).
    case k3
    /// `|lr|`.
    case abs
    /// `max(lr, 0)`, as AlpacaFarm's PPO uses.
    case clampedK1

    /// The estimate for one log-ratio.
    @inlinable
    public func estimate(logRatio lr: Float) -> Float {
        switch self {
        case .k1: return lr
        case .k2: return 0.5 * lr * lr
        case .k3: return Foundation.exp(-lr) - 1 + lr
        case .abs: return Swift.abs(lr)
        case .clampedK1: return Swift.max(lr, 0)
        }
    }

    /// Per-token estimates `[B, T]`, zero where `mask` is 0.
    public func perToken(logProbabilities: Tensor, referenceLogProbabilities: Tensor, mask: Tensor) -> Tensor {
        precondition(logProbabilities.shape == referenceLogProbabilities.shape && mask.shape == logProbabilities.shape,
                     "KL: shapes \(logProbabilities.shape), \(referenceLogProbabilities.shape), \(mask.shape) differ")
        let lr = logProbabilities - referenceLogProbabilities
        return Tensor.binary(lr, mask) { $1 == 0 ? 0 : self.estimate(logRatio: $0) }
    }
}
