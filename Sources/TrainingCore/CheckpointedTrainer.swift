// One checkpoint protocol for the trainers that resume exactly: a trainer names its step and the parts of its
// checkpoint (its own state, its modules' parameters, its optimizers' moments); saving, checking everything before
// anything changes, loading and resuming are written once, here.
import Foundation
import NeuralNetworks
import TensorCore

/// One file of a checkpoint folder: how it is written, and how it is read back and checked against the trainer
/// without changing anything (giving the step that applies it once every part has been read and checked).
public struct CheckpointPart {
    let write: (URL) throws -> Void
    let read: (URL) throws -> () throws -> Void

    /// A part with its own files.
    ///
    /// - Parameters:
    ///   - write: writes the part's files into the (temporary) checkpoint folder it is given.
    ///   - read: reads and checks the part's files in a checkpoint folder, changing nothing, and returns what applies
    ///     them to the trainer.
    public init(write: @escaping (_ folder: URL) throws -> Void, read: @escaping (_ folder: URL) throws -> () throws -> Void) {
        self.write = write
        self.read = read
    }

    /// The trainer's own state (step, generators, data order, configuration, ...) as `state.json`: pretty,
    /// key-sorted JSON.
    ///
    /// - Parameters:
    ///   - state: the state now.
    ///   - check: throws when a checkpoint's state cannot continue this trainer (another configuration, other data),
    ///     naming the checkpoint folder it is given and saying how to resume.
    ///   - restore: sets the trainer's state from a checked one.
    public static func state<State: Codable>(_ state: State, check: @escaping (State, _ folder: URL) throws -> Void = { _, _ in },
                                             restore: @escaping (State) -> Void) -> CheckpointPart {
        CheckpointPart(write: { folder in try CheckpointFolder.writeState(state, to: folder) }, read: { folder in
            let url = folder.appendingPathComponent("state.json")
            guard FileManager.default.fileExists(atPath: url.path) else { throw CheckpointError.fileNotFound(path: url.path) }
            let saved = try CheckpointFolder.readState(State.self, from: folder)
            try check(saved, folder)
            return { restore(saved) }
        })
    }

    /// A module's parameters by name in `file` (safetensors), checked against the module's names and shapes.
    public static func parameters(of module: Module, file: String = "model.safetensors") -> CheckpointPart {
        CheckpointPart(write: { folder in
            try Safetensors.write(module.stateDictionary(), to: folder.appendingPathComponent(file))
        }, read: { folder in
            let tensors = try Safetensors.read(contentsOf: folder.appendingPathComponent(file))
            try module.validate(stateDictionary: tensors)
            return { try module.load(stateDictionary: tensors) }
        })
    }

    /// An optimizer's state (moments and step counts) in `file`.
    public static func optimizer(_ optimizer: Optimizer, file: String = "optimizer.safetensors") -> CheckpointPart {
        CheckpointPart(write: { folder in
            try optimizer.exportState().save(to: folder.appendingPathComponent(file))
        }, read: { folder in
            let state = try OptimizerState.load(from: folder.appendingPathComponent(file))
            return { try optimizer.importState(state) }
        })
    }
}

/// A trainer that writes `step-NNNNNN` checkpoint folders and continues from one exactly as if never stopped.
///
/// A trainer conforms with its own state only: the step its checkpoints are named after and the parts of a
/// checkpoint (``CheckpointPart/state(_:check:restore:)``, ``CheckpointPart/parameters(of:file:)``,
/// ``CheckpointPart/optimizer(_:file:)``). ``saveCheckpoint(in:keep:)`` writes them atomically through
/// ``CheckpointFolder``, ``loadCheckpoint(from:)`` reads and checks every part before it changes anything, and
/// ``resume(from:)`` loads the newest checkpoint.
public protocol CheckpointedTrainer: AnyObject {
    /// The step (or iteration) reached: the name of a checkpoint written now, and what `resume(from:)` returns.
    var checkpointStep: Int { get }
    /// The parts of a checkpoint of the trainer as it is now, in the order they are read back (the state first, so
    /// that a checkpoint of another run is refused before its tensors are read).
    var checkpointParts: [CheckpointPart] { get }
}

extension CheckpointedTrainer {
    /// Writes a checkpoint of the current step into `directory/step-NNNNNN` (atomically: a temporary folder renamed
    /// into place) and deletes all but the newest `keep` checkpoints there.
    ///
    /// - Returns: the checkpoint folder.
    /// - Throws: ``CheckpointWriteError`` naming the file that could not be written; the previous checkpoint stays
    ///   the latest.
    @discardableResult
    public func saveCheckpoint(in directory: URL, keep: Int = 2) throws -> URL {
        let parts = checkpointParts
        return try CheckpointFolder.write(in: directory, step: checkpointStep, keep: keep) { folder in
            for part in parts { try part.write(folder) }
        }
    }

    /// Writes a checkpoint to `destination` (a folder, replaced whole if it exists) atomically.
    public func saveCheckpoint(to destination: URL) throws {
        let parts = checkpointParts
        try CheckpointFolder.replaceDirectory(at: destination) { folder in
            for part in parts { try part.write(folder) }
        }
    }

    /// Restores the checkpoint folder `checkpoint`, so training continues exactly as if never stopped (with the
    /// same thread count, which the trainers that record it set).
    ///
    /// Create the trainer as for the original run (same model architecture, configuration and data), then call
    /// this before training. Every file is read and checked before anything changes.
    /// - Throws: `TrainingError.checkpointMismatch` when the checkpoint is of another run (configuration, data),
    ///   `.unreadableCheckpoint` when its state is unreadable; `CheckpointError` when a file is missing or a tensor file does not match the model.
    public func loadCheckpoint(from checkpoint: URL) throws {
        let apply = try checkpointParts.map { try $0.read(checkpoint) }
        for step in apply { try step() }
    }

    /// Restores the newest checkpoint in `directory` (see ``loadCheckpoint(from:)``).
    ///
    /// - Returns: the step the run continues from.
    /// - Throws: `TrainingError.noCheckpoint` when there is no complete checkpoint, and whatever
    ///   ``loadCheckpoint(from:)`` throws.
    @discardableResult
    public func resume(from directory: URL) throws -> Int {
        try loadCheckpoint(from: CheckpointFolder.requireLatest(in: directory))
        return checkpointStep
    }
}

/// Sets the kernel threads to the count a checkpoint recorded, so a resumed one-process run adds its reductions in
/// the same order as the run that wrote it. A data-parallel job (`ranks` > 1) keeps its threads per rank: its sums
/// differ from one process's in any case. A count of 0 (not recorded) changes nothing.
public func restoreCheckpointThreads(_ threads: Int, ranks: Int) {
    if threads > 0 && ranks == 1 { Compute.threadCount = threads }
}
