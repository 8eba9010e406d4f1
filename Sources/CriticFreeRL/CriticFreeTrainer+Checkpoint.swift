// Checkpoints of an RLOO/GRPO run: parameters, AdamW moments, the iteration and the sampling generator, in a
// `step-NNNNNN` folder written atomically (TrainingCore.CheckpointFolder). Prompt order depends only on the seed
// and the iteration, so a resumed run continues exactly.
import Foundation
import NeuralNetworks
import TensorCore
import TrainingCore

struct CriticFreeCheckpointState: Codable {
    var version = 1
    var method: String
    var iteration: Int
    var generator: SeededGenerator
    var threads: Int
}

extension CriticFreeTrainer {
    /// Writes a checkpoint of the current iteration into `directory/step-NNNNNN` and keeps the newest `keep`.
    @discardableResult
    public func saveCheckpoint(in directory: URL, keep: Int = 2) throws -> URL {
        let state = CriticFreeCheckpointState(method: algorithm.name, iteration: iteration, generator: generator,
                                              threads: Compute.threadCount)
        return try CheckpointFolder.write(in: directory, step: iteration, keep: keep) { folder in
            try CheckpointFolder.writeModelAndOptimizer(policy, optimizer, to: folder)
            try CheckpointFolder.writeState(state, to: folder)
        }
    }

    /// Restores a checkpoint folder; create the trainer as for the original run first.
    ///
    /// - Throws: `TrainingError.invalidInput` for a checkpoint of the other method or unreadable files;
    ///   `CheckpointError` when the tensors do not match the policy.
    public func loadCheckpoint(from checkpoint: URL) throws {
        let state = try CheckpointFolder.readState(CriticFreeCheckpointState.self, from: checkpoint)
        guard state.method == algorithm.name else {
            throw TrainingError.invalidInput("the checkpoint \(checkpoint.path) is of a \(state.method) run, not \(algorithm.name)")
        }
        let (parameters, optimizerState) = try CheckpointFolder.readModelAndOptimizer(for: policy, from: checkpoint)
        try optimizer.importState(optimizerState)
        try policy.load(stateDictionary: parameters)
        // A data-parallel job keeps its threads per rank (its sums differ from one process's in any case).
        if state.threads > 0 && communicator.size == 1 { Compute.threadCount = state.threads }
        iteration = state.iteration
        generator = state.generator
    }

    /// Restores the newest checkpoint in `directory`; returns the iteration the run continues from.
    @discardableResult
    public func resume(from directory: URL) throws -> Int {
        try loadCheckpoint(from: CheckpointFolder.requireLatest(in: directory))
        return iteration
    }
}
