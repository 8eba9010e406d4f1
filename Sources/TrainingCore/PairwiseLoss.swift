// Bradley–Terry reward-model losses (Ouyang et al. 2022, arXiv 2203.02155, §3.5 eq. 1): pairwise, and
// InstructGPT's K-choose-2 batching (same section).
import TensorCore

/// `mean(−log σ(r_chosen − r_rejected − margin)) + centering · mean((r_chosen + r_rejected)²)`.
///
/// - Parameters:
///   - chosen: rewards of the preferred responses `[N]`.
///   - rejected: rewards of the other responses `[N]`.
///   - margins: optional per-pair margins `[N]` (TRL's `margin`).
///   - centering: coefficient of the auxiliary term that pulls rewards towards 0 (TRL recommends 0.01).
///   - weights: optional per-pair weights; the loss is then Σ wᵢ·lossᵢ / Σ wᵢ.
public func pairwiseRewardLoss(
    chosen: Variable, rejected: Variable, margins: Tensor? = nil, centering: Float = 0, weights: Tensor? = nil
) -> Variable {
    precondition(chosen.shape == rejected.shape && chosen.value.rank == 1, "pairwiseRewardLoss: chosen \(chosen.shape) and rejected \(rejected.shape) must be equal [N]")
    var difference = chosen - rejected
    if let margins { difference = difference - Variable(margins) }
    // −log σ(d) = softplus(−d), stable for large |d|.
    let perPair = (-difference).softplus()
    let n = Float(chosen.shape[0])
    var loss: Variable
    if let weights {
        loss = (perPair * Variable(weights)).sum() * (1 / Swift.max(weights.sum(), 1e-12))
    } else {
        loss = perPair.sum() * (1 / n)
    }
    if centering != 0 {
        let total = chosen + rejected
        loss = loss + (total * total).sum() * (centering / n)
    }
    return loss
}

/// InstructGPT's K-choose-2 loss: each prompt's K ranked responses are scored once, every ordered pair
/// (better, worse) contributes −log σ(r_better − r_worse), and each prompt's pairs are averaged (weight
/// 1/C(K,2)) before averaging over prompts.
///
/// - Parameters:
///   - scores: rewards of all responses of all prompts, `[N]`.
///   - rankings: for each prompt, the indices into `scores` of its responses, best first.
public func rankedRewardLoss(scores: Variable, rankings: [[Int]]) -> Variable {
    let n = scores.shape[0]
    var pairsPerPrompt: [(Int, Int, Float)] = []
    let prompts = rankings.filter { $0.count >= 2 }
    precondition(!prompts.isEmpty, "rankedRewardLoss needs at least one prompt with two or more responses")
    for ranking in prompts {
        let k = ranking.count
        let weight = 1 / Float(k * (k - 1) / 2) / Float(prompts.count)
        for i in 0..<k { for j in (i + 1)..<k { pairsPerPrompt.append((ranking[i], ranking[j], weight)) } }
    }
    // Differences r_better − r_worse as one product with a constant ±1 selection matrix [pairs, N].
    var selection = [Float](repeating: 0, count: pairsPerPrompt.count * n)
    for (p, pair) in pairsPerPrompt.enumerated() {
        selection[p * n + pair.0] += 1
        selection[p * n + pair.1] -= 1
    }
    let differences = Variable(Tensor(shape: [pairsPerPrompt.count, n], scalars: selection))
        .matmul(scores.reshaped([n, 1])).reshaped([pairsPerPrompt.count])
    let weights = Tensor(shape: [pairsPerPrompt.count], scalars: pairsPerPrompt.map(\.2))
    return ((-differences).softplus() * Variable(weights)).sum()
}
