// The pipeline's table (Markdown, in the shape of InstructGPT's comparisons) and report.md.
import Foundation
import Evaluation
import Runs

enum PipelineReport {
    static func table(_ rows: [PipelineRow]) throws -> String {
        var table = ResultTable(columns: ["system", "win-rate (training annotators)", "win-rate (held-out annotators)",
                                          "gold score", "KL from SFT (nats)", "reward-model score", "held-out LM loss", "corpus probes", "training time (s)"])
        for row in rows {
            let kl: ResultCell = row.klFromSFT.map { .interval($0) } ?? row.klBound.map { .text(String(format: "≤ %.3f (bound)", $0)) } ?? .missing
            try table.addRow([
                .text(row.system),
                row.winRateTraining.map { .interval($0) } ?? .missing,
                row.winRateHeldOut.map { .interval($0) } ?? .missing,
                row.gold.map { .interval($0) } ?? .missing,
                kl,
                .number(row.rewardModelScore),
                row.heldOutLanguageModelLoss.map { .number($0) } ?? .missing,
                row.probeAccuracy.map { .number($0) } ?? .missing,
                row.trainingSeconds.map { .text(String(format: "%.0f", $0)) } ?? .missing,
            ])
        }
        return table.markdown()
    }

    static func write(_ result: PipelineResult, config: PipelineConfig, to run: RunDirectory) throws {
        var lines = ["# InstructGPT pipeline report", ""]
        lines.append(config.data.isEmpty ? "Data: the built-in instruction task (seed \(config.seed)), written to `data/`."
                                         : "Data: `\(config.data)`.")
        lines.append("Model: \(config.layers) layers, width \(config.width), \(config.heads) heads, context \(config.contextLength), byte-level tokenizer.")
        lines.append("")
        lines.append(result.table)
        lines.append("")
        lines.append("Win-rates are the annotators' expected preference for the system's completion over the reference system's, ties counting ½; intervals are 95 % bootstrap intervals over evaluation prompts. KL from SFT is the mean sequence log-ratio log π(y|x) − log π_SFT(y|x) of the system's own samples (for best-of-n, the analytic bound log n − (n−1)/n). The held-out LM loss is the token-mean negative log-likelihood of held-out pretraining text; corpus probes is the accuracy on four-way multiple-choice questions in the corpus's own wording about skills the reward does not ask for (antonyms, categories, letter counts and sums, minus those the task asks; continuing a count; a word of the right category in a slot), each choice scored by its mean log-likelihood per token. A rise of the one and a fall of the other is the alignment tax, which PPO-ptx is meant to reduce.")
        if !result.differences.isEmpty {
            lines.append("")
            lines.append("Paired differences from SFT on the same evaluation prompts (95 % paired bootstrap intervals: prompts resampled together, so an interval that excludes 0 is a difference the independent intervals above can hide):")
            lines.append("")
            lines.append(try PipelineClaims.table(result.differences))
        }
        if !result.claims.isEmpty {
            lines.append("")
            lines.append("Paper shape (InstructGPT, arXiv 2203.02155):")
            lines.append("")
            lines += result.claims.map { "- " + $0.line }
        }
        if !result.rewardModel.lines.isEmpty {
            lines.append("")
            lines += result.rewardModel.lines
        }
        lines.append("")
        lines += StageClock.markdownTable(result.stageSeconds)
        lines.append("")
        lines.append("Curves: `reward.svg` (reward-model score per PPO iteration) and `kl.svg` (KL from SFT per iteration). Every completion evaluated is in `samples.jsonl`; every training metric in `metrics.jsonl`.")
        try run.writeAtomically(Data((lines.joined(separator: "\n") + "\n").utf8), to: "report.md")
    }
}
