// The trainer side of resumable multi-stage runs: a stage whose trainer writes `step-NNNNNN` checkpoints
// (TrainingCore's `CheckpointFolder`) continues from the newest one when the run is resumed, and a trainer that
// returned early (it was asked to stop) ends the run with `RunInterrupted`.
import Foundation
import TrainingCore

extension StageClock {
    /// Prepares a trainer stage: in a resumed run, `load` restores the trainer from the newest checkpoint in
    /// `checkpoints` and returns its step; otherwise stale checkpoints are deleted. Then the records of `phase`
    /// that `run`'s metrics.jsonl holds after that step are dropped, since the trainer logs them again.
    public func continueTrainer(run: RunDirectory, phase: String, checkpoints: URL, load: (URL) throws -> Int) throws {
        var step = 0
        if ledger?.resuming == true, let latest = CheckpointFolder.latest(in: checkpoints) {
            step = try load(latest)
            self.log("\(phase): continuing from the checkpoint of step \(step)")
        } else {
            try? FileManager.default.removeItem(at: checkpoints)
        }
        try run.removeMetrics { record in
            guard record["phase"] as? String == phase else { return false }
            return step == 0 || ((record["step"] as? Int) ?? 0) > step
        }
    }

    /// Throws `RunInterrupted` when a trainer returned after `done` of `total` steps (it was asked to stop and
    /// wrote a checkpoint).
    public func stopUnlessComplete(_ stage: String, done: Int, of total: Int) throws {
        if done < total { throw RunInterrupted(stage: stage, directory: directory) }
    }
}
