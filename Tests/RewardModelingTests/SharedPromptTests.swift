// Comparison batches that hold each prompt once (a shared prefix in the mask) compute what one row per
// completion computes; length grouping keeps every comparison in the epoch and cuts padding.
import LanguageModels
import RewardModeling
import TensorCore
import XCTest

final class SharedPromptTests: XCTestCase {
    static let config = GPTConfig(layerCount: 2, headCount: 2, embeddingSize: 32, contextLength: 12, vocabularySize: 258)
    let pad: Int32 = 257

    func makeRewardModel() -> RewardModel {
        var rng = SeededGenerator(seed: 11)
        let trunk = try! GPT(config: SharedPromptTests.config, using: &rng)
        for (name, p) in trunk.namedParameters() where name.hasSuffix(".weight") && !name.hasSuffix("Norm.weight") {
            p.value = p.value * 5
        }
        return RewardModel(trunk: trunk, using: &rng)
    }

    /// K = 3, 2 and 4. The first group's shared row (4 + 3 + 2 + 5 = 14 tokens) is longer than the context (12),
    /// though each of its prompt ‖ completion sequences fits.
    var groups: [ComparisonGroup] {
        [ComparisonGroup(promptTokens: [1, 2, 3, 4], completionTokens: [[5, 6, 7], [8, 9], [10, 11, 12, 13, 14]]),
         ComparisonGroup(promptTokens: [20], completionTokens: [[21], [22, 23, 24]]),
         ComparisonGroup(promptTokens: [30, 31], completionTokens: [[32, 33], [34], [35, 36, 37], [38]])]
    }

    func testTheSharedRowLayout() {
        let batch = ComparisonBatch(groups: [groups[1]], padToken: pad, sharePrompts: true)
        XCTAssertEqual(batch.inputs.tokens, [20, 21, 22, 23, 24])
        XCTAssertEqual(batch.inputs.mask.scalars, [-1, 1, 2, 2, 2])
        XCTAssertEqual(batch.inputs.positions, [0, 1, 1, 2, 3], "each completion starts right after the prompt")
        XCTAssertEqual(batch.scoredPositions, [1, 4], "each completion's reward is read at its last token")
    }

    func testSharedPromptsGiveTheScoresAndGradientsOfOneRowPerCompletion() throws {
        let flatModel = makeRewardModel(), sharedModel = makeRewardModel()
        var flatConfig = RewardModelConfig(), sharedConfig = RewardModelConfig()
        flatConfig.sharePrompts = false
        sharedConfig.sharePrompts = true
        let flatTrainer = try RewardModelTrainer(model: flatModel, config: flatConfig, padToken: pad, training: groups)
        let sharedTrainer = try RewardModelTrainer(model: sharedModel, config: sharedConfig, padToken: pad, training: groups)
        let flat = ComparisonBatch(groups: groups, padToken: pad)
        let shared = ComparisonBatch(groups: groups, padToken: pad, sharePrompts: true)
        XCTAssertEqual(flat.inputs.batchSize, 9)
        XCTAssertEqual(shared.inputs.batchSize, 3)
        XCTAssertEqual(shared.pairs.map(\.better), flat.pairs.map(\.better))

        let (flatLoss, flatScores) = try flatTrainer.loss(flat)
        let (sharedLoss, sharedScores) = try sharedTrainer.loss(shared)
        for (a, b) in zip(sharedScores.scalars, flatScores.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertEqual(sharedLoss.value.scalars[0], flatLoss.value.scalars[0], accuracy: 1e-5)

        try flatLoss.backward()
        try sharedLoss.backward()
        for ((name, p), (_, q)) in zip(flatModel.namedParameters(), sharedModel.namedParameters()) {
            let g = try XCTUnwrap(p.grad, name).scalars, h = try XCTUnwrap(q.grad, name).scalars
            let scale = max(g.map(abs).max()!, 1e-3)
            let worst = zip(g, h).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(worst / scale, 1e-4, "\(name): the shared row's gradient differs")
        }
    }

    func testASequenceLongerThanTheContextIsStillRefused() {
        let tooLong = ComparisonGroup(promptTokens: Array(1...8), completionTokens: [[9, 10, 11, 12, 13], [14]])
        let batch = ComparisonBatch(groups: [tooLong], padToken: pad, sharePrompts: true)
        XCTAssertThrowsError(try makeRewardModel().rewards(batch.inputs, at: batch.scoredPositions)) { error in
            XCTAssertEqual(error as? LanguageModelError, .sequenceTooLong(length: 13, contextLength: 12))
        }
    }

    func testRewardsAtPaddingAreRefused() {
        let batch = ComparisonBatch(groups: [groups[1]], padToken: pad)
        XCTAssertThrowsError(try makeRewardModel().rewards(batch.inputs, at: [2])) { error in
            guard case .invalid(.invalidValue)? = error as? LanguageModelError else { return XCTFail("\(error)") }
        }
    }

    func testGroupingByLengthKeepsEveryComparisonAndCutsPadding() throws {
        // 200 pairs with prompts of 1 to 8 tokens, in random order; the chosen completion names the pair.
        var rng = SeededGenerator(seed: 5)
        let data = (0..<200).map { i in
            ComparisonGroup(promptTokens: (0..<Int.random(in: 1...8, using: &rng)).map { _ in 250 },
                            completionTokens: [[Int32(i)], [251]])
        }
        func epoch(grouped: Bool) throws -> (order: [Int32], padding: Int) {
            var config = RewardModelConfig()
            config.batchSize = 8
            config.groupByLength = grouped
            let trainer = try RewardModelTrainer(model: makeRewardModel(), config: config, padToken: pad, training: data)
            var order: [Int32] = [], padding = 0
            for _ in 0..<25 {
                let batch = trainer.nextBatch()
                padding += batch.inputs.mask.scalars.filter { $0 == 0 }.count
                order += batch.rankings.map { batch.inputs.tokens[batch.scoredPositions[$0[0]]] }
            }
            return (order, padding)
        }
        let plain = try epoch(grouped: false), grouped = try epoch(grouped: true)
        XCTAssertEqual(grouped.order.sorted(), (0..<200).map { Int32($0) }, "every comparison once per epoch")
        XCTAssertNotEqual(grouped.order, plain.order)
        XCTAssertLessThan(grouped.padding * 4, plain.padding, "grouping by length cuts padding at least fourfold")
        XCTAssertEqual(try epoch(grouped: true).padding, grouped.padding, "seeded")
    }
}
