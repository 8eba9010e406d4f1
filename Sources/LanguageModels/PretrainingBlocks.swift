// The pretraining data mixed into fine-tuning: PPO-ptx's (Ouyang et al. 2022, arXiv 2203.02155, §3.5 eq. 2 and
// App. C.4) and SFT's when it mixes pretraining text. Token blocks served in order, cyclically, with a position that
// checkpoints save so a resumed run sees the same blocks.
import Foundation
import Validation

/// A cyclic source of pretraining token blocks for a language-modelling term beside a fine-tuning loss (PPO-ptx,
/// or SFT with a pretraining mix).
///
/// Blocks are served in the given order (shuffle them first if they come sorted) and wrap around at the end.
/// `position` counts blocks served so far; restoring it resumes the stream exactly.
public final class PretrainingBlocks {
    /// The blocks, each at least two tokens (one prediction).
    public let blocks: [[Int32]]
    /// The id written after a short block (mask 0).
    public let padToken: Int32
    /// Blocks served so far.
    public var position: Int

    /// - Throws: `LanguageModelError.invalid` when no block has at least two tokens.
    public init(blocks: [[Int32]], padToken: Int32, position: Int = 0) throws(LanguageModelError) {
        let usable = blocks.filter { $0.count >= 2 }
        guard !usable.isEmpty else {
            throw .invalid(.invalidValue(field: "pretraining blocks", value: "\(blocks.count) blocks, none of 2 or more tokens",
                                         requirement: "the pretraining text must be long enough for blocks of at least 2 tokens"))
        }
        self.blocks = usable
        self.padToken = padToken
        self.position = position
    }

    /// The next `count` blocks, right-padded to the longest.
    public func next(count: Int) -> TokenBatch {
        let rows = (0..<count).map { blocks[(position + $0) % blocks.count] }
        position += count
        return TokenBatch(rightPadding: rows, padToken: padToken)
    }
}
