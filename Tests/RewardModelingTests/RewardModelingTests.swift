// Reward-model batching and losses through the trainer, normalisation stored in the checkpoint, configuration
// messages.
import Evaluation
import LanguageModels
import RewardModeling
import TensorCore
import Tokenizers
import TrainingCore
import XCTest

final class RewardModelingTests: XCTestCase {
    static let config = GPTConfig(layerCount: 2, headCount: 2, embeddingSize: 32, contextLength: 48, vocabularySize: 258)
    let pad: Int32 = 257

    func makeRewardModel(seed: UInt64 = 3) -> RewardModel {
        var rng = SeededGenerator(seed: seed)
        let trunk = try! GPT(config: RewardModelingTests.config, using: &rng)
        for (name, p) in trunk.namedParameters() where name.hasSuffix(".weight") && !name.hasSuffix("Norm.weight") {
            p.value = p.value * 5
        }
        return RewardModel(trunk: trunk, using: &rng)
    }

    /// Groups of K = 3, 4 and 2 with distinct completions.
    var groups: [ComparisonGroup] {
        [ComparisonGroup(promptTokens: [1, 2, 3], completionTokens: [[4, 5], [6], [7, 8, 9]]),
         ComparisonGroup(promptTokens: [10, 11], completionTokens: [[12], [13, 14], [15, 16, 17], [18]]),
         ComparisonGroup(promptTokens: [19], completionTokens: [[20, 21], [22]])]
    }

    func testKChoose2BatchingEqualsExplicitPairsWeightedByOneOverCK2() throws {
        let model = makeRewardModel()
        let trainer = try RewardModelTrainer(model: model, config: RewardModelConfig(), padToken: pad, training: groups)
        let batch = ComparisonBatch(groups: groups, padToken: pad)
        XCTAssertEqual(batch.pairs.count, 3 + 6 + 1)
        XCTAssertEqual(batch.inputs.batchSize, 3 + 4 + 2, "each completion is scored once")
        let (loss, scores) = try trainer.loss(batch)

        // Explicit pairs: each pair forwarded on its own, −log σ(r_w − r_l) weighted 1/C(K,2), mean over prompts.
        var expected = 0.0
        for group in groups {
            let pairs = group.pairs
            var sum = 0.0
            for pair in pairs {
                let rows = [group.promptTokens + group.completionTokens[pair.better],
                            group.promptTokens + group.completionTokens[pair.worse]]
                let r = try model.rewards(TokenBatch(rightPadding: rows, padToken: pad)).value.scalars
                sum += log1p(exp(-Double(r[0] - r[1])))
            }
            expected += sum / Double(pairs.count)
        }
        expected /= Double(groups.count)
        XCTAssertEqual(Double(loss.value.scalars[0]), expected, accuracy: 1e-5)
        // And TrainingCore's ranked loss on the same scores agrees.
        let ranked = rankedRewardLoss(scores: Variable(scores), rankings: batch.rankings)
        XCTAssertEqual(ranked.value.scalars[0], loss.value.scalars[0], accuracy: 1e-5)
        // Exploding the rankings into independent pairs weighs every pair equally instead.
        let exploded = ComparisonBatch(groups: groups, padToken: pad, grouped: false)
        let unweighted = comparisonLoss(scores: Variable(scores), batch: exploded).value.scalars[0]
        XCTAssertNotEqual(unweighted, loss.value.scalars[0], accuracy: 1e-4)
    }

    func testMarginAndCenteringThroughTheTrainer() throws {
        var config = RewardModelConfig()
        config.margin = 0.5
        config.centeringCoefficient = 0.01
        let pairs = [ComparisonGroup(promptTokens: [1, 2], completionTokens: [[3], [4, 5]]),
                     ComparisonGroup(promptTokens: [6], completionTokens: [[7, 8], [9]])]
        let trainer = try RewardModelTrainer(model: makeRewardModel(), config: config, padToken: pad, training: pairs)
        let (loss, scores) = try trainer.loss(ComparisonBatch(groups: pairs, padToken: pad))
        let s = scores.scalars.map(Double.init)
        let d = [s[0] - s[1] - 0.5, s[2] - s[3] - 0.5]
        let expected = d.map { log1p(exp(-$0)) }.reduce(0, +) / 2
            + 0.01 * (pow(s[0] + s[1], 2) + pow(s[2] + s[3], 2)) / 2
        XCTAssertEqual(Double(loss.value.scalars[0]), expected, accuracy: 1e-5)
    }

    func testTrainingSeparatesAConsistentPreference() throws {
        // Completions ending in token 30 always win: a few steps suffice to rank them first.
        var data: [ComparisonGroup] = []
        for i in 0..<24 {
            let prompt: [Int32] = [Int32(1 + i % 20), Int32(2 + i % 7)]
            data.append(ComparisonGroup(promptTokens: prompt, completionTokens: [[Int32(3 + i % 9), 30], [Int32(3 + i % 9), 31]]))
        }
        var config = RewardModelConfig()
        config.epochs = 8
        config.batchSize = 8
        config.learningRate = 1e-3
        config.bootstrapResamples = 200
        let trainer = try RewardModelTrainer(model: makeRewardModel(), config: config, padToken: pad, training: data, validation: data)
        let result = try trainer.train()
        XCTAssertEqual(result.steps, 24)
        XCTAssertEqual(result.evaluation!.accuracy.estimate, 1)
        XCTAssertGreaterThan(result.evaluation!.meanMargin.estimate, 0)
    }

    func testNormalizationIsStoredInTheCheckpointAndAppliedOnLoad() throws {
        let model = makeRewardModel()
        let references: [[Int32]] = (0..<12).map { [Int32(1 + $0), Int32(20 + $0 % 5), 10] }
        var config = RewardModelConfig()
        let trainer = try RewardModelTrainer(model: model, config: config, padToken: pad, training: groups)
        // Bias only: reference outputs score mean 0.
        let biasOnly = try trainer.fitNormalizer(references: references)
        XCTAssertEqual(biasOnly.gain, 1)
        let raw = try trainer.scores(references).map(Double.init)
        let shifted = raw.map { biasOnly($0) }
        XCTAssertEqual(shifted.reduce(0, +) / 12, 0, accuracy: 1e-5)
        // Gain and bias: mean 0 and standard deviation 1.
        config.normalization = .referenceMeanAndStandardDeviation
        let standardised = try RewardModelTrainer(model: model, config: config, padToken: pad, training: groups)
            .fitNormalizer(references: references)
        let z = raw.map { standardised($0) }
        let mean = z.reduce(0, +) / 12
        XCTAssertEqual(mean, 0, accuracy: 1e-5)
        XCTAssertEqual((z.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 12).squareRoot(), 1, accuracy: 1e-4)

        // Saved with the checkpoint and applied by the loaded reward function.
        let tokenizer = try ByteTokenizer(specialTokens: ["<|endoftext|>", "<|pad|>"])
        let function = RewardModelFunction(model: model, tokenizer: tokenizer, normalizer: standardised)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rm-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try function.save(to: directory)
        let loaded = try RewardModelFunction.load(from: directory)
        XCTAssertEqual(loaded.normalizer, standardised)
        let prompts = ["ab", "cde", "f"], completions = [" x\n", " yz\n", " w\n"]
        let before = try function.scores(prompts: prompts, completions: completions)
        let after = try loaded.scores(prompts: prompts, completions: completions)
        for (a, b) in zip(before, after) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        let raws = try loaded.rawScores(prompts: prompts, completions: completions)
        for (r, n) in zip(raws, after) { XCTAssertEqual(Double(n), standardised(Double(r)), accuracy: 1e-4) }
        // The folded model gives the normalised scores from a bare RewardModel.
        let folded = function.normalizedModel()
        let rows = try zip(prompts, completions).map { try tokenizer.encode($0.0) + tokenizer.encode($0.1) }
        let direct = try folded.rewards(TokenBatch(rightPadding: rows, padToken: pad)).value.scalars
        for (a, b) in zip(direct, after) { XCTAssertEqual(a, b, accuracy: 1e-4) }
    }

    func testConfigValidationAndEmptyData() throws {
        var config = RewardModelConfig()
        config.batchSize = 0
        XCTAssertThrowsError(try config.validate()) {
            XCTAssertEqual("\($0)", "`batchSize` is 0, but must be at least 1, such as 32")
        }
        config = RewardModelConfig()
        config.centeringCoefficient = -1
        XCTAssertThrowsError(try config.validate()) { XCTAssertEqual(($0 as? ConfigurationError)?.field, "centeringCoefficient") }
        XCTAssertThrowsError(try RewardModelTrainer(model: makeRewardModel(), config: RewardModelConfig(), padToken: pad, training: [])) {
            XCTAssertEqual($0 as? TrainingError, .emptyData(what: "the reward-model training comparisons"))
        }
    }
}
