import XCTest
import Foundation
import TensorCore
import TrainingCore

/// The numerical invariants of the shared RL math (listed in the TrainingCore article).
final class RLMathTests: XCTestCase {
    let mask = Tensor(shape: [2, 4], scalars: [1, 1, 1, 0, 1, 1, 1, 1])

    func testGAEWithUnitGammaLambdaAndZeroValuesIsRewardToGo() {
        let rewards = Tensor(shape: [2, 4], scalars: [1, 2, 3, 9, 0.5, -1, 0, 2])
        let (a, r) = generalizedAdvantageEstimates(rewards: rewards, values: Tensor(zeros: [2, 4]), mask: mask, gamma: 1, lambda: 1)
        XCTAssertEqual(a.scalars, [6, 5, 3, 0, 1.5, 1, 2, 2])
        XCTAssertEqual(r.scalars, a.scalars)
    }

    func testGAEWithZeroLambdaIsTDError() {
        let rewards = Tensor(shape: [1, 3], scalars: [1, 0, 2])
        let values = Tensor(shape: [1, 3], scalars: [0.5, 1, 1.5])
        let (a, r) = generalizedAdvantageEstimates(rewards: rewards, values: values, mask: Tensor(shape: [1, 3], repeating: 1), gamma: 0.9, lambda: 0)
        // δ0 = 1 + 0.9·1 − 0.5, δ1 = 0 + 0.9·1.5 − 1, δ2 = 2 + 0 − 1.5
        XCTAssertEqual(a.scalars[0], 1.4, accuracy: 1e-6)
        XCTAssertEqual(a.scalars[1], 0.35, accuracy: 1e-6)
        XCTAssertEqual(a.scalars[2], 0.5, accuracy: 1e-6)
        XCTAssertEqual(r.scalars[2], 2, accuracy: 1e-6)
    }

    func testKLEstimators() {
        var rng = SeededGenerator(seed: 4)
        let lp = Tensor.randomNormal([2, 4], using: &rng), ref = Tensor.randomNormal([2, 4], using: &rng)
        let k3 = KLEstimator.k3.perToken(logProbabilities: lp, referenceLogProbabilities: ref, mask: mask)
        XCTAssertTrue(k3.scalars.allSatisfy { $0 >= 0 })
        XCTAssertEqual(k3.scalars[3], 0)  // padded
        for estimator in KLEstimator.allCases {
            let same = estimator.perToken(logProbabilities: lp, referenceLogProbabilities: lp, mask: mask)
            XCTAssertTrue(same.scalars.allSatisfy { $0 == 0 }, "\(estimator) is not 0 when π = π_ref")
        }
        XCTAssertEqual(KLEstimator.k2.estimate(logRatio: 2), 2)
        XCTAssertEqual(KLEstimator.clampedK1.estimate(logRatio: -1), 0)
    }

    func testK1AveragesToExactKL() {
        // π = Bernoulli(0.7), π_ref = Bernoulli(0.4); sample under π.
        var rng = SeededGenerator(seed: 9)
        let p = 0.7, q = 0.4
        let exact = p * log(p / q) + (1 - p) * log((1 - p) / (1 - q))
        var sum = 0.0
        let n = 200_000
        for _ in 0..<n {
            let one = rng.nextUniformDouble() < p
            sum += Double(KLEstimator.k1.estimate(logRatio: Float(one ? log(p / q) : log((1 - p) / (1 - q)))))
        }
        XCTAssertEqual(sum / Double(n), exact, accuracy: 0.005)
    }

    func testWhitening() {
        var rng = SeededGenerator(seed: 5)
        let x = Tensor.randomNormal([2, 4], mean: 3, standardDeviation: 2, using: &rng)
        let w = whiten(x, mask: mask)
        XCTAssertEqual(maskedMean(w, mask: mask), 0, accuracy: 1e-6)
        XCTAssertEqual(maskedVariance(w, mask: mask), 1, accuracy: 1e-5)
        XCTAssertEqual(w.scalars[3], 0)
        let kept = whiten(x, mask: mask, shiftMean: false)
        XCTAssertEqual(maskedMean(kept, mask: mask), maskedMean(x, mask: mask), accuracy: 1e-5)
    }

    func testAdaptiveKLController() {
        var up = KLController.adaptive(initial: 0.1, target: 6, horizon: 10_000)
        up.update(currentKL: 100, episodes: 64)
        XCTAssertEqual(up.coefficient, 0.1 * (1 + 0.2 * 64 / 10_000), accuracy: 1e-12)
        var down = KLController.adaptive(initial: 0.1, target: 6, horizon: 10_000)
        down.update(currentKL: 3, episodes: 64)
        XCTAssertLessThan(down.coefficient, 0.1)
        XCTAssertGreaterThanOrEqual(down.coefficient, 0.1 * (1 - 0.2 * 64 / 10_000))
        var fixed = KLController.fixed(0.05)
        fixed.update(currentKL: 100, episodes: 64)
        XCTAssertEqual(fixed.coefficient, 0.05)
    }

    func testFirstMinibatchHasUnitRatioAndNoClipping() throws {
        var rng = SeededGenerator(seed: 6)
        let old = Tensor.randomNormal([2, 4], using: &rng)
        let advantages = whiten(Tensor.randomNormal([2, 4], using: &rng), mask: mask)
        let logp = Variable(old, requiresGrad: true)
        let result = clippedPolicyLoss(logProbabilities: logp, oldLogProbabilities: old, advantages: advantages, mask: mask, clipRange: 0.2)
        XCTAssertEqual(result.meanRatio, 1, accuracy: 1e-6)
        XCTAssertEqual(result.clipFraction, 0)
        XCTAssertEqual(result.approximateKL, 0)
        XCTAssertEqual(Double(result.loss.value.item), -maskedMean(advantages, mask: mask), accuracy: 1e-6)
        XCTAssertEqual(Double(result.loss.value.item), 0, accuracy: 1e-6)
        // The gradient is −A/n on real tokens: raising log π where A > 0 lowers the loss.
        try result.loss.backward()
        let n = Float(mask.sum())
        for i in 0..<8 { XCTAssertEqual(logp.grad!.scalars[i], -advantages.scalars[i] * mask.scalars[i] / n, accuracy: 1e-6) }
    }

    func testClippingStopsTheGradient() throws {
        // ratio = e^0.5 > 1.2 with A > 0: the clipped term is the max, so no gradient flows.
        let old = Tensor(shape: [1, 1], scalars: [0])
        let logp = Variable(Tensor(shape: [1, 1], scalars: [0.5]), requiresGrad: true)
        let result = clippedPolicyLoss(logProbabilities: logp, oldLogProbabilities: old, advantages: Tensor(shape: [1, 1], scalars: [1]), mask: Tensor(shape: [1, 1], scalars: [1]), clipRange: 0.2)
        XCTAssertEqual(result.clipFraction, 1)
        XCTAssertEqual(result.loss.value.item, -1.2, accuracy: 1e-6)
        try result.loss.backward()
        XCTAssertEqual(logp.grad!.scalars[0], 0)
    }

    func testValueLossHandCase() {
        let values = Variable(Tensor(shape: [1, 2], scalars: [1.0, 0.0]), requiresGrad: true)
        let (loss, fraction) = clippedValueLoss(values: values, oldValues: Tensor(shape: [1, 2], scalars: [0.5, 0]), returns: Tensor(shape: [1, 2], scalars: [2, 1]), mask: Tensor(shape: [1, 2], repeating: 1), clipRange: 0.2)
        // token 0: (1−2)² = 1 vs clipped (0.7−2)² = 1.69 → 1.69; token 1: 1 vs 1 → 1. ½·mean = 0.6725
        XCTAssertEqual(loss.value.item, 0.6725, accuracy: 1e-6)
        XCTAssertEqual(fraction, 0.5)
    }

    func testPairwiseLoss() {
        let equal = pairwiseRewardLoss(chosen: Variable(Tensor(shape: [3], repeating: 0.3)), rejected: Variable(Tensor(shape: [3], repeating: 0.3)))
        XCTAssertEqual(equal.value.item, Float(log(2.0)), accuracy: 1e-6)
        let margin = pairwiseRewardLoss(chosen: Variable(Tensor(shape: [1], scalars: [2])), rejected: Variable(Tensor(shape: [1], scalars: [1])), margins: Tensor(shape: [1], scalars: [1]))
        XCTAssertEqual(margin.value.item, Float(log(2.0)), accuracy: 1e-6)
        let centred = pairwiseRewardLoss(chosen: Variable(Tensor(shape: [1], scalars: [1])), rejected: Variable(Tensor(shape: [1], scalars: [1])), centering: 0.01)
        XCTAssertEqual(centred.value.item, Float(log(2.0)) + 0.04, accuracy: 1e-6)
    }

    func testKChooseTwoEqualsWeightedExplicitPairs() throws {
        var rng = SeededGenerator(seed: 7)
        let raw = Tensor.randomNormal([7], using: &rng)
        let rankings = [[2, 0, 1, 3], [6, 4, 5]]
        let s1 = Variable(raw, requiresGrad: true)
        let ranked = rankedRewardLoss(scores: s1, rankings: rankings)
        try ranked.backward()
        // Explicit pairs, weighted 1/C(K,2) per prompt and averaged over the 2 prompts.
        var chosen: [Float] = [], rejected: [Float] = [], weights: [Float] = []
        for r in rankings {
            let k = r.count
            for i in 0..<k { for j in (i + 1)..<k {
                chosen.append(raw.scalars[r[i]]); rejected.append(raw.scalars[r[j]]); weights.append(1 / Float(k * (k - 1) / 2))
            } }
        }
        let explicit = pairwiseRewardLoss(chosen: Variable(Tensor(shape: [chosen.count], scalars: chosen)), rejected: Variable(Tensor(shape: [rejected.count], scalars: rejected)), weights: Tensor(shape: [weights.count], scalars: weights))
        XCTAssertEqual(ranked.value.item, explicit.value.item, accuracy: 1e-6)
        // Better-ranked responses get pushed up.
        XCTAssertLessThan(s1.grad!.scalars[2], 0)
        XCTAssertGreaterThan(s1.grad!.scalars[3], 0)
    }

    func testRewardNormalizer() {
        let n = RewardNormalizer.fit(samples: [1, 2, 3, 4])
        let mapped = [1.0, 2, 3, 4].map { n($0) }
        XCTAssertEqual(mapped.reduce(0, +) / 4, 0, accuracy: 1e-12)
        XCTAssertEqual((mapped.map { $0 * $0 }.reduce(0, +) / 4).squareRoot(), 1, accuracy: 1e-12)
        let b = RewardNormalizer.fitBiasOnly(referenceScores: [2, 4])
        XCTAssertEqual(b(3), 0)
    }

    func testExplainedVariance() {
        let r = Tensor(shape: [1, 4], scalars: [1, 2, 3, 4])
        XCTAssertEqual(explainedVariance(values: r, returns: r, mask: Tensor(shape: [1, 4], repeating: 1)), 1)
        XCTAssertEqual(explainedVariance(values: Tensor(zeros: [1, 4]) + 2.5, returns: r, mask: Tensor(shape: [1, 4], repeating: 1)), 0, accuracy: 1e-12)
    }

    func testClippedSurrogateIsEquationSevenWithAsymmetricRanges() {
        // −min(ρA, clip(ρ, 0.8, 1.28)·A): A = 1 keeps 0.5 and 1.1 and clips 1.5 to 1.28; A = −1 clips 0.7 to 0.8.
        let ratio = Variable(Tensor(shape: [4], scalars: [0.5, 1.1, 1.5, 0.7]))
        let (loss, clipped) = clippedSurrogate(ratio: ratio, advantages: Tensor(shape: [4], scalars: [1, 1, 1, -1]),
                                               clipLow: 0.2, clipHigh: 0.28)
        for (found, expected) in zip(loss.value.scalars, [-0.5, -1.1, -1.28, 0.8] as [Float]) {
            XCTAssertEqual(found, expected, accuracy: 1e-6)
        }
        XCTAssertEqual(clipped.scalars, [0, 0, 1, 1])
    }

    func testConfigErrorMessage() {
        XCTAssertThrowsError(try require(6 % 4 == 0, "miniBatchSize", 6, "it must divide batchSize (16); choose a divisor such as 4 or 8")) { error in
            XCTAssertEqual("\(error)", "`miniBatchSize` is 6, but it must divide batchSize (16); choose a divisor such as 4 or 8")
        }
    }
}
