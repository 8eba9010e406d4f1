// A run whose metrics cannot be written (here metrics.jsonl is a directory, which fails even for root, unlike a
// read-only file) stops with exit status 1 and an error naming the file, instead of training on without a log.
// Runs the built `rlft` binary next to the test bundle; skipped when it has not been built.
import Foundation
import LanguageModels
import TensorCore
import Tokenizers
import XCTest

final class RunWriteFailureCommandTests: XCTestCase {
    func testAMetricsWriteThatFailsStopsTheRunNamingTheFile() throws {
        let directory = try CommandFixture.directory(self, "run-write-failure")
        let modelURL = try CommandFixture.tinyModel(in: directory).url
        _ = try CommandFixture.demonstrations(in: directory)
        let out = directory.appendingPathComponent("run")
        let metrics = out.appendingPathComponent("metrics.jsonl")
        try FileManager.default.createDirectory(at: metrics, withIntermediateDirectories: true)

        let (status, message) = try CommandFixture.run(["sft", "--train", directory.appendingPathComponent("sft.jsonl").path,
                                                        "--model", modelURL.path, "--out", out.path, "--steps", "50",
                                                        "--batch-size", "2", "--warmup-steps", "2", "--checkpoint-every", "10"])
        XCTAssertEqual(status, 1)
        XCTAssertTrue(message.contains("cannot write \(metrics.path)"), message)
        XCTAssertTrue(message.contains("--resume"), "says how to continue: \(message)")
        // The run stopped at its first step, with a checkpoint to resume from and no final model.
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("checkpoints").path)
        XCTAssertEqual(checkpoints, ["step-000001"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("checkpoint").path))
    }
}
