// Hand-computed cases: leave-one-out and group-normalised advantages, the four GRPO aggregations, the k3 term,
// clipping, and RLOO's sequence-level loss.
import CriticFreeRL
import Foundation
import TensorCore
import XCTest

final class AdvantageAndLossTests: XCTestCase {
    func testZeroVarianceGroupsGiveExactlyZeroAdvantage() {
        let rewards: [Float] = [0.7, 0.7, 0.7, 0.7, 0, 1, 0, 1, -3, -3, -3, -3]
        for scaling in GRPORewardScaling.allCases {
            let a = groupNormalizedAdvantages(rewards: rewards, groupSize: 4, scaling: scaling)
            XCTAssertEqual(Array(a[0..<4]), [0, 0, 0, 0], "\(scaling)")
            XCTAssertEqual(Array(a[8..<12]), [0, 0, 0, 0], "\(scaling)")
            XCTAssertTrue(a[4..<8].allSatisfy { $0 != 0 }, "\(scaling)")
        }
    }

    func testGroupNormalisedAdvantagesByHand() {
        // Group [1, 2, 3, 4]: mean 2.5, Bessel std √(5/3).
        let a = groupNormalizedAdvantages(rewards: [1, 2, 3, 4], groupSize: 4, scaling: .group)
        let std = (5.0 / 3).squareRoot() + 1e-4
        for (i, x) in a.enumerated() { XCTAssertEqual(Double(x), (Double(i + 1) - 2.5) / std, accuracy: 1e-6) }
        XCTAssertEqual(groupNormalizedAdvantages(rewards: [1, 2, 3, 4], groupSize: 4, scaling: .none), [-1.5, -0.5, 0.5, 1.5])
        // Batch scaling divides every group by the std of the whole batch.
        let b = groupNormalizedAdvantages(rewards: [0, 2, 10, 10], groupSize: 2, scaling: .batch)
        let batchStd = sqrt(((0 - 5.5) * (0 - 5.5) + (2 - 5.5) * (2 - 5.5) + 2 * 4.5 * 4.5) / 3) + 1e-4
        XCTAssertEqual(Double(b[0]), -1 / batchStd, accuracy: 1e-6)
        XCTAssertEqual(Array(b[2...]), [0, 0])
    }

    func testRLOOBaselineExcludesTheSampleItself() {
        // k = 4, rewards [1, 2, 3, 6]: b_0 = (2 + 3 + 6)/3, so A_0 = 1 − 11/3.
        let a = leaveOneOutAdvantages(rewards: [1, 2, 3, 6], groupSize: 4)
        XCTAssertEqual(a[0], 1 - 11.0 / 3, accuracy: 1e-6)
        XCTAssertEqual(a[3], 6 - 2, accuracy: 1e-6)
        // Raising R_0 by 3 raises A_0 by exactly 3 (its own baseline is unchanged) and lowers the others by 1.
        let b = leaveOneOutAdvantages(rewards: [4, 2, 3, 6], groupSize: 4)
        XCTAssertEqual(b[0] - a[0], 3, accuracy: 1e-6)
        for i in 1..<4 { XCTAssertEqual(b[i] - a[i], -1, accuracy: 1e-6) }
        // Groups are independent; normalisation whitens the batch.
        let c = leaveOneOutAdvantages(rewards: [1, 2, 3, 6, 100, 100], groupSize: 2, normalize: true)
        XCTAssertEqual(Double(c.reduce(0, +)), 0, accuracy: 1e-5)
    }

    // Two sequences, T = 3, mask [[1, 1, 0], [1, 1, 1]], ratio 1 (π = π_old), A = [1, −2]:
    // per-token losses ℓ = −A: [[−1, −1, ·], [2, 2, 2]], Σ ℓ = 4 over 5 tokens.
    let mask = Tensor(shape: [2, 3], scalars: [1, 1, 0, 1, 1, 1])
    let logp = Tensor(shape: [2, 3], scalars: [-1, -1, 0, -2, -2, -2])

    func grpo(_ aggregation: GRPOLossAggregation, microBatchCount: Int = 1, beta: Float = 0, ref: Tensor? = nil,
              old: Tensor? = nil) throws -> (CriticFreeLossResult, Variable) {
        let x = Variable(logp, requiresGrad: true)
        let w = grpoTokenWeights(mask: mask, aggregation: aggregation, totalSequences: 2, totalTokens: 5,
                                 microBatchCount: microBatchCount, maximumCompletionLength: 4)
        let r = grpoLoss(logProbabilities: x, oldLogProbabilities: old ?? logp, referenceLogProbabilities: ref,
                         advantages: [1, -2], mask: mask, weights: w, klCoefficient: beta)
        try r.loss.backward()
        return (r, x)
    }

    func testEachAggregationMatchesAHandComputedCase() throws {
        // grpo: mean of token means (−1 + 2)/2; bnpo and dapo: 4/5; dr_grpo: 4/(2·4).
        let expected: [(GRPOLossAggregation, Double)] = [(.grpo, 0.5), (.bnpo, 0.8), (.dapo, 0.8), (.drGRPO, 0.5)]
        for (aggregation, value) in expected {
            let (r, x) = try grpo(aggregation)
            XCTAssertEqual(Double(r.loss.value.item), value, accuracy: 1e-6, "\(aggregation)")
            XCTAssertEqual(r.clipFraction, 0)
            XCTAssertEqual(r.meanRatio, 1, accuracy: 1e-7)
            // At ratio 1, ∂ℓ/∂log π = −A, times the token's weight.
            let g = x.grad!.scalars
            let w = grpoTokenWeights(mask: mask, aggregation: aggregation, totalSequences: 2, totalTokens: 5, maximumCompletionLength: 4).scalars
            XCTAssertEqual(g[0], -1 * w[0], accuracy: 1e-7)
            XCTAssertEqual(g[4], 2 * w[4], accuracy: 1e-7)
            XCTAssertEqual(g[2], 0)
        }
        // bnpo over two micro-batches of one sequence each: (−2/2 + 6/3)/2 = 0.5.
        let first = grpoTokenWeights(mask: mask.slice(axis: 0, 0..<1), aggregation: .bnpo, totalSequences: 2, totalTokens: 5,
                                     microBatchCount: 2, maximumCompletionLength: 4)
        let second = grpoTokenWeights(mask: mask.slice(axis: 0, 1..<2), aggregation: .bnpo, totalSequences: 2, totalTokens: 5,
                                      microBatchCount: 2, maximumCompletionLength: 4)
        XCTAssertEqual(Double(first.scalars[0]) * -2 + Double(second.scalars[0]) * 6, 0.5, accuracy: 1e-6)
    }

    func testK3TermAndClipping() throws {
        // log π_ref = log π + 0.5 on real tokens: k3 = e^0.5 − 0.5 − 1 per token; dapo weights sum to 1.
        let ref = logp + mask * 0.5
        let (r, _) = try grpo(.dapo, beta: 0.1, ref: ref)
        let k3 = exp(0.5) - 1.5
        XCTAssertEqual(r.klLoss, 0.1 * k3, accuracy: 1e-6)
        XCTAssertEqual(Double(r.loss.value.item), 0.8 + 0.1 * k3, accuracy: 1e-6)
        // Old log-probabilities 0.5 lower: ratio e^0.5 > 1.2. A = 1 tokens are clipped (−1.2, no gradient);
        // A = −2 tokens keep −ρA = 2e^0.5.
        let old = logp - mask * 0.5
        let (c, x) = try grpo(.dapo, old: old)
        XCTAssertEqual(Double(c.loss.value.item), (2 * -1.2 + 3 * 2 * exp(0.5)) / 5, accuracy: 1e-5)
        XCTAssertEqual(c.clipFraction, 0.4, accuracy: 1e-9)
        XCTAssertEqual(x.grad!.scalars[0], 0)
        XCTAssertEqual(Double(x.grad!.scalars[3]), 2 * exp(0.5) / 5, accuracy: 1e-5)
    }

    func testRLOOLossUsesTheSequenceRatio() throws {
        let x = Variable(logp, requiresGrad: true)
        let r = rlooLoss(logProbabilities: x, oldLogProbabilities: logp, advantages: [1, -2], mask: mask, sequenceWeight: 0.5)
        XCTAssertEqual(Double(r.loss.value.item), 0.5, accuracy: 1e-6)       // (−1 + 2)/2
        try r.loss.backward()
        XCTAssertEqual(x.grad!.scalars, [-0.5, -0.5, 0, 1, 1, 1])           // −A_i/B on every real token
        // Sequence 0's total log-ratio 2·0.1 = 0.2 (ratio e^0.2 ≈ 1.22 > 1.2) with A > 0 is clipped as a whole.
        let shifted = Variable(logp + Tensor(shape: [2, 3], scalars: [0.1, 0.1, 0, 0, 0, 0]), requiresGrad: true)
        let c = rlooLoss(logProbabilities: shifted, oldLogProbabilities: logp, advantages: [1, -2], mask: mask, sequenceWeight: 0.5)
        XCTAssertEqual(Double(c.loss.value.item), (-1.2 + 2) / 2, accuracy: 1e-5)
        XCTAssertEqual(c.clipFraction, 0.5)
    }
}
