// Exact resume of SFT: a run stopped after k steps and resumed from its checkpoint finishes with bit-identical
// parameters, metrics and best-validation bookkeeping to a run that was never stopped; checkpoints are atomic and
// pruned.
import Foundation
import LanguageModels
import SFT
import TensorCore
import TrainingCore
import XCTest

final class SFTResumeTests: XCTestCase {
    /// One reported event without its file paths.
    struct Record: Equatable {
        var kind: String
        var step: Int
        var metrics: [String: Double]
    }

    let pad: Int32 = 39
    let examples: [SFTExample] = (0..<8).map { (i: Int) -> SFTExample in
        let a = Int32(i)
        return SFTExample(promptTokens: [1 + a, 2 + 2 * a], completionTokens: [20 + a, 30 - a, 10])
    }

    var config: SFTConfig {
        var c = SFTConfig()
        c.steps = 12
        c.batchSize = 3
        c.warmupSteps = 2
        c.learningRate = 3e-3
        c.evaluationInterval = 4
        c.validationFraction = 0.25
        c.seed = 5
        return c
    }

    /// A fresh model with dropout, so the dropout generator's state matters too.
    func makeTrainer() throws -> SFTTrainer {
        var rng = SeededGenerator(seed: 11)
        let model = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 16, contextLength: 16,
                                              vocabularySize: 40, dropout: 0.1), using: &rng)
        return try SFTTrainer(model: model, config: config, padToken: pad, training: examples)
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sft-resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func train(_ trainer: SFTTrainer, in directory: URL, stopAfter stop: Int? = nil) throws -> (SFTResult, [Record]) {
        var records: [Record] = []
        let result = try trainer.train(checkpointDirectory: directory, checkpointEvery: 5, keepCheckpoints: 2) { event in
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
        let wholeDirectory = try temporaryDirectory()
        let (wholeResult, wholeRecords) = try train(whole, in: wholeDirectory)
        XCTAssertEqual(CheckpointFolder.list(in: wholeDirectory).map(\.step), [10, 12], "the newest two are kept")

        let directory = try temporaryDirectory()
        let (first, firstRecords) = try train(try makeTrainer(), in: directory, stopAfter: 7)
        XCTAssertEqual(first.steps, 7)
        XCTAssertEqual(CheckpointFolder.list(in: directory).map(\.step), [5, 7], "stopping writes a checkpoint")

        let resumed = try makeTrainer()
        XCTAssertEqual(try resumed.resume(from: directory), 7)
        let (result, records) = try train(resumed, in: directory)

        XCTAssertEqual(firstRecords + records, wholeRecords)
        XCTAssertEqual(result, wholeResult)
        XCTAssertTrue(result.restoredBest || result.bestStep == 12)
        for ((name, a), (_, b)) in zip(whole.model.namedParameters(), resumed.model.namedParameters()) {
            XCTAssertEqual(a.value.scalars, b.value.scalars, "parameter \(name) differs after resume")
        }
    }

    func testAHalfWrittenCheckpointIsNeverTheLatest() throws {
        let directory = try temporaryDirectory()
        _ = try train(try makeTrainer(), in: directory, stopAfter: 3)
        // A crash while writing step 4 leaves only its temporary folder behind.
        try FileManager.default.createDirectory(at: directory.appendingPathComponent(".partial-step-000004"),
                                                withIntermediateDirectories: true)
        XCTAssertEqual(CheckpointFolder.latest(in: directory)?.lastPathComponent, "step-000003")
        XCTAssertEqual(try makeTrainer().resume(from: directory), 3)
    }

    func testResumingWithAnotherConfigurationOrNoCheckpointIsRefused() throws {
        let directory = try temporaryDirectory()
        XCTAssertThrowsError(try makeTrainer().resume(from: directory)) { error in
            XCTAssertTrue("\(error)".contains("no complete checkpoint"), "\(error)")
        }
        _ = try train(try makeTrainer(), in: directory, stopAfter: 2)
        var other = config
        other.learningRate = 1e-2
        var rng = SeededGenerator(seed: 11)
        let model = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 16, contextLength: 16,
                                              vocabularySize: 40, dropout: 0.1), using: &rng)
        let trainer = try SFTTrainer(model: model, config: other, padToken: pad, training: examples)
        XCTAssertThrowsError(try trainer.resume(from: directory)) { error in
            XCTAssertTrue("\(error)".contains("different SFT configuration"), "\(error)")
        }
        XCTAssertEqual(trainer.step, 0, "nothing was loaded")
    }
}
