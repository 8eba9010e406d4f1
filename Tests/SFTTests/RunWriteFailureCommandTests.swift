// A run whose metrics cannot be written (here metrics.jsonl is a directory, which fails even for root, unlike a
// read-only file) stops with exit status 1 and an error naming the file, instead of training on without a log.
// Runs the built `rlft` binary next to the test bundle; skipped when it has not been built.
import Foundation
import LanguageModels
import TensorCore
import Tokenizers
import XCTest

final class RunWriteFailureCommandTests: XCTestCase {
    func rlft() throws -> URL {
        let bundle = Bundle(for: RunWriteFailureCommandTests.self).bundleURL
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [bundle.deletingLastPathComponent().appendingPathComponent("rlft"),
                          root.appendingPathComponent(".build/release/rlft"), root.appendingPathComponent(".build/debug/rlft")]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("build the rlft executable first (swift build -c release)")
        }
        return found
    }

    func testAMetricsWriteThatFailsStopsTheRunNamingTheFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("run-write-failure-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let tokenizer = try ByteTokenizer(specialTokens: ["<|endoftext|>", "<|pad|>"])
        var rng = SeededGenerator(seed: 1)
        let model = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 16, contextLength: 32,
                                              vocabularySize: tokenizer.vocabularySize), using: &rng)
        let modelURL = directory.appendingPathComponent("base")
        try model.save(to: modelURL) { try tokenizer.save(to: $0) }
        let lines = (0..<8).map { #"{"prompt": "Q: add \#($0) and 1\nA:", "completion": " \#($0 + 1)"}"# }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: directory.appendingPathComponent("sft.jsonl"))
        let out = directory.appendingPathComponent("run")
        let metrics = out.appendingPathComponent("metrics.jsonl")
        try FileManager.default.createDirectory(at: metrics, withIntermediateDirectories: true)

        let process = Process()
        process.executableURL = try rlft()
        process.arguments = ["sft", "--train", directory.appendingPathComponent("sft.jsonl").path, "--model", modelURL.path,
                             "--out", out.path, "--steps", "50", "--batchSize", "2", "--warmupSteps", "2", "--checkpoint-every", "10"]
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 1)
        XCTAssertTrue(message.contains("cannot write \(metrics.path)"), message)
        XCTAssertTrue(message.contains("--resume"), "says how to continue: \(message)")
        // The run stopped at its first step, with a checkpoint to resume from and no final model.
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("checkpoints").path)
        XCTAssertEqual(checkpoints, ["step-000001"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("checkpoint").path))
    }
}
