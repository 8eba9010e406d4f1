// Checkpoints of an SFT run and exact resume: parameters, AdamW moments, the data order and generator, the step
// and the best-validation bookkeeping, in a `step-NNNNNN` folder written atomically (TrainingCore.CheckpointFolder).
import Foundation
import NeuralNetworks
import TensorCore
import TrainingCore

/// The scalar part of an SFT checkpoint (`state.json`).
struct SFTCheckpointState: Codable {
    /// Format version of the checkpoint folder.
    var version = 1
    var step: Int
    var config: SFTConfig
    var generator: SeededGenerator
    var order: [Int]
    var cursor: Int
    var bestValidationLoss: Double?
    var bestStep: Int?
    var lastTrainingLoss: Double?
    /// Blocks of the pretraining mix served so far (nil without a mix).
    var pretrainingPosition: Int?
    /// Kernel threads of the run; a resumed run uses the same count, so reductions add in the same order.
    var threads: Int
}

extension SFTTrainer {
    /// Writes a checkpoint of the current step into `directory/step-NNNNNN` (atomically: a temporary folder
    /// renamed into place) and deletes all but the newest `keep` checkpoints there.
    ///
    /// The folder holds `model.safetensors`, `optimizer.safetensors`, `best.safetensors` (the best-validation
    /// parameters, when kept) and `state.json`.
    /// - Returns: the checkpoint folder.
    @discardableResult
    public func saveCheckpoint(in directory: URL, keep: Int = 2) throws -> URL {
        let state = SFTCheckpointState(step: step, config: config, generator: generator, order: order, cursor: cursor,
                                       bestValidationLoss: bestValidationLoss, bestStep: bestStep,
                                       lastTrainingLoss: lastTrainingLoss, pretrainingPosition: pretraining?.position,
                                       threads: Compute.threadCount)
        return try CheckpointFolder.write(in: directory, step: step, keep: keep) { folder in
            try CheckpointFolder.writeModelAndOptimizer(model, optimizer, to: folder)
            if let bestParameters { try Safetensors.write(bestParameters, to: folder.appendingPathComponent("best.safetensors")) }
            try CheckpointFolder.writeState(state, to: folder)
        }
    }

    /// Restores the checkpoint folder `checkpoint`, so `train` continues exactly as if never stopped.
    ///
    /// Create the trainer as for the original run (same model architecture, configuration and data), then call
    /// this before `train`. Everything is read and checked before anything changes. The kernel thread count is
    /// set to the run's, which bit-identical results need.
    /// - Throws: `TrainingError.invalidInput` when the configuration differs from the checkpoint's or a file is
    ///   unreadable; `CheckpointError` when a tensor file does not match the model.
    public func loadCheckpoint(from checkpoint: URL) throws {
        let state = try CheckpointFolder.readState(SFTCheckpointState.self, from: checkpoint)
        guard state.config == config else {
            throw TrainingError.invalidInput("the checkpoint \(checkpoint.path) was written with a different SFT configuration; resume with the run's own config.json")
        }
        guard state.order.allSatisfy({ trainingExamples.indices.contains($0) }) else {
            throw TrainingError.invalidInput("the checkpoint \(checkpoint.path) was written for a different training set (\(state.order.count) examples per epoch, this trainer has \(trainingExamples.count)); resume with the same --train file")
        }
        let (parameters, optimizerState) = try CheckpointFolder.readModelAndOptimizer(for: model, from: checkpoint)
        let bestURL = checkpoint.appendingPathComponent("best.safetensors")
        let best = FileManager.default.fileExists(atPath: bestURL.path) ? try Safetensors.read(contentsOf: bestURL) : nil
        if let best { try model.validate(stateDictionary: best) }
        try optimizer.importState(optimizerState)
        try model.load(stateDictionary: parameters)
        // A data-parallel job keeps its threads per rank (its sums differ from one process's in any case).
        if state.threads > 0 && communicator.size == 1 { Compute.threadCount = state.threads }
        step = state.step
        generator = state.generator
        order = state.order
        cursor = state.cursor
        bestValidationLoss = state.bestValidationLoss
        bestStep = state.bestStep
        bestParameters = best
        lastTrainingLoss = state.lastTrainingLoss
        if let position = state.pretrainingPosition { pretraining?.position = position }
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
