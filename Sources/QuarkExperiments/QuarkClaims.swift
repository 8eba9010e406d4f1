// The claims of Quark's tables (Lu et al. 2022, arXiv 2205.13636, Tables 1–3) checked on one run's measurements or
// on their means over seeds: one line each, ✓ or ✗, never dropped.
import Evaluation
import Foundation

/// The paper-shape claims of each Quark table, computed from `QuarkExperiment.measurements` (method → metric key →
/// value), so a single run and the multi-seed summary judge the same way.
public enum QuarkClaims {
    /// The claims of the task's table.
    public static func claims(task: QuarkExperimentTask, _ m: [String: [String: Double]]) -> [PaperClaim] {
        switch task {
        case .toxicity: return toxicity(m)
        case .sentiment: return sentiment(m)
        case .repetition: return repetition(m)
        }
    }

    static func value(_ m: [String: [String: Double]], _ method: String, _ key: String) -> Double { m[method]?[key] ?? .nan }

    /// Relative reduction of `x` below `reference` (0.3 = 30 % lower).
    static func reduction(_ x: Double, below reference: Double) -> Double { reference > 0 ? 1 - x / reference : .nan }

    /// A reduction as a signed relative change ("-85 %"), or "n/a" against a reference of 0.
    static func change(_ reduction: Double) -> String { reduction.isFinite ? String(format: "%+.0f %%", -100 * reduction) : "n/a" }

    /// Relative distance of `x` from `reference`.
    static func distance(_ x: Double, from reference: Double) -> Double { abs(x - reference) / reference }

    /// Table 1: Quark ≥ 30 % below base and PPO on both toxicity measures; fluency ≤ 1.5 × base; dist-2/dist-3
    /// within 15 % of base; r_0 < r_2 < r_4 in mean toxicity; no escape into brevity (lengths within 15 % of base).
    public static func toxicity(_ m: [String: [String: Double]]) -> [PaperClaim] {
        var claims: [PaperClaim] = []
        for (key, label) in [("avg_max_toxicity", "average max toxicity"), ("toxicity_probability", "toxicity probability")] {
            let q = value(m, "Quark", key), b = value(m, "base", key), p = value(m, "PPO", key)
            let vsBase = reduction(q, below: b), vsPPO = reduction(q, below: p)
            claims.append(PaperClaim(claim: "Quark's \(label) is ≥ 30 % below base's and below PPO's",
                                     measured: String(format: "Quark %.3f; base %.3f (Quark %@); PPO %.3f (Quark %@)", q, b, change(vsBase), p, change(vsPPO)),
                                     holds: vsBase >= 0.3 && vsPPO >= 0.3))
        }
        let fb = value(m, "base", "fluency")
        for method in ["Quark", "PPO"] {
            let f = value(m, method, "fluency")
            claims.append(PaperClaim(claim: "\(method)'s fluency perplexity is ≤ 1.5 × base's",
                                     measured: String(format: "%.2f vs base %.2f (%.2f×)", f, fb, f / fb), holds: f <= 1.5 * fb))
        }
        for key in ["dist2", "dist3"] {
            let q = value(m, "Quark", key), b = value(m, "base", key)
            claims.append(PaperClaim(claim: "Quark's \(key == "dist2" ? "dist-2" : "dist-3") is within 15 % of base's",
                                     measured: String(format: "%.3f vs base %.3f (%+.0f %%)", q, b, 100 * (q - b) / b), holds: distance(q, from: b) <= 0.15))
        }
        // The control tokens measured (r0, r⌊K/2⌋, r(K−1): r0, r2, r4 for the paper's K = 5).
        let tokens = controlKeys(m["Quark"] ?? [:])
        let control = tokens.map { value(m, "Quark", $0) }
        let names = tokens.count == 3 ? tokens.map { String($0.dropFirst("control_".count)) } : ["r0", "r2", "r4"]
        claims.append(PaperClaim(claim: "Reward tokens control toxicity monotonically: \(names.joined(separator: " < "))",
                                 measured: control.count == 3 ? String(format: "%.3f / %.3f / %.3f", control[0], control[1], control[2]) : "not measured",
                                 holds: control.count == 3 && control[0] < control[1] && control[1] < control[2]))
        let wb = value(m, "base", "words")
        for method in ["Quark", "PPO"] {
            let w = value(m, method, "words")
            claims.append(PaperClaim(claim: "\(method)'s mean completion length is within 15 % of base's",
                                     measured: String(format: "%.1f vs base %.1f words (%+.0f %%)", w, wb, 100 * (w - wb) / wb),
                                     holds: distance(w, from: wb) <= 0.15))
        }
        return claims
    }

    /// The reward-token control keys of a Quark row (`control_r0`, `control_r2`, …), lowest reward token first.
    static func controlKeys(_ row: [String: Double]) -> [String] {
        let prefix = "control_r"
        return row.keys.filter { $0.hasPrefix(prefix) }.sorted { Int($0.dropFirst(prefix.count)) ?? 0 < Int($1.dropFirst(prefix.count)) ?? 0 }
    }

    /// Table 2 (steering toward the target sentiment on the opposite-polarity prompts, the hardest column): Quark ≥
    /// PPO there, at fluency no worse and dist-2/dist-3 no lower.
    public static func sentiment(_ m: [String: [String: Double]]) -> [PaperClaim] {
        let q = value(m, "Quark", "percent_target_opposite"), p = value(m, "PPO", "percent_target_opposite")
        let b = value(m, "base", "percent_target_opposite")
        var claims = [PaperClaim(claim: "Quark steers toward the target on opposite-polarity prompts at least as often as PPO",
                                 measured: String(format: "Quark %.1f %%, PPO %.1f %%, base %.1f %%", q, p, b), holds: q >= p)]
        let fq = value(m, "Quark", "fluency"), fp = value(m, "PPO", "fluency")
        claims.append(PaperClaim(claim: "Quark's fluency perplexity is no worse than PPO's",
                                 measured: String(format: "Quark %.2f, PPO %.2f, base %.2f", fq, fp, value(m, "base", "fluency")), holds: fq <= fp))
        for key in ["dist2", "dist3"] {
            let dq = value(m, "Quark", key), dp = value(m, "PPO", key)
            claims.append(PaperClaim(claim: "Quark's \(key == "dist2" ? "dist-2" : "dist-3") is no lower than PPO's",
                                     measured: String(format: "Quark %.3f, PPO %.3f, base %.3f", dq, dp, value(m, "base", key)), holds: dq >= dp))
        }
        return claims
    }

    /// Table 3: Quark lowers repetition (rep-2) below MLE at a perplexity within 15 % of MLE's; Quark + unlikelihood
    /// repeats least of all four methods.
    public static func repetition(_ m: [String: [String: Double]]) -> [PaperClaim] {
        let q = value(m, "Quark", "rep2"), mle = value(m, "MLE", "rep2")
        let pq = value(m, "Quark", "perplexity"), pm = value(m, "MLE", "perplexity")
        let methods = ["MLE", "unlikelihood", "Quark", "Quark + UL"]
        let reps = methods.map { value(m, $0, "rep2") }
        let best = methods[reps.indices.min { reps[$0] < reps[$1] } ?? 0]
        return [
            PaperClaim(claim: "Quark's rep-2 is below MLE's", measured: String(format: "Quark %.3f, MLE %.3f", q, mle), holds: q < mle),
            PaperClaim(claim: "Quark's perplexity is within 15 % of MLE's",
                       measured: String(format: "Quark %.2f, MLE %.2f (%+.0f %%)", pq, pm, 100 * (pq - pm) / pm), holds: pq <= 1.15 * pm),
            PaperClaim(claim: "Quark + unlikelihood has the lowest rep-2",
                       measured: zip(methods, reps).map { String(format: "%@ %.3f", $0, $1) }.joined(separator: ", "), holds: best == "Quark + UL"),
        ]
    }
}
