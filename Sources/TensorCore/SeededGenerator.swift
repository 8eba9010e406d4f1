// A small, fast, seedable random number generator (xoshiro256**) whose state can be saved and restored.
import Foundation
import Randomness

/// A deterministic random number generator: the same seed gives the same stream on every machine.
///
/// Every random choice in the library takes one of these (or any `RandomNumberGenerator`) explicitly;
/// there is no global generator. The state is `Codable`, so checkpoints can resume a stream exactly.
public struct SeededGenerator: RandomNumberGenerator, Codable, Equatable, Sendable {
    /// The four 64-bit words of xoshiro256** state.
    public private(set) var state: [UInt64]

    /// Creates a generator whose stream is determined by `seed` (expanded with SplitMix64).
    public init(seed: UInt64) {
        var expander = SplitMix64(seed: seed)
        state = (0..<4).map { _ in expander.next() }
    }

    @inlinable
    static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = SeededGenerator.rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = SeededGenerator.rotl(state[3], 45)
        return result
    }

    /// Derives an independent generator (for a sub-task) without disturbing reproducibility.
    public mutating func split() -> SeededGenerator {
        SeededGenerator(seed: next())
    }
}

extension RandomNumberGenerator {
    /// A uniform `Float` in [0, 1) with 24 bits of randomness.
    @inlinable
    public mutating func nextUniformFloat() -> Float {
        Float(next() >> 40) * (1.0 / Float(1 << 24))
    }

    /// A uniform `Double` in [0, 1) with 53 bits of randomness.
    @inlinable
    public mutating func nextUniformDouble() -> Double {
        Double(next() >> 11) * (1.0 / Double(UInt64(1) << 53))
    }

    /// A standard normal draw (Box–Muller, one value per call so that streams stay simple to reason about).
    @inlinable
    public mutating func nextNormal() -> Double {
        var u1 = nextUniformDouble()
        if u1 < 1e-300 { u1 = 1e-300 }
        let u2 = nextUniformDouble()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }
}

extension SeededGenerator {
    /// The generator of one example of one step: seeded from the run's seed, the step and the example's index in
    /// the step's global batch, so that the random choices touching the example (its sampled tokens, its dropout)
    /// do not depend on which data-parallel rank handles it.
    public init(seed: UInt64, step: Int, example index: Int) {
        var mixer = SeededGenerator(seed: seed ^ 0xE7A3_91C5_0000_0000)
        let base = mixer.next()
        self.init(seed: base &+ UInt64(truncatingIfNeeded: step) &* 0x9E37_79B9_7F4A_7C15
                  &+ UInt64(truncatingIfNeeded: index) &* 0xBF58_476D_1CE4_E5B9)
    }
}

/// Randomness drawn per batch row: a dropout mask (`Tensor.dropoutMask`) over a tensor whose leading dimension
/// is the batch draws row b's elements from `rows[b]` alone, so a row's mask does not depend on the other rows of
/// its batch (data-parallel shards draw the masks one process would). Any other draw comes from `shared`.
public struct RowwiseGenerator: RandomNumberGenerator {
    /// One generator per batch row.
    public var rows: [SeededGenerator]
    /// The generator of draws that are not per row.
    public var shared: SeededGenerator

    public init(rows: [SeededGenerator], shared: SeededGenerator) {
        precondition(!rows.isEmpty, "RowwiseGenerator needs at least one row generator")
        self.rows = rows
        self.shared = shared
    }

    public mutating func next() -> UInt64 { shared.next() }
}
