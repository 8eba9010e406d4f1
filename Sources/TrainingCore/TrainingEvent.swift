// How trainers report progress: events to a callback, which may stop the run. Trainers never print.
import Distributed
import Foundation

/// Something a trainer reports while it runs.
public enum TrainingEvent: Sendable {
    /// An optimisation step (or iteration) finished, with its metrics under namespaced keys.
    case step(step: Int, totalSteps: Int?, metrics: [String: Double])
    /// An evaluation finished.
    case evaluation(step: Int, metrics: [String: Double])
    /// A checkpoint was written.
    case checkpoint(step: Int, path: String)
    /// Something the user should know about (e.g. a negative KL, a sign of broken sampling).
    case warning(String)
}

/// The callback's answer: go on, or stop after this step (a checkpoint is written before stopping).
public enum TrainingDisposition: Sendable {
    case `continue`
    case stop
}

/// Receives events; returns whether to continue.
public typealias TrainingProgress = (TrainingEvent) -> TrainingDisposition

extension Communicator {
    /// `.stop` on every rank when any rank's callback answered `.stop` (a Ctrl-C seen by one rank, a failed
    /// metrics write on rank 0), so that all ranks leave the training loop at the same step.
    public func agree(_ disposition: TrainingDisposition) throws(DistributedError) -> TrainingDisposition {
        try any(disposition == .stop) ? .stop : .continue
    }
}
