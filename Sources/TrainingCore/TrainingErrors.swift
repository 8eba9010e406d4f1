// Errors of training runs that went wrong (a NaN loss, empty data, a checkpoint of another run). Bad configuration
// values and inputs that do not fit are the one vocabulary of Validation's `ConfigurationError`, re-exported here so
// that every trainer reports them alike.
@_exported import Validation
import Foundation

/// A training run cannot continue.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// A loss, reward or gradient became NaN or infinite.
    case nonFinite(quantity: String, step: Int)
    /// A dataset or batch has nothing in it.
    case emptyData(what: String)
    /// A directory holds no complete checkpoint to resume from.
    case noCheckpoint(directory: String)
    /// A checkpoint's state file is missing or does not decode.
    case unreadableCheckpoint(path: String, reason: String)
    /// A checkpoint was written by another run: `difference` says how it differs from this trainer, `fix` how to
    /// resume.
    case checkpointMismatch(path: String, difference: String, fix: String)

    public var description: String {
        switch self {
        case .nonFinite(let quantity, let step):
            return "\(quantity) became NaN or infinite at step \(step); the last good checkpoint is kept. Lower the learning rate, enable gradient clipping, or check the reward function for NaN outputs"
        case .emptyData(let what):
            return "\(what) is empty; provide at least one example"
        case .noCheckpoint(let directory):
            return "no complete checkpoint (step-NNNNNN) in \(directory); start the run again without resuming"
        case .unreadableCheckpoint(let path, let reason):
            return "the checkpoint state \(path) cannot be read (\(reason)); resume from an older checkpoint or start the run again"
        case .checkpointMismatch(let path, let difference, let fix):
            return "the checkpoint \(path) \(difference); \(fix)"
        }
    }
}
