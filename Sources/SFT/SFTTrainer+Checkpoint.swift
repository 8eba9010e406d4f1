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

extension SFTTrainer: CheckpointedTrainer {
    public var checkpointStep: Int { step }

    /// `state.json`, `model.safetensors`, `optimizer.safetensors` and `best.safetensors` (the best-validation
    /// parameters, when kept). A checkpoint of another configuration or training set is refused.
    public var checkpointParts: [CheckpointPart] {
        let state = SFTCheckpointState(step: step, config: config, generator: generator, order: order, cursor: cursor,
                                       bestValidationLoss: bestValidationLoss, bestStep: bestStep,
                                       lastTrainingLoss: lastTrainingLoss, pretrainingPosition: pretraining?.position,
                                       threads: Compute.threadCount)
        return [
            .state(state, check: { state, checkpoint in
                guard state.config == self.config else {
                    throw TrainingError.checkpointMismatch(path: checkpoint.path, difference: "was written with a different SFT configuration", fix: "resume with the run's own config.json")
                }
                guard state.order.allSatisfy({ self.trainingExamples.indices.contains($0) }) else {
                    throw TrainingError.checkpointMismatch(path: checkpoint.path, difference: "was written for a different training set (\(state.order.count) examples per epoch, this trainer has \(self.trainingExamples.count))", fix: "resume with the same --train file")
                }
            }, restore: { state in
                restoreCheckpointThreads(state.threads, ranks: self.communicator.size)
                self.step = state.step
                self.generator = state.generator
                self.order = state.order
                self.cursor = state.cursor
                self.bestValidationLoss = state.bestValidationLoss
                self.bestStep = state.bestStep
                self.lastTrainingLoss = state.lastTrainingLoss
                if let position = state.pretrainingPosition { self.pretraining?.position = position }
            }),
            .parameters(of: model),
            .optimizer(optimizer),
            CheckpointPart(write: { folder in
                if let best = self.bestParameters { try Safetensors.write(best, to: folder.appendingPathComponent("best.safetensors")) }
            }, read: { folder in
                let url = folder.appendingPathComponent("best.safetensors")
                let best = FileManager.default.fileExists(atPath: url.path) ? try Safetensors.read(contentsOf: url) : nil
                if let best { try self.model.validate(stateDictionary: best) }
                return { self.bestParameters = best }
            }),
        ]
    }
}
