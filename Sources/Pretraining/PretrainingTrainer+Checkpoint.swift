// Checkpoints of a pretraining run and exact resume (TrainingCore's `CheckpointedTrainer`), and resuming a run
// directory: the trainer is rebuilt from its newest checkpoint's configuration and model.
import Distributed
import Foundation
import LanguageModels
import NeuralNetworks
import Runs
import TensorCore
import Tokenizers
import TrainingCore

/// The scalar part of a checkpoint (`state.json`).
struct PretrainingState: Codable {
    /// Format version of the checkpoint folder.
    var version = 1
    var step: Int
    var config: PretrainingConfig
    var dataGenerator: SeededGenerator
    var dropoutGenerator: SeededGenerator
    var sampleGenerator: SeededGenerator
    var threads: Int
}

extension PretrainingTrainer: CheckpointedTrainer {
    public var checkpointStep: Int { step }

    /// `state.json`, the model as a model directory (`model/`: the model with its tokenizer, as `rlft` loads it) and
    /// `optimizer.safetensors`. A checkpoint of another configuration is refused.
    public var checkpointParts: [CheckpointPart] {
        let state = PretrainingState(step: step, config: config, dataGenerator: dataGenerator, dropoutGenerator: dropoutGenerator,
                                     sampleGenerator: sampleGenerator, threads: Compute.threadCount)
        return [
            .state(state, check: { state, folder in
                guard state.config == self.config else {
                    throw TrainingError.checkpointMismatch(path: folder.path, difference: "was written with a different pretraining configuration", fix: "resume with the run's own config.json")
                }
            }, restore: { state in
                self.step = state.step
                self.dataGenerator = state.dataGenerator
                self.dropoutGenerator = state.dropoutGenerator
                self.sampleGenerator = state.sampleGenerator
            }),
            CheckpointPart(write: { folder in
                try saveModelDirectory(self.model, tokenizer: self.tokenizer, to: folder.appendingPathComponent("model"))
            }, read: { folder in
                let tensors = try loadModelDirectory(folder.appendingPathComponent("model")).model.stateDictionary()
                try self.model.validate(stateDictionary: tensors)
                return { try self.model.load(stateDictionary: tensors) }
            }),
            .optimizer(optimizer),
        ]
    }

    /// The complete checkpoints in `runDirectory`, oldest first.
    public static func checkpoints(in runDirectory: URL) -> [(step: Int, url: URL)] {
        CheckpointFolder.list(in: runDirectory.appendingPathComponent("checkpoints"))
    }

    /// Writes a checkpoint of the current step into `checkpoints/step-NNNNNN/` and deletes all but the newest
    /// `keepCheckpoints`.
    ///
    /// - Returns: the checkpoint folder.
    /// - Throws: `ConfigurationError.missing` without an output directory; file errors.
    @discardableResult
    public func saveCheckpoint() throws -> URL {
        guard let outputDirectory else {
            throw ConfigurationError.missing(what: "the trainer's output directory", fix: "create it with outputDirectory: to write checkpoints")
        }
        return try saveCheckpoint(in: outputDirectory.appendingPathComponent("checkpoints"), keep: config.keepCheckpoints)
    }

    /// Continues the run in `runDirectory` from its newest checkpoint.
    ///
    /// The configuration, model, tokenizer, optimizer moments and every generator come from the checkpoint,
    /// and `metrics.jsonl` and `samples.jsonl` lose any lines written after it, so the finished run is
    /// bit-identical to one that was never interrupted (with the same thread count).
    ///
    /// - Parameters:
    ///   - runDirectory: a directory written by a trainer with an output directory.
    ///   - documents: the same training texts as the original run.
    /// - Throws: `ModelDirectoryError.missingFile` when there is no checkpoint; `CheckpointError` for damaged
    ///   files; `TrainingError.checkpointMismatch` when the text differs from the original run's.
    public static func resume(from runDirectory: URL, documents: [String],
                              communicator: any Communicator = SingleProcessCommunicator()) throws -> PretrainingTrainer {
        guard let latest = checkpoints(in: runDirectory).last else {
            throw ModelDirectoryError.missingFile(path: runDirectory.appendingPathComponent("checkpoints/step-NNNNNN").path,
                                                  hint: "the run has no complete checkpoint to resume from; start it again without --resume")
        }
        // The trainer is built from the checkpoint's configuration and model, then loads the rest of it.
        let stateURL = latest.url.appendingPathComponent("state.json")
        let state: PretrainingState
        do {
            state = try JSONDecoder().decode(PretrainingState.self, from: Data(contentsOf: stateURL))
        } catch {
            throw CheckpointError.malformedHeader(path: stateURL.path, reason: "state.json cannot be read (\(error))")
        }
        if state.config.threads > 0 { Compute.threadCount = state.config.threads }
        let (model, tokenizer) = try loadModelDirectory(latest.url.appendingPathComponent("model"))
        let trainer = try PretrainingTrainer(config: state.config, model: model, tokenizer: tokenizer, documents: documents,
                                             outputDirectory: runDirectory, communicator: communicator)
        try trainer.loadCheckpoint(from: latest.url)
        for log in ["metrics.jsonl", "samples.jsonl"] where communicator.isRoot {
            try RunDirectory.truncateLog(runDirectory.appendingPathComponent(log), afterStep: state.step)
        }
        return trainer
    }
}
