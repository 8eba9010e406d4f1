// Checkpoints for exact resume (TrainingCore's `CheckpointedTrainer`): policy, critic and EMA weights, optimizer
// states, the generator, the KL controller, the pretraining position and the iteration.
import Foundation
import LanguageModels
import NeuralNetworks
import TensorCore
import TrainingCore

/// The small part of a PPO checkpoint, stored as `state.json`.
struct PPOTrainerState: Codable {
    var format = 1
    var iteration: Int
    var generator: SeededGenerator
    var klController: KLController
    var pretrainingPosition: Int?
    var config: PPOConfig
}

/// Any list of named parameters as a Module (for loading and saving by name).
final class NamedParameterList: Module {
    let list: [(String, Variable)]
    init(_ list: [(String, Variable)]) { self.list = list }
    func namedParameters() -> [(String, Variable)] { list }
}

extension PPOTrainer: CheckpointedTrainer {
    /// The iteration reached.
    public var checkpointStep: Int { iteration }

    /// `state.json`; the policy, critic and (with an EMA) EMA weights as flat name-keyed files (`policy.safetensors`,
    /// `critic.safetensors`, `ema.safetensors`: GPT's own `save(to:)` writes a Hugging Face model directory instead);
    /// the optimizers' states (`policy-optimizer.safetensors`, and `value-optimizer.safetensors` with a separate
    /// critic optimizer). A checkpoint written without PPO-ptx data is refused by a PPO-ptx trainer.
    public var checkpointParts: [CheckpointPart] {
        let state = PPOTrainerState(iteration: iteration, generator: generator, klController: klController,
                                    pretrainingPosition: pretraining?.position, config: config)
        var parts: [CheckpointPart] = [
            .state(state, check: { state, folder in
                if self.pretraining != nil && state.pretrainingPosition == nil {
                    throw ConfigurationError.invalidValue(field: "ptxCoefficient", value: "\(self.config.ptxCoefficient)",
                                                          requirement: "the checkpoint at \(folder.path) was written without PPO-ptx data; resume with ptxCoefficient 0")
                }
            }, restore: { state in
                self.iteration = state.iteration
                self.generator = state.generator
                self.klController = state.klController
                if let position = state.pretrainingPosition { self.pretraining?.position = position }
            }),
            .parameters(of: NamedParameterList(policy.namedParameters()), file: "policy.safetensors"),
            .parameters(of: NamedParameterList(critic.namedParameters()), file: "critic.safetensors"),
        ]
        if let emaPolicy { parts.append(.parameters(of: NamedParameterList(emaPolicy.namedParameters()), file: "ema.safetensors")) }
        parts.append(.optimizer(policyOptimizer, file: "policy-optimizer.safetensors"))
        if let valueOptimizer { parts.append(.optimizer(valueOptimizer, file: "value-optimizer.safetensors")) }
        return parts
    }

    /// The newest checkpoint (`step-NNNNNN`) in `directory`, or nil.
    public static func latestCheckpoint(in directory: URL) -> URL? { CheckpointFolder.latest(in: directory) }
}
