// Best-of-n: selection among the first n samples, the KL bound, and monotone improvement under a rule reward.
import BestOfN
import LanguageModels
import TensorCore
import Tokenizers
import TrainingCore
import XCTest

final class BestOfNTests: XCTestCase {
    func testKLBound() {
        XCTAssertEqual(bestOfNKLBound(1), 0)
        XCTAssertEqual(bestOfNKLBound(2), log(2) - 0.5, accuracy: 1e-12)
        XCTAssertEqual(bestOfNKLBound(16), log(16) - 15.0 / 16, accuracy: 1e-12)
    }

    func testBestPicksTheHighestRewardAmongTheFirstN() {
        let samples = BestOfNSamples(prompts: ["p", "q"],
                                     completions: [["a", "b", "c", "d"], ["e", "f", "g", "h"]],
                                     rewards: [[0.1, 0.5, 0.5, 2], [3, 1, 4, 1]])
        XCTAssertEqual(samples.best(n: 1), ["a", "e"])
        XCTAssertEqual(samples.best(n: 3), ["b", "g"], "ties keep the first")
        XCTAssertEqual(samples.best(n: 4), ["d", "g"])
        XCTAssertEqual(samples.meanSelectedReward(n: 2), (0.5 + 3) / 2, accuracy: 1e-6)
    }

    func testConfigValidation() {
        var config = BestOfNConfig()
        config.ns = [1, 0]
        XCTAssertThrowsError(try config.validate()) {
            XCTAssertEqual("\($0)", "`ns` is [1, 0], but must list at least one n ≥ 1, such as [1, 2, 4, 8, 16]")
        }
        config = BestOfNConfig()
        config.temperature = 0
        XCTAssertThrowsError(try config.validate()) { XCTAssertEqual(($0 as? ConfigurationError)?.field, "temperature") }
    }

    /// With any reward function (here a rule: shorter is better), the selected completions improve with n.
    func testSelectedRewardRisesWithNUnderARuleReward() throws {
        let tokenizer = try ByteTokenizer(specialTokens: ["<|endoftext|>", "<|pad|>"])
        var rng = SeededGenerator(seed: 5)
        let model = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 16, contextLength: 40,
                                              vocabularySize: tokenizer.vocabularySize), using: &rng)
        // Make the newline likely enough that lengths vary.
        var embedding = model.tokenEmbedding.value.scalars
        for j in 0..<16 { embedding[10 * 16 + j] *= 40 }
        model.tokenEmbedding.value = Tensor(shape: model.tokenEmbedding.shape, scalars: embedding)
        let policy = TextPolicy(model: model, tokenizer: tokenizer)
        XCTAssertEqual(policy.padToken, 257)
        XCTAssertEqual(policy.stopTokens, [10, 256])
        let shorter = ClosureReward { _, completions in completions.map { -Float($0.utf8.count) } }
        var config = BestOfNConfig()
        config.maximumNewTokens = 12
        config.bootstrapResamples = 100
        let sampler = try BestOfNSampler(policy: policy, reward: shorter, config: config)
        let samples = try sampler.sample(prompts: (0..<12).map { "Q: \($0)\nA:" })
        XCTAssertEqual(samples.completions[0].count, 16)
        let means = config.ns.map { samples.meanSelectedReward(n: $0) }
        for (a, b) in zip(means, means.dropFirst()) { XCTAssertLessThanOrEqual(a, b) }
        XCTAssertLessThan(means[0], means[4])
        // `select` returns one completion per prompt, each no longer than the generation budget.
        let picked = try sampler.select(prompts: ["Q: 1\nA:", "Q: 2\nA:"], n: 4)
        XCTAssertEqual(picked.count, 2)
        XCTAssertTrue(picked.allSatisfy { $0.utf8.count <= 12 * 4 })
    }
}
