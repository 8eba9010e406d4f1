// Scalar heads on the final hidden state (lm-human-preferences; see the LanguageModels article): a value head
// (zero init) shared with the policy trunk, and a reward model that reads the last real token of each row.
import Foundation
import NeuralNetworks
import TensorCore

/// A linear map `C → 1` applied at every position: `[..., C] → [...]`.
public final class ScalarHead: Module {
    /// `[1, C]`.
    public let weight: Variable
    /// `[1]`.
    public let bias: Variable

    /// A head with the given values.
    public init(weight: Tensor, bias: Tensor, requiresGrad: Bool = true) {
        precondition(weight.rank == 2 && weight.shape[0] == 1 && bias.shape == [1],
                     "ScalarHead: weight must be [1, C] and bias [1], got \(weight.shape) and \(bias.shape)")
        self.weight = Variable(weight, requiresGrad: requiresGrad, name: "weight")
        self.bias = Variable(bias, requiresGrad: requiresGrad, name: "bias")
    }

    /// A value head: weights and bias zero, so every value starts at 0 (lm-human-preferences `scale=0`).
    public static func value(embeddingSize c: Int) -> ScalarHead {
        ScalarHead(weight: Tensor(zeros: [1, c]), bias: Tensor(zeros: [1]))
    }

    /// A reward head: weights N(0, 1/√(C+1)), bias 0 (lm-human-preferences `fc_layer`).
    public static func reward<G: RandomNumberGenerator>(embeddingSize c: Int, using generator: inout G) -> ScalarHead {
        ScalarHead(weight: Tensor.randomNormal([1, c], standardDeviation: 1 / Float(c + 1).squareRoot(), using: &generator),
                   bias: Tensor(zeros: [1]))
    }

    /// `hidden [..., C] → [...]`.
    public func callAsFunction(_ hidden: Variable) -> Variable {
        hidden.linear(weight: weight, bias: bias).reshaped(Array(hidden.shape.dropLast()))
    }

    public func namedParameters() -> [(String, Variable)] { [("weight", weight), ("bias", bias)] }

    /// A deep copy; frozen when `requiresGrad` is false.
    public func copy(requiresGrad: Bool = true) -> ScalarHead {
        ScalarHead(weight: weight.value.deepCopy(), bias: bias.value.deepCopy(), requiresGrad: requiresGrad)
    }
}

/// A policy and a value head on one shared trunk (lm-human-preferences' `scalar_heads=['value']`).
///
/// Parameters are the policy's names plus `valueHead.weight` and `valueHead.bias`.
public final class PolicyWithValue: Module {
    public let policy: GPT
    public let valueHead: ScalarHead

    /// Wraps `policy` with a zero-initialised value head (or the given one).
    public init(policy: GPT, valueHead: ScalarHead? = nil) {
        self.policy = policy
        self.valueHead = valueHead ?? .value(embeddingSize: policy.config.embeddingSize)
    }

    public func namedParameters() -> [(String, Variable)] {
        policy.namedParameters() + prefixed("valueHead", valueHead)
    }

    /// Teacher-forced log-probabilities, entropies and values of `responses` (see `GPT.scoreResponses`).
    public func scoreResponses(prompts: TokenBatch, responses: TokenBatch, temperature: Float = 1,
                               computeEntropies: Bool = true) throws -> ResponseScores {
        try policy.scoreResponses(prompts: prompts, responses: responses, temperature: temperature,
                                  valueHead: valueHead, computeEntropies: computeEntropies)
    }

    public func copy() -> PolicyWithValue { PolicyWithValue(policy: policy.copy(), valueHead: valueHead.copy()) }
    public func frozenCopy() -> PolicyWithValue {
        PolicyWithValue(policy: policy.frozenCopy(), valueHead: valueHead.copy(requiresGrad: false))
    }
}

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
            throw LanguageModelError.invalidOption(name: "reward position", value: "\(bad)",
                                                   fix: "read rewards at real tokens of the batch (flat index b·T + t)")
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

extension TokenBatch {
    /// The index of the last real token in each row.
    ///
    /// - Throws: `LanguageModelError.invalidOption` when a row has no real token.
    public func lastRealIndices() throws(LanguageModelError) -> [Int] {
        let found: [Int] = mask.withUnsafeBufferPointer { m in
            (0..<batchSize).map { b in (0..<length).last { m[b * length + $0] != 0 } ?? -1 }
        }
        if let empty = found.firstIndex(of: -1) {
            throw .invalidOption(name: "batch row \(empty)", value: "no real tokens", fix: "every row needs at least one token with mask 1")
        }
        return found
    }
}
