// Checkpoints of a reward-model run and exact resume: parameters (trunk and head), AdamW moments, the epoch order,
// its position and the generator, in a `step-NNNNNN` folder written atomically (TrainingCore.CheckpointFolder).
import Foundation
import NeuralNetworks
import TensorCore
import TrainingCore

/// The scalar part of a reward-model checkpoint (`state.json`).
struct RewardModelCheckpointState: Codable {
    /// Format version of the checkpoint folder.
    var version = 1
    var step: Int
    var config: RewardModelConfig
    var generator: SeededGenerator
    var epochOrder: [Int]
    var cursor: Int
    var lastTrainingLoss: Double?
    /// Kernel threads of the run; a resumed run uses the same count, so reductions add in the same order.
    var threads: Int
}

extension RewardModelTrainer {
    /// Writes a checkpoint of the current step into `directory/step-NNNNNN` (atomically: a temporary folder
    /// renamed into place) and deletes all but the newest `keep` checkpoints there.
    ///
    /// The folder holds `model.safetensors` (trunk and head), `optimizer.safetensors` and `state.json`.
    /// - Returns: the checkpoint folder.
    @discardableResult
    public func saveCheckpoint(in directory: URL, keep: Int = 2) throws -> URL {
        let state = RewardModelCheckpointState(step: step, config: config, generator: generator, epochOrder: epochOrder,
                                               cursor: cursor, lastTrainingLoss: lastTrainingLoss, threads: Compute.threadCount)
        return try CheckpointFolder.write(in: directory, step: step, keep: keep) { folder in
            try CheckpointFolder.writeModelAndOptimizer(model, optimizer, to: folder)
            try CheckpointFolder.writeState(state, to: folder)
        }
    }

    /// Restores the checkpoint folder `checkpoint`, so `train` continues exactly as if never stopped.
    ///
    /// Create the trainer as for the original run (same architecture, configuration and comparisons), then call
    /// this before `train`. Everything is read and checked before anything changes. The kernel thread count is
    /// set to the run's, which bit-identical results need.
    /// - Throws: `TrainingError.invalidInput` when the configuration differs from the checkpoint's or a file is
    ///   unreadable; `CheckpointError` when a tensor file does not match the model.
    public func loadCheckpoint(from checkpoint: URL) throws {
        let state = try CheckpointFolder.readState(RewardModelCheckpointState.self, from: checkpoint)
        guard state.config == config else {
            throw TrainingError.invalidInput("the checkpoint \(checkpoint.path) was written with a different reward-model configuration; resume with the run's own config.json")
        }
        guard state.epochOrder.allSatisfy({ trainingGroups.indices.contains($0) }) else {
            throw TrainingError.invalidInput("the checkpoint \(checkpoint.path) was written for a different comparison set (\(state.epochOrder.count) groups per epoch, this trainer has \(trainingGroups.count)); resume with the same --train file")
        }
        let (parameters, optimizerState) = try CheckpointFolder.readModelAndOptimizer(for: model, from: checkpoint)
        try optimizer.importState(optimizerState)
        try model.load(stateDictionary: parameters)
        // A data-parallel job keeps its threads per rank (its sums differ from one process's in any case).
        if state.threads > 0 && communicator.size == 1 { Compute.threadCount = state.threads }
        step = state.step
        generator = state.generator
        epochOrder = state.epochOrder
        cursor = state.cursor
        lastTrainingLoss = state.lastTrainingLoss
    }

    /// Restores the newest checkpoint in `directory` (see `loadCheckpoint(from:)`).
    ///
    /// - Returns: the step the run continues from.
    /// - Throws: `TrainingError.invalidInput` when there is no complete checkpoint, and whatever
    ///   `loadCheckpoint(from:)` throws.
    @discardableResult
    public func resume(from directory: URL) throws -> Int {
        try loadCheckpoint(from: CheckpointFolder.requireLatest(in: directory))
        return step
    }
}
