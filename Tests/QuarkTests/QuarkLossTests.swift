import Foundation
import LanguageModels
import Quark
import TensorCore
import XCTest

final class QuarkLossTests: XCTestCase {
    /// Random logits: `[rows, v + k]` policy and the reference equal to the policy's first v columns.
    func logits(rows: Int, v: Int, k: Int, seed: UInt64) -> (Tensor, Tensor) {
        var rng = SeededGenerator(seed: seed)
        let policy = Tensor.randomNormal([rows, v + k], standardDeviation: 2, using: &rng)
        let reference = Tensor(shape: [rows, v], scalars: (0..<rows).flatMap { r in (0..<v).map { policy[r, $0] } })
        return (policy, reference)
    }

    func testKLTermIsZeroWhenPolicyEqualsReference() throws {
        let (p, ref) = logits(rows: 6, v: 9, k: 3, seed: 1)
        let targets: [Int32] = [0, 4, -1, 8, 10, 2]
        for direction in QuarkKLDirection.allCases {
            let withKL = Variable(p, requiresGrad: true), withoutKL = Variable(p, requiresGrad: true)
            let (loss, terms) = QuarkLoss.loss(policyLogits: withKL, referenceLogits: ref, targets: targets,
                                               originalVocabularySize: 9, klCoefficient: 1, entropyCoefficient: 0.06, direction: direction)
            XCTAssertEqual(terms.kl, 0, accuracy: 1e-6, "\(direction)")
            XCTAssertEqual(terms.tokenCount, 5)
            let (plain, _) = QuarkLoss.loss(policyLogits: withoutKL, referenceLogits: ref, targets: targets,
                                            originalVocabularySize: 9, klCoefficient: 0, entropyCoefficient: 0.06, direction: direction)
            try loss.backward()
            try plain.backward()
            XCTAssertEqual(loss.value.item, plain.value.item, accuracy: 1e-5)
            for (a, b) in zip(withKL.grad!.scalars, withoutKL.grad!.scalars) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        }
    }

    func testKLIsZeroForAGrownModelOnUnconditionedInput() throws {
        var rng = SeededGenerator(seed: 3)
        let base = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 16, contextLength: 16, vocabularySize: 10), using: &rng)
        let policy = try QuarkPolicy(base: base.copy(), quantileCount: 5, using: &rng)
        let prompts = TokenBatch(leftPadding: [[1, 2, 3], [4]], padToken: 0)
        let responses = TokenBatch(rightPadding: [[5, 6], [7]], padToken: 0)
        let grown = try policy.responseLogits(prompts: prompts, responses: responses)
        let reference = try QuarkPolicy.responseLogits(model: base, prompts: prompts, responses: responses).value
        XCTAssertEqual(grown.shape, [2, 2, 15])
        let (_, terms) = QuarkLoss.loss(policyLogits: grown, referenceLogits: reference, targets: [5, 6, 7, -1],
                                        originalVocabularySize: 10, klCoefficient: 0.05, entropyCoefficient: 0.06)
        XCTAssertEqual(terms.kl, 0, accuracy: 1e-6)
    }

    func testGradientMatchesFiniteDifferences() throws {
        let (p, _) = logits(rows: 3, v: 5, k: 2, seed: 4)
        var rng = SeededGenerator(seed: 5)
        let ref = Tensor.randomNormal([3, 5], using: &rng)
        let targets: [Int32] = [1, 6, 3]
        for direction in QuarkKLDirection.allCases {
            func value(_ t: Tensor) -> Double {
                Double(QuarkLoss.loss(policyLogits: Variable(t), referenceLogits: ref, targets: targets, originalVocabularySize: 5,
                                      klCoefficient: 0.7, entropyCoefficient: 0.3, direction: direction).loss.value.item)
            }
            let x = Variable(p, requiresGrad: true)
            try QuarkLoss.loss(policyLogits: x, referenceLogits: ref, targets: targets, originalVocabularySize: 5,
                               klCoefficient: 0.7, entropyCoefficient: 0.3, direction: direction).loss.backward()
            let grad = x.grad!.scalars
            for i in 0..<p.count {
                var plus = p, minus = p
                plus.withUnsafeMutableBufferPointer { $0[i] += 1e-2 }
                minus.withUnsafeMutableBufferPointer { $0[i] -= 1e-2 }
                XCTAssertEqual(Double(grad[i]), (value(plus) - value(minus)) / 2e-2, accuracy: 2e-3, "\(direction) element \(i)")
            }
        }
    }

    func testTermsMatchHandComputedValues() {
        // One row, V = 2, K = 1: logits [0, 0, 0], reference [0, log 3]; target 0.
        let p = Variable(Tensor(shape: [1, 3], scalars: [0, 0, 0]), requiresGrad: true)
        let ref = Tensor(shape: [1, 2], scalars: [0, Float(log(3.0))])
        let (loss, terms) = QuarkLoss.loss(policyLogits: p, referenceLogits: ref, targets: [0], originalVocabularySize: 2,
                                           klCoefficient: 0.05, entropyCoefficient: 0.06)
        XCTAssertEqual(terms.negativeLogLikelihood, log(3), accuracy: 1e-5)
        XCTAssertEqual(terms.entropy, log(3), accuracy: 1e-5)
        // p̃ = (½, ½), p_0 = (¼, ¾): KL = ½ log 2 + ½ log(2/3).
        let kl = 0.5 * log(2.0) + 0.5 * log(2.0 / 3.0)
        XCTAssertEqual(terms.kl, kl, accuracy: 1e-5)
        XCTAssertEqual(Double(loss.value.item), log(3) + 0.05 * kl - 0.06 * log(3), accuracy: 1e-5)
    }
}
