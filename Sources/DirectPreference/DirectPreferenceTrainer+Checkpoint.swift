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

extension DirectPreferenceTrainer: CheckpointedTrainer {
    public var checkpointStep: Int { step }

    /// `state.json`, `model.safetensors` and `optimizer.safetensors`. A checkpoint of another method,
    /// configuration or data size is refused.
    public var checkpointParts: [CheckpointPart] {
        let state = DirectPreferenceCheckpointState(method: method, step: step, config: config, generator: generator,
                                                    order: order, threads: Compute.threadCount)
        return [
            .state(state, check: { state, checkpoint in
                guard state.method == self.method, state.config == self.config else {
                    throw TrainingError.checkpointMismatch(path: checkpoint.path, difference: "was written by a \(state.method.rawValue) run with a different configuration", fix: "resume with the run's own config.json")
                }
                guard state.order.isEmpty || state.order.count == self.trainingCount else {
                    throw TrainingError.checkpointMismatch(path: checkpoint.path, difference: "was written for \(state.order.count) training items, this trainer has \(self.trainingCount)", fix: "resume with the same data")
                }
            }, restore: { state in
                restoreCheckpointThreads(state.threads, ranks: self.communicator.size)
                self.step = state.step
                self.generator = state.generator
                self.order = state.order
            }),
            .parameters(of: policy),
            .optimizer(optimizer),
        ]
    }
}
