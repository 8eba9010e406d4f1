// The completion-only SFT loss: prompt labels are never read, the mean is token-weighted, padding is inert;
// and the configuration's validation messages.
import LanguageModels
import SFT
import TensorCore
import TrainingCore
import TestSupport
import XCTest

final class SFTLossTests: XCTestCase {
    static let config = GPTConfig(layerCount: 2, headCount: 2, embeddingSize: 32, contextLength: 48, vocabularySize: 40)

    func makeModel() -> GPT {
        var rng = SeededGenerator(seed: 7)
        let model = try! GPT(config: SFTLossTests.config, using: &rng)
        // Larger weights than GPT-2's init so that the loss depends visibly on the inputs.
        for (name, p) in model.namedParameters() where name.hasSuffix(".weight") && !name.hasSuffix("Norm.weight") {
            p.value = p.value * 5
        }
        return model
    }

    let examples = [
        SFTExample(promptTokens: [1, 2, 3, 4], completionTokens: [5, 6, 10]),
        SFTExample(promptTokens: [7, 8], completionTokens: [9, 11, 12, 13, 10]),
        SFTExample(promptTokens: [14, 15, 16, 17, 18, 19], completionTokens: [20, 10]),
    ]
    let pad: Int32 = 39

    func testBatchLayoutMasksPromptAndPadding() {
        let batch = SFTBatch(examples: examples, padToken: pad)
        XCTAssertEqual(batch.inputs.length, 8)
        // Row 0: [1 2 3 4 5 6 10 PAD]; positions 3, 4, 5 predict 5, 6, 10.
        XCTAssertEqual(Array(batch.lossMask.scalars[0..<8]), [0, 0, 0, 1, 1, 1, 0, 0])
        XCTAssertEqual(Array(batch.labels[3..<6]), [5, 6, 10])
        XCTAssertEqual(batch.supervisedTokenCount, 3 + 5 + 2)
        let all = SFTBatch(examples: examples, padToken: pad, completionOnly: false)
        XCTAssertEqual(all.supervisedTokenCount, 6 + 6 + 7)
    }

    func testPackedBatchHasTheLossAndGradientsOfTheUnpackedBatch() throws {
        // Rows of 16 tokens: examples of 7, 7 and 8 tokens pack as [7 + 7], [8].
        let packed = SFTBatch(packing: examples, padToken: pad, rowLength: 16)
        XCTAssertEqual(packed.inputs.batchSize, 2)
        XCTAssertEqual(packed.inputs.positions[7..<14].map { $0 }, [0, 1, 2, 3, 4, 5, 6], "positions restart per example")
        XCTAssertEqual(packed.supervisedTokenCount, 3 + 5 + 2)
        let model = makeModel()
        func lossAndGradients(_ batch: SFTBatch) throws -> (Float, [Tensor]) {
            for p in model.parameters() { p.zeroGradient() }
            let loss = try model.supervisedFineTuningLoss(batch)
            try loss.backward()
            return (loss.value.scalars[0], model.parameters().map { $0.grad! })
        }
        let (expected, expectedGradients) = try lossAndGradients(SFTBatch(examples: examples, padToken: pad))
        let (actual, actualGradients) = try lossAndGradients(packed)
        XCTAssertEqual(actual, expected, accuracy: 1e-5 * abs(expected))
        for (a, e) in zip(actualGradients, expectedGradients) { assertClose(a, e, rtol: 1e-3, atol: 1e-5) }
    }

    func testPackingTrainerFillsRowsWithWholeExamples() throws {
        var config = SFTConfig()
        (config.packing, config.batchSize, config.steps, config.warmupSteps, config.validationFraction) = (true, 2, 3, 1, 0)
        let many = Array(repeating: examples, count: 10).flatMap { $0 }
        let trainer = try SFTTrainer(model: makeModel(), config: config, padToken: pad, training: many)
        let batch = trainer.nextBatch()
        XCTAssertEqual(batch.inputs.batchSize, 2)
        XCTAssertGreaterThan(batch.supervisedTokenCount, 2 * 5, "two rows of 48 tokens hold more than two examples")
        XCTAssertLessThanOrEqual(batch.inputs.length, SFTLossTests.config.contextLength)
        XCTAssertNoThrow(try trainer.train())
    }

    func testEpochsSetTheNumberOfUpdatesInsteadOfSteps() throws {
        var config = SFTConfig()
        (config.batchSize, config.steps, config.warmupSteps, config.validationFraction) = (4, 1000, 1, 0)
        let many = Array(repeating: examples, count: 10).flatMap { $0 }
        XCTAssertEqual(try SFTTrainer(model: makeModel(), config: config, padToken: pad, training: many).totalSteps, 1000)
        config.epochs = 2
        let trainer = try SFTTrainer(model: makeModel(), config: config, padToken: pad, training: many)
        XCTAssertEqual(trainer.totalSteps, 2 * ((many.count + 3) / 4))
        XCTAssertEqual(try trainer.train().steps, trainer.totalSteps)
        config.epochs = -1
        XCTAssertThrowsError(try config.validate())
    }

    func testChangingPromptLabelsLeavesTheLossUnchanged() throws {
        let model = makeModel()
        let batch = SFTBatch(examples: examples, padToken: pad)
        let reference = try model.supervisedFineTuningLoss(batch).value.scalars[0]
        var altered = batch
        let mask = batch.lossMask.scalars
        for i in altered.labels.indices where mask[i] == 0 { altered.labels[i] = Int32((i * 7) % 39) }
        XCTAssertNotEqual(altered.labels, batch.labels)
        XCTAssertEqual(try model.supervisedFineTuningLoss(altered).value.scalars[0], reference)
        // Whereas supervising the prompt too gives a different loss.
        let full = SFTBatch(examples: examples, padToken: pad, completionOnly: false)
        XCTAssertNotEqual(try model.supervisedFineTuningLoss(full).value.scalars[0], reference, accuracy: 1e-3)
    }

    func testLossIsTheTokenWeightedMeanOfCompletionNLL() throws {
        let model = makeModel()
        let batch = SFTBatch(examples: examples, padToken: pad)
        let loss = try model.supervisedFineTuningLoss(batch).value.scalars[0]
        // Reference: score each completion alone with the teacher-forced scorer and pool all tokens.
        var total = 0.0, count = 0, perExampleMeans: [Double] = []
        for example in examples {
            let scores = try model.scoreResponses(prompts: TokenBatch(leftPadding: [example.promptTokens], padToken: pad),
                                                  responses: TokenBatch(rightPadding: [example.completionTokens], padToken: pad))
            let nll = scores.logProbabilities.value.scalars.map { -Double($0) }
            total += nll.reduce(0, +)
            count += nll.count
            perExampleMeans.append(nll.reduce(0, +) / Double(nll.count))
        }
        XCTAssertEqual(Double(loss), total / Double(count), accuracy: 1e-4)
        XCTAssertGreaterThan(abs(Double(loss) - perExampleMeans.reduce(0, +) / 3), 1e-3,
                             "the mean must pool tokens, not average per-example means")
    }

    func testExtraPaddingLeavesTheLossUnchanged() throws {
        let model = makeModel()
        let tight = try model.supervisedFineTuningLoss(SFTBatch(examples: examples, padToken: pad)).value.scalars[0]
        let wide = try model.supervisedFineTuningLoss(SFTBatch(examples: examples, padToken: pad, length: 20)).value.scalars[0]
        XCTAssertEqual(tight, wide, accuracy: 1e-5)
    }

    func testConfigValidationNamesFieldValueAndFix() {
        var config = SFTConfig()
        XCTAssertNoThrow(try config.validate())
        config.steps = 0
        XCTAssertThrowsError(try config.validate()) { error in
            XCTAssertEqual(error as? ConfigurationError, ConfigurationError.invalidValue(field: "steps", value: "0", requirement: "must be at least 1, such as 300"))
            XCTAssertEqual("\(error)", "`steps` is 0, but must be at least 1, such as 300")
        }
        config = SFTConfig()
        config.warmupSteps = 400
        XCTAssertThrowsError(try config.validate()) { error in
            XCTAssertEqual(error as? ConfigurationError, .invalidValue(field: "warmupSteps", value: "400", requirement: "must be in 0...steps (300), such as 10"))
        }
        config = SFTConfig()
        config.learningRate = -1
        XCTAssertThrowsError(try config.validate()) { XCTAssertEqual(($0 as? ConfigurationError)?.field, "learningRate") }
    }

    func testTrainerRejectsEmptyDataAndOverlongExamples() throws {
        XCTAssertThrowsError(try SFTTrainer(model: makeModel(), config: SFTConfig(), padToken: pad, training: [])) {
            XCTAssertEqual($0 as? TrainingError, .emptyData(what: "the SFT training set"))
        }
    }

    func testOverfitsOneBatchAndKeepsTheBestCheckpoint() throws {
        let model = makeModel()
        var config = SFTConfig()
        config.steps = 60
        config.batchSize = 3
        config.learningRate = 3e-3
        config.evaluationInterval = 10
        let trainer = try SFTTrainer(model: model, config: config, padToken: pad, training: examples, validation: examples)
        var events = 0
        let result = try trainer.train { _ in events += 1; return .continue }
        XCTAssertEqual(result.steps, 60)
        XCTAssertLessThan(result.finalTrainingLoss, 0.1)
        XCTAssertEqual(events, 60 + 6)
        // The model holds the parameters with the best validation loss.
        XCTAssertEqual(try trainer.validationLoss()!, result.bestValidationLoss!, accuracy: 1e-6)
    }

    func testProgressCallbackStopsTheRun() throws {
        var config = SFTConfig()
        config.steps = 50
        config.batchSize = 2
        let trainer = try SFTTrainer(model: makeModel(), config: config, padToken: pad, training: examples, validation: [])
        let result = try trainer.train { event in
            if case .step(let step, _, _) = event, step == 4 { return .stop }
            return .continue
        }
        XCTAssertEqual(result.steps, 4)
    }
}
