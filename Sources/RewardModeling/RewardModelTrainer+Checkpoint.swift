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

extension RewardModelTrainer: CheckpointedTrainer {
    public var checkpointStep: Int { step }

    /// `state.json`, `model.safetensors` (trunk and head) and `optimizer.safetensors`. A checkpoint of another
    /// configuration or comparison set is refused.
    public var checkpointParts: [CheckpointPart] {
        let state = RewardModelCheckpointState(step: step, config: config, generator: generator, epochOrder: epochOrder,
                                               cursor: cursor, lastTrainingLoss: lastTrainingLoss, threads: Compute.threadCount)
        return [
            .state(state, check: { state, checkpoint in
                guard state.config == self.config else {
                    throw TrainingError.checkpointMismatch(path: checkpoint.path, difference: "was written with a different reward-model configuration", fix: "resume with the run's own config.json")
                }
                guard state.epochOrder.allSatisfy({ self.trainingGroups.indices.contains($0) }) else {
                    throw TrainingError.checkpointMismatch(path: checkpoint.path, difference: "was written for a different comparison set (\(state.epochOrder.count) groups per epoch, this trainer has \(self.trainingGroups.count))", fix: "resume with the same --train file")
                }
            }, restore: { state in
                restoreCheckpointThreads(state.threads, ranks: self.communicator.size)
                self.step = state.step
                self.generator = state.generator
                self.epochOrder = state.epochOrder
                self.cursor = state.cursor
                self.lastTrainingLoss = state.lastTrainingLoss
            }),
            .parameters(of: model),
            .optimizer(optimizer),
        ]
    }
}
