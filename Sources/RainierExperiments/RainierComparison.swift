// The comparison of Rainier's table over one or several seeds: accuracy per family and per seen/unseen average,
// each method's paired difference from QA alone, and the paper's claims with ✓ or ✗. Questions about one entity
// are not independent, so every interval resamples whole test entities within each seed.
import CommonsenseWorld
import Evaluation
import Foundation

/// One test question's outcome under every method.
public struct RainierItem: Codable, Equatable, Sendable {
    /// The seed of the run that asked it (its world, models and samples).
    public var seed: UInt64
    /// The question's family.
    public var family: String
    /// Whether the family is seen in training.
    public var isSeen: Bool
    /// The test entity the question asks about (the bootstrap's cluster).
    public var entity: String
    /// Whether each method (see ``rainierMethods``) answered it correctly.
    public var correct: [String: Bool]

    public init(seed: UInt64, family: String, isSeen: Bool, entity: String, correct: [String: Bool]) {
        self.seed = seed
        self.family = family
        self.isSeen = isSeen
        self.entity = entity
        self.correct = correct
    }
}

/// Accuracy and paired differences from QA alone over the test questions of one or several seeds.
///
/// A group's accuracy is the unweighted mean of its families' accuracies, averaged over seeds. Every interval is
/// a 95 % percentile bootstrap that resamples the test entities of each seed (all their questions together), so
/// repeated questions about one fact do not pass for independent evidence; a difference is computed on the same
/// resample for both methods (paired).
public struct RainierComparison: Sendable {
    /// Accuracy per method and group (a family name, "seen average" or "unseen average").
    public let accuracy: [String: [String: ConfidenceInterval]]
    /// Difference per comparison ("QA + Rainier − QA alone", …) and group.
    public let differences: [String: [String: ConfidenceInterval]]
    /// The accuracy table (Markdown).
    public let accuracyTable: String
    /// The paired differences (Markdown).
    public let differenceTable: String
    /// The paper's claims, one line each.
    public let claims: [PaperClaim]

    /// The comparisons the difference table shows, as (minuend, subtrahend).
    public static let comparisons = [("QA + silver", "QA alone"), ("QA + stage I", "QA alone"), ("QA + Rainier", "QA alone"),
                                     ("QA + Rainier", "QA + stage I")]

    /// - Parameters:
    ///   - items: Every test question of every seed, with each method's correctness.
    ///   - families: The families in table order, with whether each is seen.
    ///   - resamples: Bootstrap resamples per interval.
    ///   - seed: Seed of the resampling.
    /// - Throws: `EvaluationError` for no items, or a group without questions.
    public init(items: [RainierItem], families: [(name: String, isSeen: Bool)], resamples: Int, seed: UInt64) throws {
        guard !items.isEmpty else { throw EvaluationError.emptyInput(metric: "RainierComparison") }
        // Per seed, per entity (cluster), per family: the question count and each method's correct count.
        let seeds = Array(Set(items.map(\.seed))).sorted()
        let familyIndex = Dictionary(uniqueKeysWithValues: families.enumerated().map { ($1.name, $0) })
        let methodIndex = Dictionary(uniqueKeysWithValues: rainierMethods.enumerated().map { ($1, $0) })
        var clusters: [[[(count: Double, correct: [Double])]]] = []   // [seed][entity][family]
        for s in seeds {
            let mine = items.filter { $0.seed == s }
            let entities = Array(Set(mine.map(\.entity))).sorted()
            let entityIndex = Dictionary(uniqueKeysWithValues: entities.enumerated().map { ($1, $0) })
            var table = Array(repeating: Array(repeating: (count: 0.0, correct: [Double](repeating: 0, count: rainierMethods.count)),
                                               count: families.count), count: entities.count)
            for item in mine {
                guard let f = familyIndex[item.family], let e = entityIndex[item.entity] else { continue }
                table[e][f].count += 1
                for (method, ok) in item.correct where ok { if let m = methodIndex[method] { table[e][f].correct[m] += 1 } }
            }
            clusters.append(table)
        }
        let groups: [(name: String, families: [Int])] = families.indices.map { (families[$0].name, [$0]) }
            + [("seen average", families.indices.filter { families[$0].isSeen }),
               ("unseen average", families.indices.filter { !families[$0].isSeen })]

        /// The group's accuracy of method m on the resample: mean over seeds of the mean over families.
        func statistic(_ picks: [[Int]], _ group: [Int], _ m: Int) -> Double {
            var total = 0.0, seedsCounted = 0.0
            for (s, chosen) in picks.enumerated() {
                var sum = 0.0, familiesCounted = 0.0
                for f in group {
                    var count = 0.0, correct = 0.0
                    for e in chosen { count += clusters[s][e][f].count; correct += clusters[s][e][f].correct[m] }
                    if count > 0 { sum += correct / count; familiesCounted += 1 }
                }
                if familiesCounted > 0 { total += sum / familiesCounted; seedsCounted += 1 }
            }
            return seedsCounted > 0 ? total / seedsCounted : 0
        }
        let counts = clusters.map(\.count)
        var accuracy: [String: [String: ConfidenceInterval]] = [:]
        var differences: [String: [String: ConfidenceInterval]] = [:]
        var accuracyTable = ResultTable(columns: ["family", "seen"] + rainierMethods)
        var differenceTable = ResultTable(columns: ["family"] + RainierComparison.comparisons.map { "\($0) − \($1)" })
        for (g, group) in groups.enumerated() {
            guard !group.families.isEmpty else { continue }
            let seen = group.families.allSatisfy { families[$0].isSeen }
            var cells: [ResultCell] = [.text(group.name), .text(seen ? "yes" : "no")]
            for (m, method) in rainierMethods.enumerated() {
                var rng = SplitMix64(seed: seed &+ UInt64(1000 * g + m))
                let ci = try clusterBootstrapInterval(clusterCounts: counts, resamples: resamples, using: &rng) { statistic($0, group.families, m) }
                accuracy[method, default: [:]][group.name] = ci
                cells.append(.interval(ci, decimals: 2))
            }
            try accuracyTable.addRow(cells)
            var differenceCells: [ResultCell] = [.text(group.name)]
            for (c, (a, b)) in RainierComparison.comparisons.enumerated() {
                let ma = methodIndex[a]!, mb = methodIndex[b]!
                var rng = SplitMix64(seed: seed &+ UInt64(1000 * g + 100 + c))
                let ci = try clusterBootstrapInterval(clusterCounts: counts, resamples: resamples, using: &rng) {
                    statistic($0, group.families, ma) - statistic($0, group.families, mb)
                }
                differences["\(a) − \(b)", default: [:]][group.name] = ci
                differenceCells.append(.interval(ci, decimals: 3))
            }
            try differenceTable.addRow(differenceCells)
        }
        self.accuracy = accuracy
        self.differences = differences
        self.accuracyTable = accuracyTable.markdown()
        self.differenceTable = differenceTable.markdown()

        func formatted(_ ci: ConfidenceInterval?) -> String {
            guard let ci else { return "not measured" }
            return String(format: "%+.3f [%+.3f, %+.3f]", ci.estimate, ci.lower, ci.upper)
        }
        var claims: [PaperClaim] = []
        for (group, table) in [("seen average", "seen benchmarks"), ("unseen average", "unseen benchmarks")] {
            let gain = differences["QA + Rainier − QA alone"]?[group]
            claims.append(PaperClaim(claim: "QA + Rainier beats QA alone on \(table) (paired 95 % CI excludes 0)",
                                       measured: "Δ \(formatted(gain))", holds: (gain?.lower ?? 0) > 0))
        }
        for (group, table) in [("seen average", "seen benchmarks"), ("unseen average", "unseen benchmarks")] {
            let gain = differences["QA + Rainier − QA + stage I"]?[group]
            claims.append(PaperClaim(claim: "reinforcement (stage II) adds to imitation (stage I) on \(table): QA + Rainier ≥ QA + stage I",
                                       measured: "Δ \(formatted(gain))", holds: (gain?.estimate ?? -1) >= 0))
        }
        self.claims = claims
    }
}

/// The summary of Rainier runs that differ only in their seed: one ``RainierComparison`` over every seed's test
/// questions (resampling entities within each seed), the knowledge-quality table averaged over seeds, and each
/// claim with its verdict on the pooled table and seed by seed.
public enum RainierSeeds {
    /// Markdown: accuracy, paired differences, the paper's claims and knowledge quality over the seeds.
    ///
    /// - Parameters:
    ///   - runs: One result per seed.
    ///   - families: The families in table order, with whether each is seen (default: the built-in world's).
    ///   - resamples: Bootstrap resamples per interval.
    /// - Throws: `EvaluationError` for no runs.
    public static func summary(_ runs: [(seed: UInt64, result: RainierExperimentResult)],
                               families: [(name: String, isSeen: Bool)] = QuestionFamily.builtIn.map { ($0.name, $0.isSeen) },
                               resamples: Int) throws -> String {
        guard !runs.isEmpty else { throw EvaluationError.emptyInput(metric: "RainierSeeds.summary") }
        let pooled = try RainierComparison(items: runs.flatMap(\.result.items), families: families, resamples: resamples, seed: 0)
        let seeds = runs.map { String($0.seed) }.joined(separator: ", ")
        var lines = ["Seeds \(seeds), pooled: each group's accuracy is the mean over seeds of its families' unweighted mean; "
                     + "95 % bootstrap intervals resample the test entities within each seed.", "",
                     "## Accuracy", "", pooled.accuracyTable, "## Paired differences", "", pooled.differenceTable,
                     "## Paper shape (Rainier, arXiv 2210.03078), pooled over seeds and seed by seed", ""]
        for (index, claim) in pooled.claims.enumerated() {
            let bySeed = runs.map { "seed \($0.seed) \($0.result.claims[index].holds ? "✓" : "✗")" }.joined(separator: ", ")
            lines.append("- \(claim.line) (\(bySeed))")
        }
        lines += ["", "## Knowledge statements that are true and relevant (mean over seeds)", "",
                  try RainierExperiment.knowledgeTable(runs.map(\.result.trueAndRelevant))]
        let recall = ["training entities", "test entities", "unasked relation"].map { group -> String in
            let values = runs.compactMap { $0.result.baseRecall[group] }
            return String(format: "%@ %.2f", group, values.reduce(0, +) / Double(max(values.count, 1)))
        }
        lines.append("The introspector's base model ranks the true value first (mean over seeds): " + recall.joined(separator: ", ") + " (chance 0.20).")
        return lines.joined(separator: "\n") + "\n"
    }
}
