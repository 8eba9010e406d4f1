// Checkpoint folders: atomic replacement, pruning to the newest K, half-written folders ignored, and trimming a
// run's metrics log back to a checkpoint's step.
import Foundation
import TrainingCore
import XCTest

final class CheckpointFolderTests: XCTestCase {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-folder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testWritesKeepTheNewestAndIgnoreHalfWrittenFolders() throws {
        let directory = try temporaryDirectory()
        for step in [5, 10, 15] {
            try CheckpointFolder.write(in: directory, step: step, keep: 2) { folder in
                try Data("\(step)".utf8).write(to: folder.appendingPathComponent("state.json"))
            }
        }
        XCTAssertEqual(CheckpointFolder.list(in: directory).map(\.step), [10, 15])
        // A write that fails part-way leaves the previous checkpoint as the latest.
        XCTAssertThrowsError(try CheckpointFolder.write(in: directory, step: 20, keep: 2) { folder in
            try Data("partial".utf8).write(to: folder.appendingPathComponent("model.safetensors"))
            throw CocoaError(.fileWriteOutOfSpace)
        })
        XCTAssertEqual(CheckpointFolder.latest(in: directory)?.lastPathComponent, "step-000015")
        // Rewriting an existing step replaces it whole.
        try CheckpointFolder.write(in: directory, step: 15, keep: 2) { folder in
            try Data("again".utf8).write(to: folder.appendingPathComponent("state.json"))
        }
        let text = try String(contentsOf: directory.appendingPathComponent("step-000015/state.json"), encoding: .utf8)
        XCTAssertEqual(text, "again")
    }

    func testTruncateLogDropsLinesAfterTheStep() throws {
        let url = try temporaryDirectory().appendingPathComponent("metrics.jsonl")
        try Data("{\"step\":1,\"a\":1}\n{\"note\":\"no step\"}\n{\"step\":2,\"a\":2}\n{\"step\":3,\"a\":3}\n".utf8).write(to: url)
        try CheckpointFolder.truncateLog(url, afterStep: 2)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8),
                       "{\"step\":1,\"a\":1}\n{\"note\":\"no step\"}\n{\"step\":2,\"a\":2}\n")
    }
}
