// Scalar heads on the final hidden state (lm-human-preferences; see the LanguageModels article): a value head
// (zero init) shared with the policy trunk. The reward model, which reads the last real token of each row, is in
// RewardModel.swift.
import Foundation
import NeuralNetworks
import TensorCore
import Validation

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

extension TokenBatch {
    /// The index of the last real token in each row.
    ///
    /// - Throws: `LanguageModelError.invalid` (``ConfigurationError/emptyInput(what:fix:)``) when a row has no real
    ///   token.
    public func lastRealIndices() throws(LanguageModelError) -> [Int] {
        let found: [Int] = mask.withUnsafeBufferPointer { m in
            (0..<batchSize).map { b in (0..<length).last { m[b * length + $0] != 0 } ?? -1 }
        }
        if let empty = found.firstIndex(of: -1) {
            throw .invalid(.emptyInput(what: "batch row \(empty)", fix: "every row needs at least one token with mask 1"))
        }
        return found
    }
}
