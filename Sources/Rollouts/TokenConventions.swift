// The token ids that frame a rollout, and the missing-stop penalty they imply.
import Foundation

/// The token ids that frame a rollout.
public struct TokenConventions: Equatable, Sendable {
    /// Written at padded positions (mask 0); must differ from every stop token.
    public var padToken: Int32
    /// Tokens that end a response; the stop token itself is scored.
    public var stopTokens: [Int32]

    public init(padToken: Int32, stopTokens: [Int32]) {
        self.padToken = padToken
        self.stopTokens = stopTokens
    }

    /// The built-in instruction task's conventions with `ByteTokenizer(specialTokens: ["<|endoftext|>",
    /// "<|pad|>"])`: PAD 257; responses stop at "\n" (10) or EOS (256).
    public static let instructionTask = TokenConventions(padToken: 257, stopTokens: [10, 256])
}

/// Scores after the missing-stop penalty: `score + penalty` for each episode that never reached a stop token
/// (TRL's `missing_eos_penalty`; lm-human-preferences replaces the score by −1 instead).
public func penalizedScores(_ scores: [Float], stopped: [Bool], penalty: Float) -> [Float] {
    precondition(scores.count == stopped.count, "penalizedScores: \(scores.count) scores for \(stopped.count) episodes")
    return zip(scores, stopped).map { $1 ? $0 : $0 + penalty }
}
