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

extension CriticFreeTrainer: CheckpointedTrainer {
    /// The iteration reached.
    public var checkpointStep: Int { iteration }

    /// `state.json`, `model.safetensors` and `optimizer.safetensors`. A checkpoint of the other method is refused.
    public var checkpointParts: [CheckpointPart] {
        let state = CriticFreeCheckpointState(method: algorithm.name, iteration: iteration, generator: generator,
                                              threads: Compute.threadCount)
        return [
            .state(state, check: { state, checkpoint in
                guard state.method == self.algorithm.name else {
                    throw TrainingError.checkpointMismatch(path: checkpoint.path, difference: "is of a \(state.method) run, not \(self.algorithm.name)", fix: "resume with the run's own command")
                }
            }, restore: { state in
                restoreCheckpointThreads(state.threads, ranks: self.communicator.size)
                self.iteration = state.iteration
                self.generator = state.generator
            }),
            .parameters(of: policy),
            .optimizer(optimizer),
        ]
    }
}
