// Checkpoints for exact resume: policy, critic and EMA weights, optimizer states, the generator, the KL
// controller, the pretraining position and the iteration, in TrainingCore's `CheckpointFolder` layout (written
// under a temporary name and renamed into place, old ones pruned).
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

extension PPOTrainer {
    /// Writes a checkpoint into `directory/step-NNNNNN` (NNNNNN = the iteration) atomically, then removes all
    /// but the newest `keep` checkpoints there.
    ///
    /// - Returns: the checkpoint's directory.
    @discardableResult
    public func saveCheckpoint(in directory: URL, keep: Int = 2) throws -> URL {
        try CheckpointFolder.write(in: directory, step: iteration, keep: keep, writeCheckpointFiles)
    }

    /// Writes a checkpoint to `destination` (a directory, replaced if it exists) atomically.
    public func saveCheckpoint(to destination: URL) throws {
        try CheckpointFolder.replaceDirectory(at: destination, writeCheckpointFiles)
    }

    private func writeCheckpointFiles(to folder: URL) throws {
        // Flat name-keyed files (GPT's own `save(to:)` writes a Hugging Face model directory instead).
        try NamedParameterList(policy.namedParameters()).save(to: folder.appendingPathComponent("policy.safetensors"))
        try NamedParameterList(critic.namedParameters()).save(to: folder.appendingPathComponent("critic.safetensors"))
        if let emaPolicy {
            try NamedParameterList(emaPolicy.namedParameters()).save(to: folder.appendingPathComponent("ema.safetensors"))
        }
        try policyOptimizer.exportState().save(to: folder.appendingPathComponent("policy-optimizer.safetensors"))
        try valueOptimizer?.exportState().save(to: folder.appendingPathComponent("value-optimizer.safetensors"))
        try CheckpointFolder.writeState(PPOTrainerState(iteration: iteration, generator: generator, klController: klController,
                                                        pretrainingPosition: pretraining?.position, config: config), to: folder)
    }

    /// Restores a checkpoint written by `saveCheckpoint`, so training continues exactly as if never stopped
    /// (same thread count).
    ///
    /// Everything is read and checked before anything changes.
    /// - Throws: `CheckpointError` for missing or mismatched files, `TrainingError.invalidInput` for an unreadable
    ///   `state.json`; `ConfigError` when the checkpoint's critic or EMA does not match this trainer's.
    public func loadCheckpoint(from directory: URL) throws {
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("state.json").path) else {
            throw CheckpointError.fileNotFound(path: directory.appendingPathComponent("state.json").path)
        }
        let state = try CheckpointFolder.readState(PPOTrainerState.self, from: directory)
        let policyTensors = try Safetensors.read(contentsOf: directory.appendingPathComponent("policy.safetensors"))
        let criticTensors = try Safetensors.read(contentsOf: directory.appendingPathComponent("critic.safetensors"))
        let emaURL = directory.appendingPathComponent("ema.safetensors")
        let emaTensors = emaPolicy == nil ? nil : try Safetensors.read(contentsOf: emaURL)
        let policyState = try OptimizerState.load(from: directory.appendingPathComponent("policy-optimizer.safetensors"))
        let valueState = valueOptimizer == nil ? nil
            : try OptimizerState.load(from: directory.appendingPathComponent("value-optimizer.safetensors"))
        if pretraining != nil && state.pretrainingPosition == nil {
            throw ConfigError(field: "ptxCoefficient", value: "\(config.ptxCoefficient)",
                              requirement: "the checkpoint at \(directory.path) was written without PPO-ptx data; resume with ptxCoefficient 0")
        }
        // Check every file against the model before assigning anything (all or nothing).
        let policyList = NamedParameterList(policy.namedParameters())
        let criticList = NamedParameterList(critic.namedParameters())
        try policyList.validate(stateDictionary: policyTensors)
        try criticList.validate(stateDictionary: criticTensors)
        if let emaPolicy, let emaTensors { try NamedParameterList(emaPolicy.namedParameters()).validate(stateDictionary: emaTensors) }
        try policyList.load(stateDictionary: policyTensors)
        try criticList.load(stateDictionary: criticTensors)
        if let emaPolicy, let emaTensors { try emaPolicy.load(stateDictionary: emaTensors) }
        try policyOptimizer.importState(policyState)
        if let valueState { try valueOptimizer?.importState(valueState) }
        iteration = state.iteration
        generator = state.generator
        klController = state.klController
        if let position = state.pretrainingPosition { pretraining?.position = position }
    }

    /// The newest checkpoint (`step-NNNNNN`) in `directory`, or nil.
    public static func latestCheckpoint(in directory: URL) -> URL? { CheckpointFolder.latest(in: directory) }
}
