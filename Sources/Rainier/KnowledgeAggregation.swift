// Rainier's inference (Liu et al. 2022, arXiv 2210.03078; the authors' `reward.py::get_reward_ensemble`): combine the
// QA model's probability vectors without knowledge and with each of M sampled knowledge statements into one answer.
import Foundation
import TrainingCore

/// How the M + 1 probability vectors of a question (no knowledge, then one per statement) become one answer.
public enum KnowledgeAggregation: String, ConfigurationChoice {
    /// For each choice, the largest probability over the vectors (Rainier's default): the answer of the single
    /// most confident (knowledge-or-none, choice) pair.
    case max
    /// The mean probability of each choice (mixture of experts, `moe`).
    case mean
    /// The geometric mean of each choice's probabilities (product of experts, `poe`).
    case product
    /// The number of vectors whose most likely choice it is (ties go to the lower index, like `scipy.stats.mode`).
    case majority

    /// The aggregated score of each choice.
    public func aggregate(_ vectors: [[Double]]) -> [Double] {
        precondition(!vectors.isEmpty && vectors.allSatisfy { $0.count == vectors[0].count }, "aggregate: vectors must be non-empty and of one length")
        let n = vectors[0].count, m = Double(vectors.count)
        switch self {
        case .max: return (0..<n).map { c in vectors.map { $0[c] }.max()! }
        case .mean: return (0..<n).map { c in vectors.reduce(0) { $0 + $1[c] } / m }
        case .product: return (0..<n).map { c in Foundation.exp(vectors.reduce(0) { $0 + Foundation.log(Swift.max($1[c], 1e-300)) } / m) }
        case .majority:
            var votes = [Double](repeating: 0, count: n)
            for v in vectors { votes[KnowledgeAggregation.argmax(v)] += 1 }
            return votes
        }
    }

    /// The predicted choice: the argmax of ``aggregate(_:)`` (the lowest index on ties).
    public func predict(_ vectors: [[Double]]) -> Int { KnowledgeAggregation.argmax(aggregate(vectors)) }

    /// The index of the largest value of `x` (the lowest index on ties; 0 for an empty `x`).
    public static func argmax(_ x: [Double]) -> Int {
        var best = 0
        for i in x.indices where x[i] > x[best] { best = i }
        return best
    }
}
