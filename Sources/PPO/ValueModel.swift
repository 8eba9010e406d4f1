// The critic of PPO: a value head on the policy's trunk (lm-human-preferences) or a separate value model
// initialised from the reward model (InstructGPT, AlpacaFarm) or from the policy (the PPO article lists the choices).
import Foundation
import LanguageModels
import NeuralNetworks
import TensorCore

/// A separate value model: a GPT trunk and a scalar head read at every response position.
///
/// Parameters are `trunk.<GPT name>`, `head.weight` and `head.bias`.
public final class ValueModel: Module {
    public let trunk: GPT
    public let head: ScalarHead

    public init(trunk: GPT, head: ScalarHead) {
        self.trunk = trunk
        self.head = head
    }

    /// A trainable copy of a reward model's trunk and head (InstructGPT §3.5: "we initialize the value function
    /// from the RM").
    public convenience init(rewardModel: RewardModel) {
        let copy = rewardModel.copy()
        self.init(trunk: copy.trunk, head: copy.head)
    }

    /// A trainable copy of the policy's trunk with a zero-initialised head, so every value starts at 0.
    public convenience init(policy: GPT) {
        self.init(trunk: policy.copy(), head: .value(embeddingSize: policy.config.embeddingSize))
    }

    public func namedParameters() -> [(String, Variable)] {
        prefixed("trunk", trunk) + prefixed("head", head)
    }

    /// V(sₜ) for the state before each response token: the head at positions `P − 1 ..< P + R − 1` of
    /// `[prompts | responses]`, `[B, R]`.
    ///
    /// - Throws: `LanguageModelError` for bad ids or over-long rows.
    public func values(prompts: TokenBatch, responses: TokenBatch) throws -> Variable {
        let P = prompts.length, R = responses.length
        let hidden = try trunk.hiddenStates(prompts.concatenated(with: responses))   // [B, P+R, C]
        return head(hidden.slice(axis: 1, (P - 1)..<(P + R - 1)))                   // [B, R]
    }
}

/// Where PPO's value estimates come from.
public enum PPOCritic {
    /// A value head on the policy's own trunk (one forward pass gives log-probabilities and values).
    case sharedHead(ScalarHead)
    /// A separate value model with its own trunk.
    case separate(ValueModel)

    /// A zero-initialised value head on the trunk of `policy`.
    public static func sharedHead(for policy: GPT) -> PPOCritic {
        .sharedHead(.value(embeddingSize: policy.config.embeddingSize))
    }

    /// The trainable parameters, named `valueHead.*` or `valueModel.*`.
    public func namedParameters() -> [(String, Variable)] {
        switch self {
        case .sharedHead(let head): return prefixed("valueHead", head)
        case .separate(let model): return prefixed("valueModel", model)
        }
    }

    /// Whether the critic has its own trunk.
    public var isSeparate: Bool {
        if case .separate = self { return true }
        return false
    }
}
