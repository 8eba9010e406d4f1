// The RLP experiment's table (mean ± std over seeds, in the shape of RLP Table 2) and report.md.
import Foundation
import Evaluation
import Runs

enum RLPReport {
    /// Mean and sample standard deviation (0 for one value); nil for no values.
    static func meanAndDeviation(_ values: [Double]) -> ResultCell {
        guard !values.isEmpty else { return .missing }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.count > 1 ? values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1) : 0
        return .meanAndDeviation(mean, variance.squareRoot())
    }

    static func table(_ results: [RLPSystemResult], systems: [String]) throws -> String {
        var table = ResultTable(columns: ["system", "win-rate (training annotators)", "win-rate (held-out annotators)", "gold score",
                                          "RM accuracy on policy samples", "SPG kept fraction"])
        for system in systems {
            let rows = results.filter { $0.system == system }
            guard !rows.isEmpty else { continue }
            try table.addRow([
                .text(system),
                meanAndDeviation(rows.map(\.winRateTraining)),
                meanAndDeviation(rows.map(\.winRateHeldOut)),
                meanAndDeviation(rows.map(\.gold)),
                meanAndDeviation(rows.compactMap(\.rewardModelAccuracy)),
                meanAndDeviation(rows.compactMap(\.keptFraction)),
            ])
        }
        return table.markdown()
    }

    /// Each system's paired difference from PPO on the same evaluation prompts — Δ gold and Δ win-rate by the
    /// held-out annotators — as the mean over seeds of each seed's mean difference, with a 95 % bootstrap interval
    /// that resamples prompts within each seed; and the paper's claims read from them.
    static func pairedAgainstPPO(_ results: [RLPSystemResult], systems: [String]) throws -> (table: String, claims: [PaperClaim]) {
        let seeds = Array(Set(results.map(\.seed))).sorted()
        func row(_ system: String, _ seed: UInt64) -> RLPSystemResult? { results.first { $0.system == system && $0.seed == seed } }
        /// `system − baseline`, paired on the prompts of each seed.
        func difference(_ system: String, _ baseline: String = "PPO", values: (RLPSystemResult) -> [Double]) throws -> ConfidenceInterval? {
            let pairs = seeds.compactMap { seed -> ([Double], [Double])? in
                guard let a = row(system, seed), let b = row(baseline, seed), values(a).count == values(b).count, !values(a).isEmpty else { return nil }
                return (values(a), values(b))
            }
            guard pairs.count == seeds.count, !pairs.isEmpty else { return nil }
            var rng = SplitMix64(seed: 0x5EED)
            return try clusterBootstrapInterval(clusterCounts: pairs.map { $0.0.count }, resamples: 1000, using: &rng) { picks in
                var total = 0.0
                for (s, chosen) in picks.enumerated() {
                    total += chosen.reduce(0) { $0 + pairs[s].0[$1] - pairs[s].1[$1] } / Double(chosen.count)
                }
                return total / Double(picks.count)
            }
        }
        var table = ResultTable(columns: ["system − PPO", "Δ gold (paired 95 % CI)", "Δ win-rate, held-out annotators (paired 95 % CI)"])
        var gold: [String: ConfidenceInterval] = [:]
        for system in systems where system != "PPO" {
            let g = try difference(system, values: \.goldScores), w = try difference(system, values: \.heldOutWinCredits)
            gold[system] = g
            try table.addRow([.text(system), g.map { .interval($0, decimals: 3) } ?? .missing, w.map { .interval($0, decimals: 3) } ?? .missing])
        }
        func formatted(_ ci: ConfidenceInterval?) -> String {
            ci.map { String(format: "%+.3f [%+.3f, %+.3f]", $0.estimate, $0.lower, $0.upper) } ?? "not measured"
        }
        func meanAccuracy(_ system: String) -> Double? {
            let values = results.filter { $0.system == system }.compactMap(\.rewardModelAccuracy)
            return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
        var claims: [PaperClaim] = []
        let spg = gold["RLP-SPG"], uml = gold["RLP-UML"], ppoOverSFT = try difference("PPO", "SFT", values: \.goldScores)
        claims.append(PaperClaim(claim: "RLP-SPG beats PPO on gold (paired 95 % CI of SPG − PPO above 0)",
                               measured: "Δ \(formatted(spg))", holds: (spg?.lower ?? 0) > 0))
        claims.append(PaperClaim(claim: "RLP-UML is at least as good as PPO on gold", measured: "Δ \(formatted(uml))", holds: (uml?.estimate ?? -1) >= 0))
        claims.append(PaperClaim(claim: "PPO beats SFT on gold (paired 95 % CI of PPO − SFT above 0)",
                               measured: "Δ \(formatted(ppoOverSFT))", holds: (ppoOverSFT?.lower ?? 0) > 0))
        let before = meanAccuracy("PPO")
        for variant in ["RLP-UML", "RLP-SPG"] {
            let after = meanAccuracy(variant)
            claims.append(PaperClaim(claim: "retraining raises the reward model's accuracy on policy samples (\(variant))",
                                   measured: String(format: "%.3f → %.3f", before ?? .nan, after ?? .nan),
                                   holds: (before != nil && after != nil) && after! > before!))
        }
        return (table.markdown(), claims)
    }

    static func write(table: String, comparison: (table: String, claims: [PaperClaim]), results: [RLPSystemResult],
                      config: RLPExperimentConfig, stageSeconds: [(String, Double)], to run: RunDirectory) throws {
        var lines = ["# RLP: reward learning on policy", ""]
        lines.append("Data: the built-in instruction task (families \(config.families.joined(separator: ", "))); \(config.comparisonCount) human comparisons (deliberately few); \(config.unlabeledPrompts) unlabelled prompts × n = \(config.samplesPerPrompt) policy samples; \(config.evaluationPrompts) evaluation prompts.")
        lines.append("Model: \(config.layers) layers, width \(config.width), \(config.heads) heads, context \(config.contextLength), byte-level tokenizer; \(config.pretrainSteps == 0 ? "no pretraining" : "\(config.pretrainSteps) pretraining steps"), \(config.sftSteps) SFT steps. The base and SFT models are shared by the seeds; each seed (\(config.seeds.map(String.init).joined(separator: ", "))) draws its own comparison subset and runs the reward model, PPO (\(config.ppoIterations) iterations × \(config.ppoBatchSize) prompts), the policy samples and both RLP variants.")
        lines.append("")
        lines.append(table)
        lines.append("")
        lines.append("Mean ± standard deviation over seeds. Win-rates are the annotator group's expected preference for the system's completion over the reference system's (ties ½). RM accuracy on policy samples: pairwise accuracy on gold-labelled pairs of fresh PPO-policy samples (prompts disjoint from P) of the reward model the row's policy was trained against — PPO's row is the first reward model (before retraining), the RLP rows are the retrained ones. SPG kept fraction: unlabelled prompts whose largest answer cluster held ≥ γ = \(config.confidenceThreshold) of the samples and which had a response outside it. RLP-UML: λ = \(config.multiViewWeight). Reward-model budget: \(config.rewardSteps > 0 ? "\(config.rewardSteps) updates of \(config.rewardBatchSize) comparison prompts for every reward model (the first, UML's — its multi-view term on a fresh batch of policy samples at every update — and SPG's)" : "\(config.rewardEpochs) passes over each reward model's own comparisons").")
        lines.append("")
        lines.append("## Paired differences from PPO (same evaluation prompts; mean over seeds, prompts resampled within each seed)")
        lines.append("")
        lines.append(comparison.table)
        lines.append("## Paper shape (RLP, arXiv 2403.19279, Table 2)")
        lines.append("")
        lines += comparison.claims.map { "- " + $0.line }
        lines.append("")
        lines.append("| system | seed | win-rate (training) | win-rate (held-out) | gold | RM accuracy | kept |")
        lines.append("| :-- | --: | --: | --: | --: | --: | --: |")
        for r in results {
            lines.append(String(format: "| %@ | %llu | %.3f | %.3f | %.3f | %@ | %@ |", r.system, r.seed, r.winRateTraining, r.winRateHeldOut, r.gold,
                                r.rewardModelAccuracy.map { String(format: "%.3f", $0) } ?? "—", r.keptFraction.map { String(format: "%.3f", $0) } ?? "—"))
        }
        lines.append("")
        lines += StageClock.markdownTable(stageSeconds)
        lines.append("")
        lines.append("Every evaluated completion is in `samples.jsonl` (with its seed, gold score and win credits); every training metric in `metrics.jsonl`.")
        try run.writeAtomically(Data((lines.joined(separator: "\n") + "\n").utf8), to: "report.md")
    }
}
