// KL-coefficient controllers: fixed, and the adaptive proportional controller of Ziegler et al. 2019
// (arXiv 1909.08593, §2.2).
import Foundation

/// The KL-penalty coefficient β and how it changes after each iteration.
public struct KLController: Codable, Equatable, Sendable {
    /// The current coefficient β.
    public private(set) var coefficient: Double
    /// The target sequence KL in nats; nil means a fixed coefficient.
    public let target: Double?
    /// The horizon H in episodes of the adaptive update.
    public let horizon: Double

    /// A fixed coefficient.
    public static func fixed(_ coefficient: Double) -> KLController {
        KLController(coefficient: coefficient, target: nil, horizon: 1)
    }

    /// Ziegler et al.'s controller: after each iteration, `e = clip(KL/target − 1, −0.2, 0.2)` and
    /// `β ← β·(1 + e·n/H)` with n the number of episodes in the iteration.
    public static func adaptive(initial: Double, target: Double, horizon: Double = 10_000) -> KLController {
        KLController(coefficient: initial, target: target, horizon: horizon)
    }

    /// Updates β from the measured mean sequence KL of an iteration of `episodes` samples.
    public mutating func update(currentKL: Double, episodes: Int) {
        guard let target, currentKL.isFinite else { return }
        let error = Swift.min(Swift.max(currentKL / target - 1, -0.2), 0.2)
        coefficient *= 1 + error * Double(episodes) / horizon
    }
}
