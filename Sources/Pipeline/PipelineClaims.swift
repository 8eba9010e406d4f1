// The evidence the pipeline's report rests on: paired differences against the SFT model over the same evaluation
// prompts, and InstructGPT's claims (Ouyang et al. 2022, arXiv 2203.02155) checked one by one, ✓ or ✗, none hidden.
import Foundation
import Evaluation
import TensorCore

/// One system's paired difference from the SFT model on the evaluation prompts (system − SFT).
public struct PairedDifference: Sendable {
    public var system: String
    public var gold: ConfidenceInterval
    public var winRateTraining: ConfidenceInterval
    public var winRateHeldOut: ConfidenceInterval
}


public enum PipelineClaims {
    /// Paired 95 % bootstrap intervals of (system − SFT) for every system but base and SFT.
    static func pairedDifferences(_ rows: [PipelineRow], resamples: Int, seed: UInt64) throws -> [PairedDifference] {
        guard let sft = rows.first(where: { $0.system == "SFT" }), !sft.goldScores.isEmpty else { return [] }
        var rng = SeededGenerator(seed: seed)
        return try rows.filter { !["base", "SFT"].contains($0.system) && $0.goldScores.count == sft.goldScores.count }.map { row in
            PairedDifference(
                system: row.system,
                gold: try pairedDifferenceInterval(row.goldScores, sft.goldScores, resamples: resamples, using: &rng),
                winRateTraining: try pairedDifferenceInterval(row.winCreditsTraining, sft.winCreditsTraining, resamples: resamples, using: &rng),
                winRateHeldOut: try pairedDifferenceInterval(row.winCreditsHeldOut, sft.winCreditsHeldOut, resamples: resamples, using: &rng))
        }
    }

    /// The differences as a Markdown table.
    public static func table(_ differences: [PairedDifference]) throws -> String {
        var table = ResultTable(columns: ["system − SFT", "Δ gold", "Δ win-rate (training annotators)", "Δ win-rate (held-out annotators)"])
        for d in differences {
            try table.addRow([.text(d.system), .interval(d.gold), .interval(d.winRateTraining), .interval(d.winRateHeldOut)])
        }
        return table.markdown()
    }

    /// InstructGPT's claims about PPO and PPO-ptx (§4.1, §4.2, §3.5), and the precondition that makes the alignment
    /// tax measurable: an SFT model that kept the base model's language modelling.
    static func claims(_ rows: [PipelineRow], _ differences: [PairedDifference]) -> [PaperClaim] {
        func row(_ name: String) -> PipelineRow? { rows.first { $0.system == name } }
        func difference(_ name: String) -> PairedDifference? { differences.first { $0.system == name } }
        func f(_ x: Double) -> String { String(format: "%.3f", x) }
        func ci(_ c: ConfidenceInterval) -> String { "\(f(c.estimate)) [\(f(c.lower)), \(f(c.upper))]" }
        var claims: [PaperClaim] = []
        if let base = row("base")?.heldOutLanguageModelLoss, let sft = row("SFT")?.heldOutLanguageModelLoss {
            claims.append(PaperClaim(claim: "precondition: SFT keeps the base model's language modelling (held-out LM loss ≤ 1.5 × base)",
                                     measured: "SFT \(f(sft)) vs base \(f(base)) nats per token (\(f(sft / base))×)", holds: sft <= 1.5 * base))
        }
        if let ppo = difference("PPO") {
            claims.append(PaperClaim(claim: "§4.1: PPO beats SFT on gold (paired 95 % CI of PPO − SFT above 0)",
                                     measured: "Δ gold \(ci(ppo.gold))", holds: ppo.gold.lower > 0))
            claims.append(PaperClaim(claim: "§4.1: annotators who trained nothing prefer PPO to SFT (held-out group, paired CI above 0)",
                                     measured: "Δ win-rate \(ci(ppo.winRateHeldOut))", holds: ppo.winRateHeldOut.lower > 0))
        }
        // The tax on each capability measure: PPO's regression from SFT (worse = higher loss, lower accuracy).
        for (measure, value, higherIsWorse) in [("held-out LM loss", { (r: PipelineRow) in r.heldOutLanguageModelLoss }, true),
                                                ("corpus-probe accuracy", { (r: PipelineRow) in r.probeAccuracy }, false)] {
            guard let sft = row("SFT").flatMap(value), let ppo = row("PPO").flatMap(value), let ptx = row("PPO-ptx").flatMap(value) else { continue }
            let tax = higherIsWorse ? ppo - sft : sft - ppo
            let recovered = higherIsWorse ? ppo - ptx : ptx - ppo
            claims.append(PaperClaim(claim: "§4.2: PPO pays an alignment tax on \(measure) (worse than SFT)",
                                     measured: "PPO \(f(ppo)) vs SFT \(f(sft)) (tax \(f(tax)))", holds: tax > 0))
            claims.append(PaperClaim(claim: "§4.2: PPO-ptx recovers at least half of that tax on \(measure)",
                                     measured: "PPO-ptx \(f(ptx)): recovers \(tax > 0 ? f(recovered / tax) : "—") of it",
                                     holds: tax > 0 && recovered >= tax / 2))
        }
        if let ppo = difference("PPO"), let ptx = difference("PPO-ptx") {
            let kept = ppo.gold.estimate > 0 ? ptx.gold.estimate / ppo.gold.estimate : 0
            claims.append(PaperClaim(claim: "§3.5, §4.2: PPO-ptx keeps PPO's preference gain (at least 70 % of its gold gain over SFT)",
                                     measured: "Δ gold PPO-ptx \(f(ptx.gold.estimate)) vs PPO \(f(ppo.gold.estimate)) (\(f(kept)) of it)",
                                     holds: ppo.gold.estimate > 0 && kept >= 0.7))
        }
        return claims
    }
}
