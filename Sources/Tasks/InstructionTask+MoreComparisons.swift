// More comparisons on the comparison split: simulated labels are cheap, so a reward model can be given more of them
// without touching any other split (the held-out comparisons and their noise ceiling stay exactly as they are).
import Foundation
import TrainingData

extension InstructionTask {
    /// Further pairwise comparisons on the comparison split, labelled by the training group exactly as
    /// ``comparisons`` are (two distinct candidates from the same quality mix, one Bradley–Terry draw).
    ///
    /// The prompts are drawn uniformly from the comparison split's instructions (``InstructionSplits/comparison``),
    /// so no evaluation instance appears; the draws come from their own stream, seeded by the task's seed and
    /// `stream`, so the task's own splits, comparisons and held-out comparisons are unchanged.
    ///
    /// - Parameters:
    ///   - count: The number of comparisons.
    ///   - stream: Selects an independent stream of draws (different values give different comparisons). Default 0.
    /// - Returns: `count` preference records.
    public func moreComparisons(count: Int, stream: UInt64 = 0) -> [PreferenceRecord] {
        guard count > 0, !splits.comparison.isEmpty else { return [] }
        var rng = TaskGenerator(seed: stableHash("more-comparisons-\(stream)", seed: config.seed))
        return (0..<count).map { _ in
            let instruction = rng.taskPick(splits.comparison)
            let pair = InstructionTask.distinctCandidates(for: instruction, count: 2, using: &rng)
            let firstWins = trainingAnnotators.prefersFirst(instruction, pair[0], pair[1], using: &rng)
            return PreferenceRecord(prompt: instruction.prompt, chosen: firstWins ? pair[0] : pair[1],
                                    rejected: firstWins ? pair[1] : pair[0])
        }
    }

    /// Further ranked comparisons on the comparison split: `rankSize` distinct candidates per prompt, ranked best
    /// first by one Plackett–Luce draw of a training-group member, as ``rankedComparisons`` are.
    ///
    /// A ranking of K completions gives C(K, 2) pairs for K forward passes, which is how InstructGPT gathered its
    /// comparisons. Prompts and stream as in ``moreComparisons(count:stream:)``.
    ///
    /// - Parameters:
    ///   - count: The number of rankings.
    ///   - rankSize: K, completions per ranking, in 2...9.
    ///   - stream: Selects an independent stream of draws. Default 0.
    /// - Returns: `count` ranked records (best first).
    /// - Throws: ``TaskError/invalid(_:)`` for K outside 2...9.
    public func moreRankedComparisons(count: Int, rankSize: Int, stream: UInt64 = 0) throws(TaskError) -> [RankedRecord] {
        guard (2...9).contains(rankSize) else {
            throw .invalid(.invalidValue(field: "rankSize", value: "\(rankSize)", requirement: "it must be in 2...9"))
        }
        guard count > 0, !splits.comparison.isEmpty else { return [] }
        var rng = TaskGenerator(seed: stableHash("more-ranked-comparisons-\(stream)", seed: config.seed))
        return (0..<count).map { _ in
            let instruction = rng.taskPick(splits.comparison)
            let candidates = InstructionTask.distinctCandidates(for: instruction, count: rankSize, using: &rng)
            let order = trainingAnnotators.rank(instruction, candidates, using: &rng)
            return RankedRecord(prompt: instruction.prompt, completions: order.map { candidates[$0] })
        }
    }
}
