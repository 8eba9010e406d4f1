// A claim of a paper's table checked on an experiment's measurements, the line each report's "paper shape"
// block prints: ✓ or ✗, never dropped.

/// One claim of a paper and whether a run bears it out.
public struct PaperClaim: Equatable, Sendable {
    /// The claim, as the paper's table shows it.
    public var claim: String
    /// The measured numbers behind the verdict.
    public var measured: String
    /// Whether the measurement bears the claim out.
    public var holds: Bool

    public init(claim: String, measured: String, holds: Bool) {
        self.claim = claim
        self.measured = measured
        self.holds = holds
    }

    /// `✓ claim — measured` or `✗ …`.
    public var line: String { "\(holds ? "✓" : "✗") \(claim) — \(measured)" }
}
