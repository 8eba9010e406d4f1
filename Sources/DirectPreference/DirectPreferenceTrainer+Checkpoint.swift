// Checkpoints of a direct-preference run and exact resume: parameters, AdamW moments, the step, the epoch's data
// order and the generator, in a `step-NNNNNN` folder written atomically (TrainingCore.CheckpointFolder).
import Foundation
import NeuralNetworks
import TensorCore
import TrainingCore

/// The scalar part of a checkpoint (`state.json`).
struct DirectPreferenceCheckpointState: Codable {
    var version = 1
    var method: DirectPreferenceMethod
    var step: Int
    var config: DirectPreferenceConfig
    var generator: SeededGenerator
    var order: [Int]
    /// Kernel threads of the run; a resumed run uses the same count, so reductions add in the same order.
    var threads: Int
}

extension DirectPreferenceTrainer {
    /// Writes a checkpoint of the current step into `directory/step-NNNNNN` (atomically) and deletes all but the
    /// newest `keep`. The folder holds `model.safetensors`, `optimizer.safetensors` and `state.json`.
    ///
    /// - Returns: the checkpoint folder.
    @discardableResult
    public func saveCheckpoint(in directory: URL, keep: Int = 2) throws -> URL {
        let state = DirectPreferenceCheckpointState(method: method, step: step, config: config, generator: generator,
                                                    order: order, threads: Compute.threadCount)
        return try CheckpointFolder.write(in: directory, step: step, keep: keep) { folder in
            try CheckpointFolder.writeModelAndOptimizer(policy, optimizer, to: folder)
            try CheckpointFolder.writeState(state, to: folder)
        }
    }

    /// Restores the checkpoint folder `checkpoint`, so `train` continues exactly as if never stopped.
    ///
    /// Create the trainer as for the original run (same method, configuration, data and reference), then call
    /// this before `train`. Everything is read and checked before anything changes.
    /// - Throws: `TrainingError.invalidInput` when the method, configuration or data size differ from the
    ///   checkpoint's; `CheckpointError` when a tensor file does not match the model.
    public func loadCheckpoint(from checkpoint: URL) throws {
        let state = try CheckpointFolder.readState(DirectPreferenceCheckpointState.self, from: checkpoint)
        guard state.method == method, state.config == config else {
            throw TrainingError.invalidInput("the checkpoint \(checkpoint.path) was written by a \(state.method.rawValue) run with a different configuration; resume with the run's own config.json")
        }
        guard state.order.isEmpty || state.order.count == trainingCount else {
            throw TrainingError.invalidInput("the checkpoint \(checkpoint.path) was written for \(state.order.count) training items, this trainer has \(trainingCount); resume with the same data")
        }
        let (parameters, optimizerState) = try CheckpointFolder.readModelAndOptimizer(for: policy, from: checkpoint)
        try optimizer.importState(optimizerState)
        try policy.load(stateDictionary: parameters)
        // A data-parallel job keeps its threads per rank (its sums differ from one process's in any case).
        if state.threads > 0 && communicator.size == 1 { Compute.threadCount = state.threads }
        step = state.step
        generator = state.generator
        order = state.order
    }

    /// Restores the newest checkpoint in `directory`.
    ///
    /// - Returns: the step the run continues from.
    /// - Throws: `TrainingError.invalidInput` when there is no complete checkpoint; whatever
    ///   `loadCheckpoint(from:)` throws.
    @discardableResult
    public func resume(from directory: URL) throws -> Int {
        try loadCheckpoint(from: CheckpointFolder.requireLatest(in: directory))
        return step
    }
}
