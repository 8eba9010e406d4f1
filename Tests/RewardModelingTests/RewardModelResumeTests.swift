// Exact resume of reward-model training: a run stopped after k steps and resumed from its checkpoint finishes
// with bit-identical parameters and metrics to a run that was never stopped.
import Foundation
import LanguageModels
import RewardModeling
import TensorCore
import TrainingCore
import XCTest

final class RewardModelResumeTests: XCTestCase {
    struct Record: Equatable {
        var kind: String
        var step: Int
        var metrics: [String: Double]
    }

    let pad: Int32 = 39
    /// Six prompts with two to three ranked completions each.
    let groups: [ComparisonGroup] = (0..<6).map { (i: Int) -> ComparisonGroup in
        let a = Int32(i)
        let completions: [[Int32]] = i % 2 == 0 ? [[20 + a], [30 - a, 9], [7]] : [[12 + a], [8]]
        return ComparisonGroup(promptTokens: [1 + a, 2 + a], completionTokens: completions)
    }
    let validation = [ComparisonGroup(promptTokens: [3, 4], completionTokens: [[21], [7]]),
                      ComparisonGroup(promptTokens: [5], completionTokens: [[14], [8], [29, 9]])]

    var config: RewardModelConfig {
        var c = RewardModelConfig()
        c.epochs = 3
        c.batchSize = 2
        c.warmupSteps = 2
        c.learningRate = 3e-3
        c.evaluationInterval = 3
        c.bootstrapResamples = 20
        c.seed = 4
        return c
    }

    func makeTrainer() throws -> RewardModelTrainer {
        var rng = SeededGenerator(seed: 9)
        let trunk = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 16, contextLength: 16, vocabularySize: 40),
                            using: &rng)
        return try RewardModelTrainer(model: RewardModel(trunk: trunk, using: &rng), config: config, padToken: pad,
                                      training: groups, validation: validation)
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rm-resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func train(_ trainer: RewardModelTrainer, in directory: URL, stopAfter stop: Int? = nil) throws -> (RewardModelResult, [Record]) {
        var records: [Record] = []
        let result = try trainer.train(checkpointDirectory: directory, checkpointEvery: 4, keepCheckpoints: 2) { event in
            switch event {
            case .step(let step, _, let metrics):
                records.append(Record(kind: "step", step: step, metrics: metrics))
                return step == stop ? .stop : .continue
            case .evaluation(let step, let metrics):
                records.append(Record(kind: "evaluation", step: step, metrics: metrics))
            default: break
            }
            return .continue
        }
        return (result, records)
    }

    func testStoppedAndResumedRunMatchesAnUninterruptedRun() throws {
        let whole = try makeTrainer()
        XCTAssertEqual(whole.totalSteps, 9)
        let wholeDirectory = try temporaryDirectory()
        let (wholeResult, wholeRecords) = try train(whole, in: wholeDirectory)
        XCTAssertEqual(CheckpointFolder.list(in: wholeDirectory).map(\.step), [8, 9])

        let directory = try temporaryDirectory()
        let (first, firstRecords) = try train(try makeTrainer(), in: directory, stopAfter: 5)
        XCTAssertEqual(first.steps, 5)
        XCTAssertNil(first.evaluation, "a run stopped with checkpoints leaves the final evaluation to the resumed run")
        XCTAssertEqual(CheckpointFolder.list(in: directory).map(\.step), [4, 5])

        let resumed = try makeTrainer()
        XCTAssertEqual(try resumed.resume(from: directory), 5)
        let (result, records) = try train(resumed, in: directory)

        XCTAssertEqual(firstRecords + records, wholeRecords)
        XCTAssertEqual(result, wholeResult)
        for ((name, a), (_, b)) in zip(whole.model.namedParameters(), resumed.model.namedParameters()) {
            XCTAssertEqual(a.value.scalars, b.value.scalars, "parameter \(name) differs after resume")
        }
    }

    func testResumingWithOtherComparisonsIsRefused() throws {
        let directory = try temporaryDirectory()
        _ = try train(try makeTrainer(), in: directory, stopAfter: 1)
        var rng = SeededGenerator(seed: 9)
        let trunk = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 16, contextLength: 16, vocabularySize: 40),
                            using: &rng)
        let trainer = try RewardModelTrainer(model: RewardModel(trunk: trunk, using: &rng), config: config, padToken: pad,
                                             training: Array(groups.prefix(1)))
        XCTAssertThrowsError(try trainer.resume(from: directory)) { error in
            XCTAssertTrue("\(error)".contains("different comparison set"), "\(error)")
        }
    }
}
