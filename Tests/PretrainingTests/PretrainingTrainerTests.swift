// PretrainingTrainer: the loss falls, checkpoints rotate, a resumed run is bit-identical, NaN stops the run.
import Foundation
import LanguageModels
import Pretraining
import Runs
import TensorCore
import TrainingCore
import XCTest

final class PretrainingTrainerTests: XCTestCase {
    func testLossDropsOnASmallCorpus() throws {
        let trainer = try PretrainingTrainer(config: Fixture.tinyConfig(steps: 40), documents: Fixture.corpus, outputDirectory: nil)
        var losses: [Double] = [], validation: [Double] = []
        try trainer.train { event in
            if case .step(_, _, let m) = event { losses.append(m["loss/train"]!) }
            if case .evaluation(_, let m) = event { validation.append(m["loss/validation"]!) }
            return .continue
        }
        XCTAssertEqual(losses.count, 40)
        XCTAssertGreaterThan(losses[0], 5, "a fresh model is near log(258) ≈ 5.55")
        XCTAssertLessThan(losses.suffix(5).reduce(0, +) / 5, 3.0, "\(losses)")
        XCTAssertEqual(validation.count, 4)
        XCTAssertLessThan(validation.last!, validation.first!)
    }

    func testRunDirectoryHoldsConfigMetricsSamplesCheckpointsAndModel() throws {
        let out = try Fixture.temporaryDirectory(self).appendingPathComponent("run")
        var config = Fixture.tinyConfig(steps: 8)
        config.checkpointInterval = 2
        config.keepCheckpoints = 2
        config.sampleInterval = 4
        let trainer = try PretrainingTrainer(config: config, documents: Fixture.corpus, outputDirectory: out)
        var checkpoints: [Int] = []
        try trainer.train { event in
            if case .checkpoint(let step, _) = event { checkpoints.append(step) }
            return .continue
        }
        XCTAssertEqual(checkpoints, [2, 4, 6, 8])
        XCTAssertEqual(PretrainingTrainer.checkpoints(in: out).map(\.step), [6, 8], "only the newest keepCheckpoints remain")
        let saved = try JSONDecoder().decode(PretrainingConfig.self, from: Data(contentsOf: out.appendingPathComponent("config.json")))
        XCTAssertEqual(saved, config)
        let metrics = try RunDirectory(out).readMetrics()
        XCTAssertEqual(metrics.filter { $0["loss/train"] != nil }.count, 8)
        XCTAssertEqual(Set(metrics[0].keys), ["step", "loss/train", "lr", "grad_norm", "tokens_per_second"])
        let samples = try String(contentsOf: out.appendingPathComponent("samples.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(samples.count, 2)
        let (model, tokenizer) = try loadModelDirectory(out.appendingPathComponent("model"))
        XCTAssertEqual(model.stateDictionary(), trainer.model.stateDictionary())
        XCTAssertEqual(tokenizer.vocabularySize, 258)
    }

    /// Stops a run after 5 of 12 updates, resumes it, and compares with an uninterrupted run: every parameter
    /// bit for bit, and every logged loss. Dropout and samples are on, so all three generators are exercised.
    func testResumedRunIsBitIdenticalToAnUninterruptedOne() throws {
        var config = Fixture.tinyConfig(steps: 12)
        config.dropout = 0.1
        config.sampleInterval = 3
        config.checkpointInterval = 4
        config.validationInterval = 3
        let dir = try Fixture.temporaryDirectory(self)
        let straight = try PretrainingTrainer(config: config, documents: Fixture.corpus, outputDirectory: dir.appendingPathComponent("a"))
        try straight.train()

        let interruptedURL = dir.appendingPathComponent("b")
        let interrupted = try PretrainingTrainer(config: config, documents: Fixture.corpus, outputDirectory: interruptedURL)
        try interrupted.train { event in
            if case .step(let step, _, _) = event, step == 5 { return .stop }
            return .continue
        }
        XCTAssertEqual(interrupted.step, 5)
        XCTAssertEqual(PretrainingTrainer.checkpoints(in: interruptedURL).last?.step, 5)
        let resumed = try PretrainingTrainer.resume(from: interruptedURL, documents: Fixture.corpus)
        XCTAssertEqual(resumed.step, 5)
        try resumed.train()

        XCTAssertEqual(resumed.model.stateDictionary(), straight.model.stateDictionary(), "parameters differ after resume")
        func losses(_ url: URL) throws -> [String] {
            try RunDirectory(url).readMetrics().map { record in
                "\(record["step"]!) \(record["loss/train"] ?? "-") \(record["loss/validation"] ?? "-") \(record["grad_norm"] ?? "-")"
            }
        }
        XCTAssertEqual(try losses(interruptedURL), try losses(dir.appendingPathComponent("a")))
        let samples = { (url: URL) in try String(contentsOf: url.appendingPathComponent("samples.jsonl"), encoding: .utf8) }
        XCTAssertEqual(try samples(interruptedURL), try samples(dir.appendingPathComponent("a")))
    }

    func testNonFiniteLossNamesTheStepAndKeepsTheLastGoodCheckpoint() throws {
        var config = Fixture.tinyConfig(steps: 10)
        config.learningRate = 1e30
        config.warmupSteps = 0
        config.maximumGradientNorm = 0
        config.checkpointInterval = 1
        let out = try Fixture.temporaryDirectory(self).appendingPathComponent("run")
        let trainer = try PretrainingTrainer(config: config, documents: Fixture.corpus, outputDirectory: out)
        XCTAssertThrowsError(try trainer.train()) { error in
            guard case TrainingError.nonFinite(let quantity, let step) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(["loss/train", "grad_norm"].contains(quantity))
            XCTAssertGreaterThan(step, 1)
            XCTAssertEqual(PretrainingTrainer.checkpoints(in: out).last?.step, step - 1, "the checkpoint before the failure stays the latest")
            XCTAssertTrue("\(error)".contains("at step \(step)"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("model").path))
    }

    func testTrainsABPETokenizerOnTheText() throws {
        var config = Fixture.tinyConfig(steps: 2)
        config.tokenizer = "bpe:300"
        let trainer = try PretrainingTrainer(config: config, documents: Fixture.corpus, outputDirectory: nil)
        XCTAssertEqual(trainer.model.config.vocabularySize, trainer.tokenizer.vocabularySize)
        XCTAssertLessThanOrEqual(trainer.tokenizer.vocabularySize, 302)
        XCTAssertNotNil(trainer.tokenizer.id(forSpecialToken: "<|pad|>"))
        XCTAssertLessThan(trainer.data.tokens.count, Fixture.corpus.joined().utf8.count, "merges shorten the stream")
        try trainer.train()
    }
}
