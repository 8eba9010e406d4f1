// The event handler shared by the online RL commands (ppo, rloo, grpo): metrics and periodic samples into the run
// directory, a progress line per iteration, warnings, and a clean stop on Ctrl-C.
import Foundation
import PPO
import Runs
import TrainingCore

/// Records an online RL run's events. A failure to write the run directory stops training and is kept in
/// `failure` for the command to throw once the trainer has returned.
final class RolloutRecorder {
    let run: RunDirectory
    let printer: ProgressPrinter
    let method: String
    let samplesEvery: Int
    let lastRollout: () -> Rollout?
    private(set) var failure: Error?

    /// - Parameters:
    ///   - method: the `method` of the samples written to `samples.jsonl`.
    ///   - samplesEvery: iterations between the rollouts written to `samples.jsonl` (the last one is always written).
    ///   - lastRollout: the trainer's most recent rollout.
    init(run: RunDirectory, printer: ProgressPrinter, method: String, samplesEvery: Int, lastRollout: @escaping () -> Rollout?) {
        (self.run, self.printer, self.method, self.samplesEvery, self.lastRollout) = (run, printer, method, samplesEvery, lastRollout)
    }

    func handle(_ event: TrainingEvent) -> TrainingDisposition {
        switch event {
        case .step(let step, let total, let metrics):
            do {
                try run.appendMetrics(step: step, metrics)
                if step % samplesEvery == 0 || step == total, let rollout = lastRollout() {
                    for (i, (p, c)) in zip(rollout.promptTexts, rollout.completionTexts).enumerated() {
                        try run.appendSample(method: method, prompt: p, completion: c,
                                             scores: ["iteration": Double(step), "reward": Double(rollout.rawScores[i])])
                    }
                }
            } catch {
                failure = error
                return .stop
            }
            printer.step("iteration", step: step, total: total, metrics: metrics)
        case .warning(let text):
            printer.line("warning: \(text)")
        case .checkpoint(_, let path):
            if Interrupt.requested { printer.line("stopped; checkpoint \(path)") }
        case .evaluation:
            break
        }
        return Interrupt.requested ? .stop : .continue
    }
}
