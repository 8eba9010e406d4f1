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

extension QuarkTrainer: CheckpointedTrainer {
    public var checkpointStep: Int { step }

    /// `state.json`, `model.safetensors` (the policy with its reward tokens) and `optimizer.safetensors`. A
    /// checkpoint of another base model or number of reward tokens is refused.
    public var checkpointParts: [CheckpointPart] {
        let state = QuarkTrainerState(step: step, generator: generator, pool: pool, order: order, cursor: cursor,
                                      klController: klController, entropyController: entropyController,
                                      lastExploration: lastExploration,
                                      originalVocabularySize: policy.originalVocabularySize, config: config)
        return [
            .state(state, check: { state, folder in
                guard state.originalVocabularySize == self.policy.originalVocabularySize,
                      state.pool.quantileCount == self.config.quantileCount else {
                    throw TrainingError.checkpointMismatch(path: folder.path, difference: "has \(state.pool.quantileCount) reward tokens over a vocabulary of \(state.originalVocabularySize), this trainer \(self.config.quantileCount) over \(self.policy.originalVocabularySize)", fix: "resume with the run's own base model and quantileCount")
                }
            }, restore: { state in
                self.step = state.step
                self.generator = state.generator
                self.pool = state.pool
                self.order = state.order
                self.cursor = state.cursor
                self.klController = state.klController
                self.entropyController = state.entropyController
                self.lastExploration = state.lastExploration
            }),
            .parameters(of: policy.model),
            .optimizer(optimizer),
        ]
    }

    /// Loads the newest checkpoint in `directory`, if any (unlike the other trainers, a directory without one
    /// starts the run afresh).
    ///
    /// - Returns: the step resumed at (0 when there was no checkpoint).
    @discardableResult
    public func resume(from directory: URL) throws -> Int {
        guard let latest = CheckpointFolder.latest(in: directory) else { return 0 }
        try loadCheckpoint(from: latest)
        return step
    }
}
