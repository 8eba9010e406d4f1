// Comparison data for reward models: every compared completion of a prompt in one batch element, and the
// weighted pairs of InstructGPT's K-choose-2 batching (arXiv 2203.02155, §3.5). Shape letters: N scored rows,
// M pairs, T padded length.
import Foundation
import LanguageModels
import TensorCore
import Tokenizers
import TrainingCore
import TrainingData

/// One prompt with K ≥ 2 completions ranked best first (a pairwise comparison is K = 2).
public struct ComparisonGroup: Equatable, Sendable {
    public var promptTokens: [Int32]
    /// Completion ids, best first.
    public var completionTokens: [[Int32]]

    public init(promptTokens: [Int32], completionTokens: [[Int32]]) {
        precondition(completionTokens.count >= 2, "ComparisonGroup needs at least two completions")
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }

    /// Every (better, worse) index pair: C(K, 2) of them.
    public var pairs: [(better: Int, worse: Int)] {
        let k = completionTokens.count
        return (0..<k).flatMap { i in ((i + 1)..<k).map { (i, $0) } }
    }

    /// Tokenises pairwise comparisons as groups of two (chosen first).
    ///
    /// - Throws: `TrainingError.emptyData` for no records; `ConfigurationError` naming a record that does not fit.
    public static func encode(_ records: [PreferenceRecord], tokenizer: any Tokenizer, contextLength: Int) throws -> [ComparisonGroup] {
        try encode(records.map { ($0.prompt, [$0.chosen, $0.rejected]) }, tokenizer: tokenizer, contextLength: contextLength)
    }

    /// Tokenises ranked comparisons (best first) as groups of K.
    ///
    /// - Throws: `TrainingError.emptyData` for no records; `ConfigurationError` naming a record that does not fit.
    public static func encode(_ records: [RankedRecord], tokenizer: any Tokenizer, contextLength: Int) throws -> [ComparisonGroup] {
        try encode(records.map { ($0.prompt, $0.completions) }, tokenizer: tokenizer, contextLength: contextLength)
    }

    static func encode(_ items: [(String, [String])], tokenizer: any Tokenizer, contextLength: Int) throws -> [ComparisonGroup] {
        guard !items.isEmpty else { throw TrainingError.emptyData(what: "the comparison set") }
        return try items.enumerated().map { index, item in
            let prompt = try tokenizer.encode(item.0)
            let completions = try item.1.map { try tokenizer.encode($0) }
            guard !prompt.isEmpty, completions.count >= 2, completions.allSatisfy({ !$0.isEmpty }) else {
                throw ConfigurationError.emptyInput(what: "the prompt or a completion of comparison \(index + 1)", fix: "give a prompt and at least two non-empty completions")
            }
            let longest = completions.map(\.count).max()! + prompt.count
            guard longest <= contextLength else {
                throw ConfigurationError.tooLong(what: "the longest prompt‖completion of comparison \(index + 1)", length: longest, limit: contextLength,
                                                 fix: "shorten it or use a model with a longer context")
            }
            return ComparisonGroup(promptTokens: prompt, completionTokens: completions)
        }
    }
}

/// A batch of comparison groups laid out for one forward pass.
///
/// Without shared prompts, row i of `inputs` is `prompt ‖ completion_i`, right-padded, and its reward is read at
/// the row's last real token. With shared prompts, each group is one row `prompt ‖ c₁ ‖ … ‖ c_K` whose mask
/// marks the prompt as the row's shared prefix (−1) and the completions as its sequences 1…K (see
/// ``LanguageModels/TokenBatch``): each completion attends to the prompt and itself, at the positions it would
/// have in its own row, so its reward — read at its last token — is the same while the prompt is computed once.
///
/// Either way the batch scores N completions, indexed in group order, best first within a group. `pairs` lists
/// (better, worse, weight) as indices into those N scores: each group of K contributes its C(K,2) pairs with
/// weight 1/C(K,2), so the weighted mean over pairs is the mean over prompts of each prompt's mean pair loss.
public struct ComparisonBatch: Sendable {
    /// The rows of the forward pass: `[N, T]` without shared prompts, `[groups, T]` with them.
    public var inputs: TokenBatch
    /// For each scored completion, the flat index `b·T + t` of its last token in `inputs`.
    public var scoredPositions: [Int]
    /// Pairs as indices into the N scores, with their weights.
    public var pairs: [(better: Int, worse: Int, weight: Float)]
    /// For each group, its score indices, best first.
    public var rankings: [[Int]]

    /// Lays out groups.
    ///
    /// - Parameters:
    ///   - groups: At least one group.
    ///   - padToken: The padding id.
    ///   - grouped: InstructGPT's weighting 1/C(K,2) per pair (default); false weighs every pair 1.
    ///   - sharePrompts: One row per group holding its prompt once (default false: one row per completion).
    public init(groups: [ComparisonGroup], padToken: Int32, grouped: Bool = true, sharePrompts: Bool = false) {
        precondition(!groups.isEmpty, "ComparisonBatch needs at least one group")
        var pairs: [(Int, Int, Float)] = []
        var rankings: [[Int]] = []
        var scored = 0
        for group in groups {
            let groupPairs = group.pairs
            let weight: Float = grouped ? 1 / Float(groupPairs.count) : 1
            pairs += groupPairs.map { (scored + $0.better, scored + $0.worse, weight) }
            rankings.append(Array(scored..<(scored + group.completionTokens.count)))
            scored += group.completionTokens.count
        }
        self.pairs = pairs
        self.rankings = rankings
        if sharePrompts {
            let T = groups.map(\.sharedRowLength).max()!
            var ids = [Int32](repeating: padToken, count: groups.count * T)
            var mask = [Float](repeating: 0, count: groups.count * T)
            var positions: [Int] = []
            for (b, group) in groups.enumerated() {
                var t = b * T
                for id in group.promptTokens { (ids[t], mask[t], t) = (id, -1, t + 1) }
                for (i, completion) in group.completionTokens.enumerated() {
                    for id in completion { (ids[t], mask[t], t) = (id, Float(i + 1), t + 1) }
                    positions.append(t - 1)
                }
            }
            inputs = TokenBatch(tokens: ids, batchSize: groups.count, length: T, mask: Tensor(shape: [groups.count, T], scalars: mask))
            scoredPositions = positions
        } else {
            let rows = groups.flatMap { g in g.completionTokens.map { g.promptTokens + $0 } }
            let padded = TokenBatch(rightPadding: rows, padToken: padToken)
            inputs = padded
            scoredPositions = rows.enumerated().map { $0.offset * padded.length + $0.element.count - 1 }
        }
    }

    /// The number of scored completions, N.
    public var scoredCount: Int { scoredPositions.count }
}

extension ComparisonGroup {
    /// The length of the group's shared-prompt row: the prompt once, then every completion.
    public var sharedRowLength: Int { promptTokens.count + completionTokens.reduce(0) { $0 + $1.count } }
    /// The length of the group's longest `prompt ‖ completion` row.
    public var longestRowLength: Int { promptTokens.count + completionTokens.map(\.count).max()! }
}

/// The Bradley–Terry loss of a batch from its row scores: −log σ(r_better − r_worse − margin), weighted per pair
/// (Σ wᵢ·lossᵢ / Σ wᵢ), plus `centering · mean((r_better + r_worse)²)` (TRL's auxiliary term).
///
/// - Parameters:
///   - scores: One reward per scored completion of `batch`, `[N]`.
///   - batch: The batch the scores belong to.
///   - margin: The margin m. Default 0.
///   - centering: The centring coefficient. Default 0.
public func comparisonLoss(scores: Variable, batch: ComparisonBatch, margin: Float = 0, centering: Float = 0) -> Variable {
    let n = scores.shape[0], m = batch.pairs.count
    // Gather r_better and r_worse with the differentiable embedding lookup over the [N, 1] score column.
    let column = scores.reshaped([n, 1])
    let better = try! column.embedding(batch.pairs.map { Int32($0.better) }, shape: [m]).reshaped([m])
    let worse = try! column.embedding(batch.pairs.map { Int32($0.worse) }, shape: [m]).reshaped([m])
    let margins = margin != 0 ? Tensor(shape: [m], repeating: margin) : nil
    return pairwiseRewardLoss(chosen: better, rejected: worse, margins: margins, centering: centering,
                              weights: Tensor(shape: [m], scalars: batch.pairs.map(\.weight)))
}
