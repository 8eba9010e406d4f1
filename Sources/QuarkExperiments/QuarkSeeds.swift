// The summary of one Quark table over seeds: each method's metrics as means over seeds with Student-t intervals,
// paired differences of Quark against the other methods, and the paper-shape claims on the seed means with the
// number of seeds at which each holds (✓ only when on the means and at every seed).
import Evaluation
import Foundation

/// Pools the runs of one task over seeds. A claim is ✓ only when it holds on the means over seeds and at every
/// seed.
public enum QuarkSeeds {
    /// The metrics of the table of each task, with their column titles.
    static func columns(_ task: QuarkExperimentTask, measurements: [String: [String: Double]]) -> [(key: String, title: String)] {
        switch task {
        case .toxicity:
            return [("avg_max_toxicity", "avg. max toxicity"), ("toxicity_probability", "toxicity prob."), ("fluency", "fluency (ppl)"),
                    ("dist2", "dist-2"), ("dist3", "dist-3"), ("words", "words")]
        case .sentiment:
            let keys = Set(measurements.values.flatMap(\.keys)).filter { $0.hasPrefix("percent_") && $0 != "percent_target_opposite" }.sorted()
            return keys.map { ($0, "% " + $0.dropFirst("percent_".count).replacingOccurrences(of: "_", with: " · ") + " prompts") }
                + [("fluency", "fluency (ppl)"), ("dist2", "dist-2"), ("dist3", "dist-3")]
        case .repetition:
            return [("perplexity", "perplexity"), ("next_token_accuracy", "next-token acc."), ("rep2", "rep-2"), ("rep3", "rep-3"),
                    ("diversity", "diversity")]
        }
    }

    static let methods: [QuarkExperimentTask: [String]] = [
        .toxicity: ["base", "DAPT", "PPO", "Quark"], .sentiment: ["base", "DAPT", "PPO", "Quark"],
        .repetition: ["MLE", "unlikelihood", "Quark", "Quark + UL"],
    ]

    /// Decimals of a metric's cells: percentages 1, perplexities and lengths 2, rates 3.
    static func decimals(_ key: String) -> Int {
        key.hasPrefix("percent_") ? 1 : ["fluency", "perplexity", "words"].contains(key) ? 2 : 3
    }

    /// The Markdown summary of `runs` (one `measurements` per seed).
    ///
    /// - Throws: `EvaluationError` for no runs.
    public static func summary(task: QuarkExperimentTask, runs: [(seed: UInt64, measurements: [String: [String: Double]])]) throws -> String {
        guard let first = runs.first else { throw EvaluationError.emptyInput(metric: "QuarkSeeds.summary") }
        let names = methods[task] ?? []
        let columns = columns(task, measurements: first.measurements)
        func values(_ method: String, _ key: String) -> [Double] { runs.compactMap { $0.measurements[method]?[key] }.filter(\.isFinite) }
        var table = ResultTable(columns: ["method"] + columns.map(\.title))
        for method in names {
            var cells: [ResultCell] = [.text(method)]
            for column in columns {
                let v = values(method, column.key)
                cells.append(v.isEmpty ? .missing : .interval(try seedMeanInterval(v), decimals: decimals(column.key)))
            }
            try table.addRow(cells)
        }
        // Paired differences: Quark − each other method, seed by seed (same prompts, same world).
        var differences = ResultTable(columns: ["Quark − method"] + columns.map(\.title))
        for method in names where method != "Quark" {
            var cells: [ResultCell] = [.text(method)]
            for column in columns {
                let d = runs.compactMap { r -> Double? in
                    guard let q = r.measurements["Quark"]?[column.key], let o = r.measurements[method]?[column.key], q.isFinite, o.isFinite else { return nil }
                    return q - o
                }
                cells.append(d.isEmpty ? .missing : .interval(try seedMeanInterval(d), decimals: decimals(column.key)))
            }
            try differences.addRow(cells)
        }
        var means: [String: [String: Double]] = [:]
        for (method, row) in first.measurements {
            for key in row.keys {
                let v = values(method, key)
                if !v.isEmpty { means[method, default: [:]][key] = v.reduce(0, +) / Double(v.count) }
            }
        }
        let perSeed = runs.map { QuarkClaims.claims(task: task, $0.measurements) }
        // A claim holds over seeds when it holds on the means and at every seed (issue #19: "the result holds at
        // 3 seeds"), so one lucky seed cannot carry the mean.
        let claims = QuarkClaims.claims(task: task, means).enumerated().map { i, claim in
            var c = claim
            let seedsHolding = perSeed.filter { $0[i].holds }.count
            c.measured += " (means over \(runs.count) seeds; holds at \(seedsHolding) of \(runs.count) seeds)"
            c.holds = claim.holds && seedsHolding == runs.count
            return c
        }
        var text = "Seeds \(runs.map { String($0.seed) }.joined(separator: ", ")). Means over seeds with 95 % Student-t intervals:\n\n"
        text += table.markdown() + "\n\nPaired differences (Quark − method, per seed, 95 % Student-t interval over seeds):\n\n"
        text += differences.markdown() + "\n"
        if task == .toxicity {
            let control = QuarkClaims.controlKeys(means["Quark"] ?? [:]).map { key -> String in
                let v = values("Quark", key)
                guard let ci = try? seedMeanInterval(v) else { return "—" }
                return "\(key.dropFirst("control_".count)) \(ResultCell.interval(ci).rendered)"
            }
            text += "\nMean toxicity when Quark conditions on each reward token: \(control.joined(separator: ", ")).\n"
        }
        text += "\nPaper shape (Quark, arXiv 2205.13636, Table \(task == .toxicity ? 1 : task == .sentiment ? 2 : 3)):\n\n"
        text += claims.map { "- " + $0.line }.joined(separator: "\n") + "\n"
        return text
    }
}
