// Generalised advantage estimation (Schulman et al. 2016, arXiv 1506.02438, eq. 16).
// Shapes: rewards, values, mask [B, T].
import TensorCore

/// GAE per row, backwards over time, with V after the last real token taken as 0 and padded positions
/// contributing nothing: δₜ = rₜ + γVₜ₊₁ − Vₜ, Aₜ = δₜ + γλAₜ₊₁, returnsₜ = Aₜ + Vₜ.
///
/// - Returns: advantages and returns `[B, T]` (0 at padded positions), before any whitening.
public func generalizedAdvantageEstimates(
    rewards: Tensor, values: Tensor, mask: Tensor, gamma: Float, lambda: Float
) -> (advantages: Tensor, returns: Tensor) {
    precondition(rewards.shape == values.shape && values.shape == mask.shape && rewards.rank == 2,
                 "GAE: rewards \(rewards.shape), values \(values.shape) and mask \(mask.shape) must be equal [B, T]")
    let b = rewards.shape[0], t = rewards.shape[1]
    var advantages = Tensor(zeros: [b, t]), returns = Tensor(zeros: [b, t])
    let r = rewards.scalars, v = values.scalars, m = mask.scalars
    advantages.withUnsafeMutableBufferPointer { pa in
        returns.withUnsafeMutableBufferPointer { pr in
            for row in 0..<b {
                var nextValue: Float = 0, nextAdvantage: Float = 0
                for step in stride(from: t - 1, through: 0, by: -1) {
                    let i = row * t + step
                    if m[i] == 0 { continue }
                    let delta = r[i] + gamma * nextValue - v[i]
                    let a = delta + gamma * lambda * nextAdvantage
                    pa[i] = a
                    pr[i] = a + v[i]
                    nextValue = v[i]
                    nextAdvantage = a
                }
            }
        }
    }
    return (advantages, returns)
}
