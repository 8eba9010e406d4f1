// The RLP experiment's table (mean ± std over seeds, in the shape of RLP Table 2) and report.md.
import Foundation
import Evaluation
import RLP
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
                                          "validation win-rate (training annotators, RL prompts)",
                                          "RM accuracy on SFT samples", "RM accuracy on policy samples",
                                          "RM validation accuracy (policy samples, training annotators' labels)", "SPG kept fraction",
                                          "SPG synthetic-pair accuracy"])
        for system in systems {
            let rows = results.filter { $0.system == system }
            guard !rows.isEmpty else { continue }
            try table.addRow([
                .text(system),
                meanAndDeviation(rows.map(\.winRateTraining)),
                meanAndDeviation(rows.map(\.winRateHeldOut)),
                meanAndDeviation(rows.map(\.gold)),
                meanAndDeviation(rows.compactMap(\.validationWinRate)),
                meanAndDeviation(rows.compactMap(\.rewardModelAccuracyOnSFTSamples)),
                meanAndDeviation(rows.compactMap(\.rewardModelAccuracy)),
                meanAndDeviation(rows.compactMap(\.rewardModelValidationAccuracy)),
                meanAndDeviation(rows.compactMap(\.keptFraction)),
                meanAndDeviation(rows.compactMap(\.syntheticPairAccuracy)),
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
        func meanAccuracy(_ system: String, _ accuracy: KeyPath<RLPSystemResult, Double?> = \.rewardModelAccuracy) -> Double? {
            let values = results.filter { $0.system == system }.compactMap { $0[keyPath: accuracy] }
            return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
        var claims: [PaperClaim] = []
        let spg = gold["RLP-SPG"], uml = gold["RLP-UML"], ppoOverSFT = try difference("PPO", "SFT", values: \.goldScores)
        claims.append(PaperClaim(claim: "RLP-SPG beats PPO on gold (paired 95 % CI of SPG − PPO above 0)",
                               measured: "Δ \(formatted(spg))", holds: (spg?.lower ?? 0) > 0))
        claims.append(PaperClaim(claim: "RLP-UML is at least as good as PPO on gold", measured: "Δ \(formatted(uml))", holds: (uml?.estimate ?? -1) >= 0))
        claims.append(PaperClaim(claim: "PPO beats SFT on gold (paired 95 % CI of PPO − SFT above 0)",
                               measured: "Δ \(formatted(ppoOverSFT))", holds: (ppoOverSFT?.lower ?? 0) > 0))
        // The paper's regime: the first reward model judges SFT samples well and PPO's samples worse.
        let onSFT = meanAccuracy("PPO", \.rewardModelAccuracyOnSFTSamples), before = meanAccuracy("PPO")
        claims.append(PaperClaim(claim: "the first reward model is less accurate on PPO's samples than on SFT's (the paper's regime)",
                               measured: String(format: "%.3f on SFT samples, %.3f on PPO samples", onSFT ?? .nan, before ?? .nan),
                               holds: (onSFT != nil && before != nil) && before! < onSFT!))
        for variant in ["RLP-UML", "RLP-SPG"] {
            let after = meanAccuracy(variant)
            claims.append(PaperClaim(claim: "retraining raises the reward model's accuracy on policy samples (\(variant))",
                                   measured: String(format: "%.3f → %.3f", before ?? .nan, after ?? .nan),
                                   holds: (before != nil && after != nil) && after! > before!))
        }
        return (table.markdown(), claims)
    }

    /// The reward models' budgets: updates, comparisons seen, and the unlabelled samples UML's multi-view term saw.
    static func budget(_ results: [RLPSystemResult], config: RLPExperimentConfig) -> String {
        func meanComparisons(_ system: String) -> String {
            let counts = results.filter { $0.system == system }.compactMap(\.rewardModelComparisons)
            return counts.isEmpty ? "—" : String(format: "%.0f", Double(counts.reduce(0, +)) / Double(counts.count))
        }
        let views = RLPConfig().viewBatchSize
        guard config.rewardSteps > 0 else {
            return "Reward-model budget: \(config.rewardEpochs) passes over each reward model's own comparisons (first and UML: \(meanComparisons("PPO")) human comparisons; SPG: \(meanComparisons("RLP-SPG")) human and synthetic, mean over seeds), so the budgets differ; UML's multi-view term takes \(views) unlabelled prompts × 2 policy samples at every update."
        }
        let seen = config.rewardSteps * config.rewardBatchSize
        return "Reward-model budget, equal for every reward model: \(config.rewardSteps) updates of \(config.rewardBatchSize) comparison prompts = \(seen) comparisons seen — the first reward model and RLP-UML's drawn from the \(meanComparisons("PPO")) human comparisons, RLP-SPG's from the human and synthetic ones (\(meanComparisons("RLP-SPG")), mean over seeds). RLP-UML's multi-view term is evaluated at every one of its \(config.rewardSteps) updates on a fresh batch of \(views) unlabelled prompts of P × 2 different PPO samples each (\(config.rewardSteps * views * 2) unlabelled samples seen in all)."
    }

    static func write(table: String, comparison: (table: String, claims: [PaperClaim]), results: [RLPSystemResult],
                      config: RLPExperimentConfig, stageSeconds: [(String, Double)], to run: RunDirectory) throws {
        var lines = ["# RLP: reward learning on policy", ""]
        let source = config.humanComparisons == .sftSamples
            ? "pairs of SFT samples (temperature 1) on comparison-split prompts, labelled by the training annotators"
            : "the task's fixed candidate mix"
        lines.append("Data: the built-in instruction task (families \(config.families.joined(separator: ", "))); \(config.comparisonCount) human comparisons, \(source); \(config.unlabeledPrompts) unlabelled prompts × n = \(config.samplesPerPrompt) policy samples; \(config.evaluationPrompts) evaluation prompts.")
        lines.append("Model: \(config.layers) layers, width \(config.width), \(config.heads) heads, context \(config.contextLength), byte-level tokenizer; \(config.pretrainSteps == 0 ? "no pretraining" : "\(config.pretrainSteps) pretraining steps"), \(config.sftSteps) SFT steps. The base and SFT models are shared by the seeds; each seed (\(config.seeds.map(String.init).joined(separator: ", "))) draws its own comparison subset and runs the reward model, PPO (\(config.ppoIterations) iterations × \(config.ppoBatchSize) prompts, β = \(config.klCoefficient), sampling temperature \(config.ppoTemperature)), the policy samples and both RLP variants.")
        lines.append("")
        lines.append(table)
        lines.append("")
        lines.append("Mean ± standard deviation over seeds. Win-rates are the annotator group's expected preference for the system's completion over the reference system's (ties ½). Validation win-rate: the same by the training annotators on the \(config.accuracyPrompts) validation prompts (RL prompts outside P and outside PPO's training prompts, 4 samples each at τ = \(config.evaluationTemperature)), the gold-free measure PPO's shared settings are chosen on. RM accuracy on policy samples: pairwise accuracy on gold-labelled pairs of fresh PPO-policy samples (prompts disjoint from P) of the reward model the row's policy was trained against — PPO's row is the first reward model (before retraining), the RLP rows are the retrained ones; RM accuracy on SFT samples: the same reward model on gold-labelled pairs of SFT samples on the same prompts. RM validation accuracy: the same reward model on the same PPO samples, paired and labelled by the training annotators instead of gold (the gold-free measure RLP-UML's λ is chosen on). SPG kept fraction: unlabelled prompts whose largest answer cluster held ≥ γ = \(config.confidenceThreshold) of the samples and which had a response outside it. SPG synthetic-pair accuracy (the paper's Table 5): the fraction of SPG's synthetic pairs whose chosen response has the higher gold score, over the pairs whose gold scores differ (the experiment scores them; SPG never sees gold). RLP-UML: λ = \(config.multiViewWeight).")
        lines.append("")
        lines.append(budget(results, config: config))
        lines.append("")
        lines.append("## Paired differences from PPO (same evaluation prompts; mean over seeds, prompts resampled within each seed)")
        lines.append("")
        lines.append(comparison.table)
        lines.append("## Paper shape (RLP, arXiv 2403.19279, Table 2)")
        lines.append("")
        lines += comparison.claims.map { "- " + $0.line }
        lines.append("")
        lines.append("| system | seed | win-rate (training) | win-rate (held-out) | gold | validation win-rate | RM accuracy (SFT samples) | RM accuracy (policy samples) | RM validation accuracy | kept | synthetic-pair accuracy |")
        lines.append("| :-- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |")
        func cell(_ x: Double?) -> String { x.map { String(format: "%.3f", $0) } ?? "—" }
        for r in results {
            lines.append(String(format: "| %@ | %llu | %.3f | %.3f | %.3f | %@ | %@ | %@ | %@ | %@ | %@ |", r.system, r.seed, r.winRateTraining, r.winRateHeldOut, r.gold,
                                cell(r.validationWinRate),
                                cell(r.rewardModelAccuracyOnSFTSamples), cell(r.rewardModelAccuracy), cell(r.rewardModelValidationAccuracy), cell(r.keptFraction), cell(r.syntheticPairAccuracy)))
        }
        lines.append("")
        lines += StageClock.markdownTable(stageSeconds)
        lines.append("")
        lines.append("Every evaluated completion is in `samples.jsonl` (with its seed, gold score and win credits); every training metric in `metrics.jsonl`.")
        try run.writeAtomically(Data((lines.joined(separator: "\n") + "\n").utf8), to: "report.md")
    }
}
