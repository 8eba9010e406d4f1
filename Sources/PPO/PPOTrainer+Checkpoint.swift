// Checkpoints for exact resume: policy, critic and EMA weights, optimizer states, the generator, the KL
// controller, the pretraining position and the iteration, written to a temporary directory and renamed.
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
    /// Writes a checkpoint into `directory/iteration-NNNNNN` (atomically: a temporary directory renamed into
    /// place), then removes all but the newest `keep` checkpoints there.
    ///
    /// - Returns: the checkpoint's directory.
    @discardableResult
    public func saveCheckpoint(in directory: URL, keep: Int = 2) throws -> URL {
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        let name = String(format: "iteration-%06d", iteration)
        let destination = directory.appendingPathComponent(name)
        try saveCheckpoint(to: destination)
        let all = (try? fm.contentsOfDirectory(atPath: directory.path)) ?? []
        let checkpoints = all.filter { $0.hasPrefix("iteration-") }.sorted()
        for old in checkpoints.dropLast(max(keep, 1)) {
            try? fm.removeItem(at: directory.appendingPathComponent(old))
        }
        return destination
    }

    /// Writes a checkpoint to `destination` (a directory, replaced if it exists) atomically.
    public func saveCheckpoint(to destination: URL) throws {
        let fm = FileManager.default
        let parent = destination.deletingLastPathComponent()
        let temporary = parent.appendingPathComponent(".\(destination.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        try? fm.removeItem(at: temporary)
        try fm.createDirectory(at: temporary, withIntermediateDirectories: true)
        // Flat name-keyed files (GPT's own `save(to:)` writes a Hugging Face model directory instead).
        try NamedParameterList(policy.namedParameters()).save(to: temporary.appendingPathComponent("policy.safetensors"))
        try NamedParameterList(critic.namedParameters()).save(to: temporary.appendingPathComponent("critic.safetensors"))
        if let emaPolicy {
            try NamedParameterList(emaPolicy.namedParameters()).save(to: temporary.appendingPathComponent("ema.safetensors"))
        }
        try policyOptimizer.exportState().save(to: temporary.appendingPathComponent("policy-optimizer.safetensors"))
        try valueOptimizer?.exportState().save(to: temporary.appendingPathComponent("value-optimizer.safetensors"))
        let state = PPOTrainerState(iteration: iteration, generator: generator, klController: klController,
                                    pretrainingPosition: pretraining?.position, config: config)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(state).write(to: temporary.appendingPathComponent("state.json"))
        if fm.fileExists(atPath: destination.path) {
            let old = parent.appendingPathComponent(".\(destination.lastPathComponent).old-\(ProcessInfo.processInfo.processIdentifier)")
            try? fm.removeItem(at: old)
            try fm.moveItem(at: destination, to: old)
            try fm.moveItem(at: temporary, to: destination)
            try? fm.removeItem(at: old)
        } else {
            try fm.moveItem(at: temporary, to: destination)
        }
    }

    /// Restores a checkpoint written by `saveCheckpoint`, so training continues exactly as if never stopped
    /// (same thread count).
    ///
    /// Everything is read and checked before anything changes.
    /// - Throws: `CheckpointError` for missing or mismatched files; `ConfigError` when the checkpoint's
    ///   critic or EMA does not match this trainer's.
    public func loadCheckpoint(from directory: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: directory.appendingPathComponent("state.json")) } catch {
            throw CheckpointError.fileNotFound(path: directory.appendingPathComponent("state.json").path)
        }
        let state = try JSONDecoder().decode(PPOTrainerState.self, from: data)
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
        try validate(policyTensors, against: policyList)
        try validate(criticTensors, against: criticList)
        if let emaPolicy, let emaTensors { try validate(emaTensors, against: NamedParameterList(emaPolicy.namedParameters())) }
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

    private func validate(_ tensors: [String: Tensor], against module: NamedParameterList) throws {
        let shapes = Dictionary(uniqueKeysWithValues: module.list.map { ($0.0, $0.1.value.shape) })
        for (name, shape) in shapes {
            guard let t = tensors[name] else { throw CheckpointError.missingParameter(name: name) }
            guard t.shape == shape else { throw CheckpointError.shapeMismatch(name: name, expected: shape, found: t.shape) }
        }
        if let extra = tensors.keys.sorted().first(where: { shapes[$0] == nil }) {
            throw CheckpointError.unexpectedParameter(name: extra)
        }
    }

    /// The newest `iteration-NNNNNN` checkpoint in `directory`, or nil.
    public static func latestCheckpoint(in directory: URL) -> URL? {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return all.filter { $0.hasPrefix("iteration-") }.sorted().last.map { directory.appendingPathComponent($0) }
    }
}
