// Perplexity: against PyTorch's logits of the Hugging Face fixture, and the sliding window against teacher-forced
// scoring of each token with its own context.
import Foundation
import LanguageModels
import Pretraining
import TensorCore
import XCTest

final class PerplexityTests: XCTestCase {
    func testMatchesPyTorchLogitsOfTheHuggingFaceFixture() throws {
        let (model, _) = try loadModelDirectory(try Fixture.huggingFaceDirectory(self), requiresGrad: false)
        let golden = try Fixture.goldenLogits()
        for (row, ids) in golden.ids.enumerated() {
            let expected = referenceNLL(ids: ids, logits: golden.logits[(row * 640)..<((row + 1) * 640)], vocabulary: 64)
            let result = try model.perplexity(of: ids.map(Int32.init))
            XCTAssertEqual(result.meanNegativeLogLikelihood, expected, accuracy: 1e-5)
            XCTAssertEqual(result.perplexity, exp(expected), accuracy: 1e-4)
            XCTAssertEqual(result.tokenCount, 9)
            XCTAssertEqual(result.windowCount, 1)
        }
    }

    /// With stride 1 every token p ≥ W is predicted from exactly the W − 1 tokens before it; the reference
    /// scores each token separately with `scoreResponses`, a different code path.
    func testSlidingWindowGivesEachTokenItsOwnContext() throws {
        var rng = SeededGenerator(seed: 5)
        let model = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 16, contextLength: 8, vocabularySize: 20, dropout: 0),
                            using: &rng)
        let ids = (0..<21).map { _ in Int32(rng.next() % 20) }
        var total = 0.0
        for p in 1..<ids.count {
            let context = Array(ids[max(0, p - 7)..<p])
            let scores = try model.scoreResponses(prompts: TokenBatch(tokens: context, batchSize: 1, length: context.count),
                                                  responses: TokenBatch(tokens: [ids[p]], batchSize: 1, length: 1))
            total -= Double(scores.logProbabilities.value.item)
        }
        let result = try model.perplexity(of: ids, stride: 1)
        XCTAssertEqual(result.meanNegativeLogLikelihood, total / 20, accuracy: 1e-5)
        XCTAssertEqual(result.windowCount, 1 + 13)
        XCTAssertEqual(result.tokenCount, 20)
        for stride in [3, 4, 7] {
            let r = try model.perplexity(of: ids, stride: stride)
            XCTAssertEqual(r.tokenCount, 20)
            XCTAssertEqual(r.perplexity, exp(r.meanNegativeLogLikelihood), accuracy: 1e-9)
        }
        XCTAssertThrowsError(try model.perplexity(of: ids, stride: 8)) { error in
            XCTAssertEqual("\(error)", "`stride` is 8, but it must be in 1...7 (below the context length 8)")
        }
        XCTAssertThrowsError(try model.perplexity(of: [3]))
    }
}
