// Checkpoints for exact resume: the policy (with its reward tokens) and Adam state via CheckpointFolder, plus the
// pool, its shuffled order and cursor, the generator, the controllers and the step in `state.json`.
import Foundation
import LanguageModels
import NeuralNetworks
import TensorCore
import TrainingCore

/// The small part of a Quark checkpoint, stored as `state.json`.
struct QuarkTrainerState: Codable {
    var format = 1
    var step: Int
    var generator: SeededGenerator
    var pool: QuarkDataPool
    var order: [Int]
    var cursor: Int
    var klController: KLController
    var entropyController: EntropyController
    var lastExploration: [QuarkPoolItem]
    var originalVocabularySize: Int
    var config: QuarkConfig
}

extension QuarkTrainer {
    /// Writes the checkpoint of the current step into `directory/step-NNNNNN` (atomically) and keeps the newest
    /// `keep` checkpoints.
    ///
    /// - Returns: the checkpoint folder.
    @discardableResult
    public func saveCheckpoint(in directory: URL, keep: Int = 2) throws -> URL {
        try CheckpointFolder.write(in: directory, step: step, keep: keep) { folder in
            try CheckpointFolder.writeModelAndOptimizer(policy.model, optimizer, to: folder)
            try CheckpointFolder.writeState(
                QuarkTrainerState(step: step, generator: generator, pool: pool, order: order, cursor: cursor,
                                  klController: klController, entropyController: entropyController,
                                  lastExploration: lastExploration,
                                  originalVocabularySize: policy.originalVocabularySize, config: config),
                to: folder)
        }
    }

    /// Restores a checkpoint written by `saveCheckpoint`, so training continues exactly as if never stopped (same
    /// thread count). Everything is read and checked before anything changes.
    ///
    /// - Throws: `TrainingError.invalidInput` for an unreadable state or a checkpoint of another shape of run;
    ///   `CheckpointError` for missing or mismatched tensors.
    public func loadCheckpoint(from folder: URL) throws {
        let state = try CheckpointFolder.readState(QuarkTrainerState.self, from: folder)
        guard state.originalVocabularySize == policy.originalVocabularySize,
              state.pool.quantileCount == config.quantileCount else {
            throw TrainingError.invalidInput("the checkpoint \(folder.path) has \(state.pool.quantileCount) reward tokens over a vocabulary of \(state.originalVocabularySize), this trainer \(config.quantileCount) over \(policy.originalVocabularySize); resume with the run's own base model and quantileCount")
        }
        let (parameters, optimizerState) = try CheckpointFolder.readModelAndOptimizer(for: policy.model, from: folder)
        try policy.model.load(stateDictionary: parameters)
        try optimizer.importState(optimizerState)
        step = state.step
        generator = state.generator
        pool = state.pool
        order = state.order
        cursor = state.cursor
        klController = state.klController
        entropyController = state.entropyController
        lastExploration = state.lastExploration
    }

    /// Loads the newest checkpoint in `directory`, if any.
    ///
    /// - Returns: the step resumed at (0 when there was no checkpoint).
    @discardableResult
    public func resume(from directory: URL) throws -> Int {
        guard let latest = CheckpointFolder.latest(in: directory) else { return 0 }
        try loadCheckpoint(from: latest)
        return step
    }
}
