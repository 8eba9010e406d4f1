// A reward model: a GPT trunk and a scalar head read at the last real token of each row (lm-human-preferences;
// InstructGPT arXiv 2203.02155 §3.5).
import Foundation
import NeuralNetworks
import TensorCore
import Validation

/// A reward model: a GPT trunk and a scalar head read at the last real token of each row.
///
/// Works with left or right padding: the mask locates each row's last real token. Parameters are
/// `trunk.<GPT name>` plus `head.weight` and `head.bias`.
public final class RewardModel: Module {
    public let trunk: GPT
    public let head: ScalarHead

    /// A reward model on `trunk` (typically a copy of the policy) with a fresh reward head.
    public init<G: RandomNumberGenerator>(trunk: GPT, using generator: inout G) {
        self.trunk = trunk
        head = .reward(embeddingSize: trunk.config.embeddingSize, using: &generator)
    }

    public init(trunk: GPT, head: ScalarHead) {
        self.trunk = trunk
        self.head = head
    }

    public func namedParameters() -> [(String, Variable)] {
        prefixed("trunk", trunk) + prefixed("head", head)
    }

    /// One reward per row, `[B]`, read at the last real token.
    ///
    /// - Throws: `LanguageModelError` for bad ids, over-long rows, or a row without real tokens.
    public func rewards(_ batch: TokenBatch) throws -> Variable {
        let hidden = try trunk.hiddenStates(batch)
        return try rewards(fromHidden: hidden, batch: batch)
    }

    /// `rewards(_:)` with dropout from `generator` (training mode).
    public func rewards<G: RandomNumberGenerator>(_ batch: TokenBatch, training generator: inout G) throws -> Variable {
        let hidden = try trunk.hiddenStates(batch, training: &generator)
        return try rewards(fromHidden: hidden, batch: batch)
    }

    func rewards(fromHidden hidden: Variable, batch: TokenBatch) throws -> Variable {
        let T = batch.length
        let last = try batch.lastRealIndices()
        return try rewards(fromHidden: hidden, batch: batch, at: last.enumerated().map { $0.offset * T + $0.element })
    }

    /// Rewards read at chosen tokens instead of each row's last, `[N]`: one per flat index `b·T + t` of
    /// `positions` (e.g. the last token of each completion in a row that shares its prompt, see ``TokenBatch``).
    ///
    /// - Throws: `LanguageModelError` for bad ids, over-long sequences, or a position outside the batch or on
    ///   padding.
    public func rewards(_ batch: TokenBatch, at positions: [Int]) throws -> Variable {
        let hidden = try trunk.hiddenStates(batch)
        return try rewards(fromHidden: hidden, batch: batch, at: positions)
    }

    func rewards(fromHidden hidden: Variable, batch: TokenBatch, at positions: [Int]) throws -> Variable {
        let B = batch.batchSize, T = batch.length, C = trunk.config.embeddingSize
        let mask = batch.mask.scalars
        if let bad = positions.first(where: { !(0..<(B * T)).contains($0) || mask[$0] == 0 }) {
            throw LanguageModelError.invalid(.invalidValue(field: "reward position", value: "\(bad)",
                                                           requirement: "rewards must be read at real tokens of the batch (flat index b·T + t)"))
        }
        // Gather the chosen rows of the flattened hidden states (embedding lookup = differentiable gather).
        let picked = try hidden.reshaped([B * T, C]).embedding(positions.map { Int32($0) }, shape: [positions.count])
        return head(picked)
    }

    /// The head applied at every position, `[B, T]` (e.g. for a value model initialised from this one).
    public func perPositionScores(_ batch: TokenBatch) throws -> Variable {
        head(try trunk.hiddenStates(batch))
    }

    public func copy() -> RewardModel { RewardModel(trunk: trunk.copy(), head: head.copy()) }
    public func frozenCopy() -> RewardModel {
        RewardModel(trunk: trunk.frozenCopy(), head: head.copy(requiresGrad: false))
    }
}
