// RLP-SPG (Lang et al. 2024, arXiv 2403.19279, §4.2): cluster each prompt's policy samples by semantic equivalence,
// keep prompts whose largest cluster holds at least γ of the samples, and pair the best-rewarded member of that
// cluster (chosen) with a random sample outside it (rejected).
import Foundation
import TrainingCore
import TrainingData

/// A prompt with n responses sampled from the policy (one element of RLP's set P).
public struct PolicySampleGroup: Equatable, Sendable {
    public var prompt: String
    public var responses: [String]

    public init(prompt: String, responses: [String]) {
        self.prompt = prompt
        self.responses = responses
    }
}

/// Why SPG made or did not make a pair for a prompt.
public enum SyntheticPreferenceOutcome: String, Equatable, Sendable {
    /// A pair was made.
    case paired
    /// The largest cluster's share was below the threshold γ (the prompt is too uncertain).
    case belowThreshold
    /// Every response is in the largest cluster, so nothing can be rejected.
    case unanimous
}

/// SPG's decision for one prompt.
public struct SyntheticPreferenceDecision: Equatable, Sendable {
    /// Clusters of response indices, in order of their first member (greedy clustering).
    public var clusters: [[Int]]
    /// Index into `clusters` of the largest cluster (the first of equal size).
    public var largest: Int
    /// `|largest cluster| / n`.
    public var confidence: Double
    public var outcome: SyntheticPreferenceOutcome
    /// The pair's response indices when `outcome == .paired`.
    public var chosen: Int?
    public var rejected: Int?
}

/// What SPG produced from a set of policy samples.
public struct SyntheticPreferences: Sendable {
    /// The synthetic comparisons D̂.
    public var pairs: [PreferenceRecord]
    /// One decision per input group, in order.
    public var decisions: [SyntheticPreferenceDecision]

    /// Fraction of prompts that yielded a pair.
    public var keptFraction: Double { fraction(.paired) }
    /// Fraction of prompts skipped because their confidence was below γ.
    public var belowThresholdFraction: Double { fraction(.belowThreshold) }
    /// Fraction of prompts skipped because all their responses agreed.
    public var unanimousFraction: Double { fraction(.unanimous) }
    /// Mean confidence over prompts.
    public var meanConfidence: Double {
        decisions.isEmpty ? 0 : decisions.reduce(0) { $0 + $1.confidence } / Double(decisions.count)
    }

    func fraction(_ outcome: SyntheticPreferenceOutcome) -> Double {
        decisions.isEmpty ? 0 : Double(decisions.filter { $0.outcome == outcome }.count) / Double(decisions.count)
    }
}

/// Greedy clustering (Kuhn et al. 2023): each response joins the first cluster whose first member it is equivalent
/// to, else starts a new cluster.
///
/// - Parameters:
///   - responses: The responses.
///   - equivalent: A symmetric equivalence test.
/// - Returns: Clusters of indices, in order of their first member.
public func clusterResponses(_ responses: [String], equivalent: (String, String) throws -> Bool) rethrows -> [[Int]] {
    var clusters: [[Int]] = []
    for (i, response) in responses.enumerated() {
        if let c = try clusters.firstIndex(where: { try equivalent(responses[$0[0]], response) }) {
            clusters[c].append(i)
        } else {
            clusters.append([i])
        }
    }
    return clusters
}

/// Makes RLP-SPG's synthetic comparisons.
///
/// For each group: cluster the responses with `equivalent(prompt, a, b)`; confidence = the largest cluster's share;
/// skip the prompt when confidence < `threshold` or when every response is in that cluster; otherwise chosen = the
/// member of the largest cluster with the highest `rewards` score (the first on ties) and rejected = a response
/// outside it drawn uniformly with `generator`.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let spg = try generateSyntheticPreferences(groups, rewards: scores, threshold: 0.5, using: &rng) { prompt, a, b in
///     try task.statesSameAnswer(prompt: prompt, a, b)
/// }
/// ```
///
/// - Parameters:
///   - groups: Policy samples per prompt.
///   - rewards: `rewards[g][i]`: the current reward model's score of response i of group g.
///   - threshold: γ in [0, 1] (RLP: 0.5; 0 is the "Select-All" ablation).
///   - generator: Draws the rejected response.
///   - equivalent: The caller's semantic equivalence test (RLP: bidirectional entailment).
/// - Throws: `ConfigurationError` when `rewards` does not match `groups`, or what `equivalent` throws.
public func generateSyntheticPreferences<G: RandomNumberGenerator>(
    _ groups: [PolicySampleGroup], rewards: [[Float]], threshold: Double = 0.5, using generator: inout G,
    equivalent: (_ prompt: String, _ a: String, _ b: String) throws -> Bool
) throws -> SyntheticPreferences {
    guard rewards.count == groups.count, zip(groups, rewards).allSatisfy({ $0.responses.count == $1.count }) else {
        throw ConfigurationError.countMismatch(what: "reward lists", expected: groups.count, found: rewards.count, fix: "give one reward per response of every group")
    }
    try require((0...1).contains(threshold), "threshold", threshold, "the confidence threshold γ must be in [0, 1], such as 0.5")
    var pairs: [PreferenceRecord] = [], decisions: [SyntheticPreferenceDecision] = []
    for (group, scores) in zip(groups, rewards) {
        let n = group.responses.count
        guard n > 0 else {
            decisions.append(SyntheticPreferenceDecision(clusters: [], largest: 0, confidence: 0, outcome: .belowThreshold))
            continue
        }
        let clusters = try clusterResponses(group.responses) { try equivalent(group.prompt, $0, $1) }
        var largest = 0
        for (c, members) in clusters.enumerated() where members.count > clusters[largest].count { largest = c }
        let top = clusters[largest]
        var decision = SyntheticPreferenceDecision(clusters: clusters, largest: largest,
                                                   confidence: Double(top.count) / Double(n), outcome: .paired)
        if decision.confidence < threshold {
            decision.outcome = .belowThreshold
        } else if top.count == n {
            decision.outcome = .unanimous
        } else {
            var best = top[0]
            for i in top.dropFirst() where scores[i] > scores[best] { best = i }
            let inTop = Set(top)
            let outside = (0..<n).filter { !inTop.contains($0) }
            let worse = outside[Int.random(in: 0..<outside.count, using: &generator)]
            (decision.chosen, decision.rejected) = (best, worse)
            pairs.append(PreferenceRecord(prompt: group.prompt, chosen: group.responses[best], rejected: group.responses[worse]))
        }
        decisions.append(decision)
    }
    return SyntheticPreferences(pairs: pairs, decisions: decisions)
}
