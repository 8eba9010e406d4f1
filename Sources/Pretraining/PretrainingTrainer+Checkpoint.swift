// Checkpoints of a pretraining run and exact resume. A checkpoint is a folder written under a temporary name and
// renamed into place, so a crash never leaves a half-written checkpoint as the latest.
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

extension PretrainingTrainer {
    /// The complete checkpoints in `runDirectory`, oldest first.
    public static func checkpoints(in runDirectory: URL) -> [(step: Int, url: URL)] {
        CheckpointFolder.list(in: runDirectory.appendingPathComponent("checkpoints"))
    }

    /// Writes a checkpoint of the current step into `checkpoints/step-NNNNNN/` and deletes all but the newest
    /// `keepCheckpoints`.
    ///
    /// - Returns: the checkpoint folder.
    /// - Throws: `TrainingError.invalidInput` without an output directory; file errors.
    @discardableResult
    public func saveCheckpoint() throws -> URL {
        guard let outputDirectory else {
            throw TrainingError.invalidInput("this trainer has no output directory; create it with outputDirectory: to write checkpoints")
        }
        let state = PretrainingState(step: step, config: config, dataGenerator: dataGenerator, dropoutGenerator: dropoutGenerator,
                                     sampleGenerator: sampleGenerator, threads: Compute.threadCount)
        return try CheckpointFolder.write(in: outputDirectory.appendingPathComponent("checkpoints"), step: step,
                                          keep: config.keepCheckpoints) { folder in
            try saveModelDirectory(model, tokenizer: tokenizer, to: folder.appendingPathComponent("model"))
            try optimizer.exportState().save(to: folder.appendingPathComponent("optimizer.safetensors"))
            try Self.encoder.encode(state).write(to: folder.appendingPathComponent("state.json"))
        }
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
    ///   files; `TrainingError.invalidInput` when the text differs from the original run's.
    public static func resume(from runDirectory: URL, documents: [String],
                              communicator: any Communicator = SingleProcessCommunicator()) throws -> PretrainingTrainer {
        guard let latest = checkpoints(in: runDirectory).last else {
            throw ModelDirectoryError.missingFile(path: runDirectory.appendingPathComponent("checkpoints/step-NNNNNN").path,
                                                  hint: "the run has no complete checkpoint to resume from; start it again without --resume")
        }
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
        try trainer.optimizer.importState(try OptimizerState.load(from: latest.url.appendingPathComponent("optimizer.safetensors")))
        trainer.step = state.step
        trainer.dataGenerator = state.dataGenerator
        trainer.dropoutGenerator = state.dropoutGenerator
        trainer.sampleGenerator = state.sampleGenerator
        for log in ["metrics.jsonl", "samples.jsonl"] where communicator.isRoot {
            try RunDirectory.truncateLog(runDirectory.appendingPathComponent(log), afterStep: state.step)
        }
        return trainer
    }
}
