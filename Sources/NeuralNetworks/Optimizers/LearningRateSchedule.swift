// Learning-rate schedules as pure values: constant, or linear warm-up followed by linear or cosine decay to a
// floor (nanoGPT's get_lr). Steps count optimizer updates already taken, starting at 0.
import Foundation

/// A learning rate as a pure function of the step.
///
/// `step` is the number of optimizer updates already taken, so the rate for the next update is
/// `schedule(optimizer.stepCount)`:
///
/// ```swift
/// let schedule = LearningRateSchedule.warmupCosine(peak: 6e-4, warmupSteps: 100, totalSteps: 5000, minimumRatio: 0.1)
/// try schedule.validate()
/// optimizer.learningRate = schedule(optimizer.stepCount)
/// optimizer.step()
/// ```
///
/// With warm-up, step s < W gets `peak · (s + 1) / W` (so the first update is not wasted at zero and step
/// W − 1 reaches the peak); then the progress `q = (s − W) / (T − W)` runs from 0 to 1 and the rate is
/// `peak · (r + (1 − r) · c(q))` with `c(q) = 1 − q` (linear) or `(1 + cos πq) / 2` (cosine) and floor ratio r.
/// From step T on, the rate stays at `peak · r`.
public enum LearningRateSchedule: Codable, Equatable, Sendable {
    /// The same rate at every step.
    case constant(learningRate: Float)
    /// Linear warm-up to `peak` over `warmupSteps`, then linear decay to `peak · minimumRatio` at `totalSteps`.
    case warmupLinear(peak: Float, warmupSteps: Int, totalSteps: Int, minimumRatio: Float)
    /// Linear warm-up to `peak` over `warmupSteps`, then cosine decay to `peak · minimumRatio` at `totalSteps`.
    case warmupCosine(peak: Float, warmupSteps: Int, totalSteps: Int, minimumRatio: Float)

    /// The learning rate for the update that follows `step` completed updates (negative steps count as 0).
    public func learningRate(atStep step: Int) -> Float {
        let s = max(step, 0)
        switch self {
        case .constant(let rate):
            return rate
        case .warmupLinear(let peak, let warmup, let total, let ratio),
             .warmupCosine(let peak, let warmup, let total, let ratio):
            if s < warmup { return Float(Double(peak) * Double(s + 1) / Double(warmup)) }
            let progress = total > warmup ? min(Double(s - warmup) / Double(total - warmup), 1) : 1
            let shape: Double
            if case .warmupLinear = self {
                shape = 1 - progress
            } else {
                shape = 0.5 * (1 + cos(Double.pi * progress))
            }
            return Float(Double(peak) * (Double(ratio) + (1 - Double(ratio)) * shape))
        }
    }

    /// Same as `learningRate(atStep:)`.
    public func callAsFunction(_ step: Int) -> Float { learningRate(atStep: step) }

    /// Checks the settings: rates finite and ≥ 0, `warmupSteps` ≥ 0, `totalSteps` ≥ `warmupSteps`, and
    /// `minimumRatio` in [0, 1].
    ///
    /// - Throws: `OptimizerError.invalid` naming the field, its value and the allowed range.
    public func validate() throws(OptimizerError) {
        switch self {
        case .constant(let rate):
            try OptimizerError.requireNonNegative("learningRate", rate, example: "3e-4")
        case .warmupLinear(let peak, let warmup, let total, let ratio),
             .warmupCosine(let peak, let warmup, let total, let ratio):
            try OptimizerError.requireNonNegative("peak", peak, example: "6e-4")
            guard warmup >= 0 else {
                throw .invalidHyperparameter(field: "warmupSteps", value: Double(warmup), allowed: "≥ 0 (e.g. 100, or 0 for no warm-up)")
            }
            guard total >= warmup else {
                throw .invalidHyperparameter(field: "totalSteps", value: Double(total),
                                             allowed: "≥ warmupSteps (\(warmup)); set it to the planned number of updates")
            }
            guard ratio >= 0, ratio <= 1 else {
                throw .invalidHyperparameter(field: "minimumRatio", value: Double(ratio), allowed: "in [0, 1] (e.g. 0.1)")
            }
        }
    }
}
