// Several seeds of the pipeline: each seed is a whole run (its own task draw, models and evaluation), and the
// summary reports every row as mean ± 95 % Student-t interval over seeds, with how many seeds bear out each claim.
import Foundation
import Evaluation

/// The summary of pipeline runs that differ only in their seed.
public enum PipelineSeeds {
    /// Markdown: the rows' metrics as mean [95 % t-interval] over seeds, the paired differences from SFT likewise,
    /// and each claim of the paper with the seeds where it holds.
    ///
    /// - Parameter runs: One result per seed, all with the same systems.
    /// - Throws: `EvaluationError` for no runs.
    public static func summary(_ runs: [(seed: UInt64, result: PipelineResult)]) throws -> String {
        guard let first = runs.first?.result else { throw EvaluationError.emptyInput(metric: "PipelineSeeds.summary") }
        let seeds = runs.map { String($0.seed) }.joined(separator: ", ")
        var lines = ["Seeds \(seeds): mean [95 % Student-t interval over \(runs.count) seeds].", ""]

        func cell(_ values: [Double?]) throws -> ResultCell {
            let present = values.compactMap { $0 }
            guard present.count == values.count, !present.isEmpty else { return .missing }
            return .interval(try seedMeanInterval(present))
        }
        var table = ResultTable(columns: ["system", "win-rate (training annotators)", "win-rate (held-out annotators)", "gold score",
                                          "KL from SFT (nats)", "reward-model score", "held-out LM loss", "corpus probes"])
        for (index, row) in first.rows.enumerated() {
            let rows = runs.map { $0.result.rows[index] }
            try table.addRow([.text(row.system), try cell(rows.map { $0.winRateTraining?.estimate }),
                              try cell(rows.map { $0.winRateHeldOut?.estimate }), try cell(rows.map { $0.gold?.estimate }),
                              try cell(rows.map { $0.klFromSFT?.estimate }), try cell(rows.map { $0.rewardModelScore }),
                              try cell(rows.map { $0.heldOutLanguageModelLoss }), try cell(rows.map { $0.probeAccuracy })])
        }
        lines.append(table.markdown())

        if !first.differences.isEmpty {
            var differences = ResultTable(columns: ["system − SFT", "Δ gold", "Δ win-rate (training annotators)",
                                                    "Δ win-rate (held-out annotators)", "seeds whose paired CI of Δ gold excludes 0"])
            for (index, d) in first.differences.enumerated() {
                let all = runs.map { $0.result.differences[index] }
                let above = all.filter { $0.gold.lower > 0 }.count, below = all.filter { $0.gold.upper < 0 }.count
                try differences.addRow([.text(d.system), try cell(all.map { $0.gold.estimate }),
                                        try cell(all.map { $0.winRateTraining.estimate }), try cell(all.map { $0.winRateHeldOut.estimate }),
                                        .text("\(above) above, \(below) below, of \(all.count)")])
            }
            lines += ["", "Paired differences from SFT (mean over seeds of each seed's paired difference):", "", differences.markdown()]
        }
        if !first.claims.isEmpty {
            lines += ["", "Paper shape (InstructGPT, arXiv 2203.02155), seed by seed:", ""]
            for (index, claim) in first.claims.enumerated() {
                let holds = runs.map { $0.result.claims[index].holds }
                let mark = holds.allSatisfy { $0 } ? "✓" : (holds.contains(true) ? "½" : "✗")
                let bySeed = zip(runs, holds).map { "seed \($0.0.seed) \($0.1 ? "✓" : "✗")" }.joined(separator: ", ")
                lines.append("- \(mark) \(claim.claim) — \(bySeed)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
