// SplitMix64, the one implementation in the package: the generator of the metrics, tasks and toy worlds, and the
// seed expander of TensorCore's SeededGenerator (xoshiro256**'s recommended seeding).
import Foundation

/// SplitMix64 (Steele, Lea and Flood 2014): a small, fast, seedable generator.
///
/// The same seed gives the same stream on every platform, so bootstrap intervals and generated tasks are
/// reproducible. Any other `RandomNumberGenerator` (such as TensorCore's `SeededGenerator`) can be passed to the
/// functions that take one. `SeededGenerator(seed:)` fills its xoshiro256** state with this generator's first four
/// outputs.
public struct SplitMix64: RandomNumberGenerator, Codable, Equatable, Sendable {
    /// The generator's state: the next output is a mix of `state + 0x9E3779B97F4A7C15`.
    public private(set) var state: UInt64

    /// Creates a generator whose stream is determined by `seed`.
    ///
    /// - Parameter seed: Any 64-bit value.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
