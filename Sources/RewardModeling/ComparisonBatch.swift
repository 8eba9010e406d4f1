// Comparison data for reward models: every compared completion of a prompt in one batch element, and the
// weighted pairs of InstructGPT's K-choose-2 batching (ALGORITHMS.md §3.3). Shape letters: N scored rows,
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
    /// - Throws: `TrainingError.emptyData` for no records; `.invalidInput` naming a record that does not fit.
    public static func encode(_ records: [PreferenceRecord], tokenizer: any Tokenizer, contextLength: Int) throws -> [ComparisonGroup] {
        try encode(records.map { ($0.prompt, [$0.chosen, $0.rejected]) }, tokenizer: tokenizer, contextLength: contextLength)
    }

    /// Tokenises ranked comparisons (best first) as groups of K.
    ///
    /// - Throws: `TrainingError.emptyData` for no records; `.invalidInput` naming a record that does not fit.
    public static func encode(_ records: [RankedRecord], tokenizer: any Tokenizer, contextLength: Int) throws -> [ComparisonGroup] {
        try encode(records.map { ($0.prompt, $0.completions) }, tokenizer: tokenizer, contextLength: contextLength)
    }

    static func encode(_ items: [(String, [String])], tokenizer: any Tokenizer, contextLength: Int) throws -> [ComparisonGroup] {
        guard !items.isEmpty else { throw TrainingError.emptyData(what: "the comparison set") }
        return try items.enumerated().map { index, item in
            let prompt = try tokenizer.encode(item.0)
            let completions = try item.1.map { try tokenizer.encode($0) }
            guard !prompt.isEmpty, completions.count >= 2, completions.allSatisfy({ !$0.isEmpty }) else {
                throw TrainingError.invalidInput("comparison \(index + 1) needs a prompt and at least two non-empty completions")
            }
            let longest = completions.map(\.count).max()! + prompt.count
            guard longest <= contextLength else {
                throw TrainingError.invalidInput("comparison \(index + 1) has a prompt‖completion of \(longest) tokens, more than the model's context of \(contextLength); shorten it or use a model with a longer context")
            }
            return ComparisonGroup(promptTokens: prompt, completionTokens: completions)
        }
    }
}

/// A batch of comparison groups flattened for one forward pass.
///
/// Row i of `inputs` is `prompt ‖ completion_i`, right-padded (the reward is read at each row's last real token).
/// `pairs` lists (better row, worse row, weight): each group of K contributes its C(K,2) pairs with weight
/// 1/C(K,2), so the weighted mean over pairs is the mean over prompts of each prompt's mean pair loss.
public struct ComparisonBatch: Sendable {
    /// `[N, T]` every compared completion once.
    public var inputs: TokenBatch
    /// Pairs as row indices into `inputs`, with their weights.
    public var pairs: [(better: Int, worse: Int, weight: Float)]
    /// For each group, its rows, best first.
    public var rankings: [[Int]]

    /// Flattens groups.
    ///
    /// - Parameters:
    ///   - groups: At least one group.
    ///   - padToken: The padding id.
    ///   - grouped: InstructGPT's weighting 1/C(K,2) per pair (default); false weighs every pair 1.
    public init(groups: [ComparisonGroup], padToken: Int32, grouped: Bool = true) {
        precondition(!groups.isEmpty, "ComparisonBatch needs at least one group")
        var rows: [[Int32]] = []
        var pairs: [(Int, Int, Float)] = []
        var rankings: [[Int]] = []
        for group in groups {
            let first = rows.count
            rows += group.completionTokens.map { group.promptTokens + $0 }
            let groupPairs = group.pairs
            let weight: Float = grouped ? 1 / Float(groupPairs.count) : 1
            pairs += groupPairs.map { (first + $0.better, first + $0.worse, weight) }
            rankings.append(Array(first..<rows.count))
        }
        inputs = TokenBatch(rightPadding: rows, padToken: padToken)
        self.pairs = pairs
        self.rankings = rankings
    }
}

/// The Bradley–Terry loss of a batch from its row scores: −log σ(r_better − r_worse − margin), weighted per pair
/// (Σ wᵢ·lossᵢ / Σ wᵢ), plus `centering · mean((r_better + r_worse)²)` (TRL's auxiliary term).
///
/// - Parameters:
///   - scores: One reward per row of `batch.inputs`, `[N]`.
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
