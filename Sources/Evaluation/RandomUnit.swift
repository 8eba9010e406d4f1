// Evaluation re-exports SplitMix64 (from the Randomness leaf target) for its users, and draws uniform doubles from
// any generator.
@_exported import Randomness

extension RandomNumberGenerator {
    /// A uniform double in [0, 1) with 53 random bits (module-internal so it cannot clash with other modules).
    mutating func evaluationUnitDouble() -> Double {
        Double(next() >> 11) * (1.0 / Double(UInt64(1) << 53))
    }
}
