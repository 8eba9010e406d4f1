import Foundation
import LanguageModels
import Quark
import TensorCore
import XCTest

final class UnlikelihoodTests: XCTestCase {
    func testWithoutTheUnlikelihoodTermItIsTheLanguageModelLoss() throws {
        var rng = SeededGenerator(seed: 2)
        let model = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 16, contextLength: 16, vocabularySize: 12), using: &rng)
        let batch = TokenBatch(rightPadding: [[1, 3, 3, 4, 3], [2, 5, 5]], padToken: 0)
        let (loss, terms) = try Unlikelihood.loss(model: model, batch: batch, alpha: 0)
        XCTAssertEqual(loss.value.item, try model.languageModelLoss(batch).value.item, accuracy: 1e-5)
        XCTAssertEqual(terms.tokenCount, 6)
        let (_, withUL) = try Unlikelihood.loss(model: model, batch: batch, alpha: 1)
        // Candidates: position 1 predicts 3 with {1}, position 2 predicts 4 with {1, 3}, … so the term is positive.
        XCTAssertGreaterThan(withUL.unlikelihood, 0)
    }

    func testGradientMatchesFiniteDifferencesAndLowersRepeatedTokens() throws {
        var rng = SeededGenerator(seed: 3)
        let logits = Tensor.randomNormal([3, 6], using: &rng)
        let targets: [Int32] = [2, -1, 4]
        let candidates: [[Int32]] = [[1, 3], [], [0, 2, 5]]
        func value(_ t: Tensor) -> Double {
            Double(Unlikelihood.fused(logits: Variable(t), targets: targets, candidates: candidates, vocabularySize: 6, alpha: 0.8).loss.value.item)
        }
        let x = Variable(logits, requiresGrad: true)
        try Unlikelihood.fused(logits: x, targets: targets, candidates: candidates, vocabularySize: 6, alpha: 0.8).loss.backward()
        let grad = x.grad!.scalars
        for i in 0..<logits.count {
            var plus = logits, minus = logits
            plus.withUnsafeMutableBufferPointer { $0[i] += 1e-2 }
            minus.withUnsafeMutableBufferPointer { $0[i] -= 1e-2 }
            XCTAssertEqual(Double(grad[i]), (value(plus) - value(minus)) / 2e-2, accuracy: 2e-3, "element \(i)")
        }
        // A descent step lowers the candidates' logits relative to the target.
        XCTAssertGreaterThan(grad[1], 0)
        XCTAssertLessThan(grad[2], 0)
    }
}
