// SFT runs that cannot continue: a NaN loss, and a checkpoint write that fails midway, stop the run
// with a typed error naming the step or the file, and leave the last good checkpoint the latest (complete, finite,
// no temporary folder).
import Foundation
import LanguageModels
import SFT
import TensorCore
import TestSupport
import TrainingCore
import XCTest

final class SFTFailureTests: XCTestCase {
    let pad: Int32 = 39
    let examples: [SFTExample] = (0..<8).map { (i: Int) -> SFTExample in
        let a = Int32(i)
        return SFTExample(promptTokens: [1 + a, 2 + 2 * a], completionTokens: [20 + a, 30 - a, 10])
    }

    func makeTrainer(clip: Double) throws -> SFTTrainer {
        var config = SFTConfig()
        config.steps = 8
        config.warmupSteps = 2
        config.batchSize = 3
        config.learningRate = 3e-3
        config.maximumGradientNorm = clip
        var rng = SeededGenerator(seed: 11)
        let model = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 16, contextLength: 16, vocabularySize: 40),
                            using: &rng)
        return try SFTTrainer(model: model, config: config, padToken: pad, training: examples)
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sft-failure-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testANaNLossStopsTheRunNamingTheStep() throws {
        for clip in [0.0, 1.0] {
            let trainer = try makeTrainer(clip: clip)
            let directory = try temporaryDirectory()
            XCTAssertThrowsError(try trainer.train(checkpointDirectory: directory, checkpointEvery: 1) { event in
                // Once checkpoint 2 is on disk, every later forward pass is NaN.
                if case .checkpoint(2, _) = event { poisonWithNaN(trainer.model.namedParameters()[0].1) }
                return .continue
            }) { error in
                XCTAssertEqual(error as? TrainingError, .nonFinite(quantity: "sft/loss", step: 3), "clip \(clip)")
                XCTAssertTrue("\(error)".contains("at step 3; the last good checkpoint is kept"), "\(error)")
            }
            XCTAssertEqual(trainer.step, 2, "no update was applied")
            try assertLastGoodCheckpoint(in: directory, step: 2)
        }
    }

    func testACheckpointWriteThatFailsMidwayStopsTheRunNamingTheFile() throws {
        let trainer = try makeTrainer(clip: 1)
        let directory = try temporaryDirectory()
        // The third checkpoint fails once its files are written, as a full disk would fail the last of them.
        CheckpointFolder.failureInjection = { folder in
            guard folder.lastPathComponent == ".partial-step-000003" else { return }
            throw CocoaError(.fileWriteOutOfSpace, userInfo: [NSFilePathErrorKey: folder.appendingPathComponent("state.json").path])
        }
        defer { CheckpointFolder.failureInjection = nil }
        XCTAssertThrowsError(try trainer.train(checkpointDirectory: directory, checkpointEvery: 1, keepCheckpoints: 5) { _ in .continue }) { error in
            let failure = error as? CheckpointWriteError
            XCTAssertEqual(failure?.file, directory.appendingPathComponent("step-000003/state.json").path)
            XCTAssertTrue("\(error)".contains("the previous complete checkpoint stays the latest"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(), ["step-000001", "step-000002"])
        try assertLastGoodCheckpoint(in: directory, step: 2)
        // The run resumes from it.
        CheckpointFolder.failureInjection = nil
        let resumed = try makeTrainer(clip: 1)
        XCTAssertEqual(try resumed.resume(from: directory), 2)
    }
}
