// Checkpoint folders: atomic replacement, pruning to the newest K, half-written folders ignored. (Trimming a run's
// logs back to a checkpoint's step is tested with the run directory, in RunsTests.)
import Foundation
import TensorCore
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

    /// A process killed while writing (or swapping) a checkpoint leaves a temporary folder of that step; the next
    /// complete write deletes it.
    func testAWriteDeletesTemporaryFoldersAKilledWriterLeft() throws {
        let directory = try temporaryDirectory()
        for name in [".partial-step-000009", ".old-step-000003"] {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent(name), withIntermediateDirectories: true)
        }
        try CheckpointFolder.write(in: directory, step: 4, keep: 2) { try Data("4".utf8).write(to: $0.appendingPathComponent("state.json")) }
        XCTAssertEqual(try names(directory), ["step-000004"])
    }

    /// The names in a directory, hidden ones included (a left-over `.partial-*` folder is hidden).
    private func names(_ directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    func testAWriteThatFailsMidwayNamesTheFileAndLeavesNoPartialFolder() throws {
        let directory = try temporaryDirectory()
        try CheckpointFolder.write(in: directory, step: 1, keep: 2) { folder in
            try Data("1".utf8).write(to: folder.appendingPathComponent("state.json"))
        }
        // Disk full while writing the second file: the first is already in the temporary folder.
        XCTAssertThrowsError(try CheckpointFolder.write(in: directory, step: 2, keep: 2) { folder in
            try Data("model".utf8).write(to: folder.appendingPathComponent("model.safetensors"))
            throw CocoaError(.fileWriteOutOfSpace, userInfo: [NSFilePathErrorKey: folder.appendingPathComponent("optimizer.safetensors").path])
        }) { error in
            let failure = error as? CheckpointWriteError
            XCTAssertEqual(failure?.directory, directory.appendingPathComponent("step-000002").path)
            XCTAssertEqual(failure?.file, directory.appendingPathComponent("step-000002/optimizer.safetensors").path,
                           "the file is named where it would have been, not in the deleted temporary folder")
            XCTAssertTrue("\(error)".contains("previous complete checkpoint stays the latest"), "\(error)")
        }
        XCTAssertEqual(try names(directory), ["step-000001"])
        XCTAssertEqual(CheckpointFolder.latest(in: directory)?.lastPathComponent, "step-000001")
    }

    func testARealWriteErrorIsNamedThroughTheTensorWriter() throws {
        let directory = try temporaryDirectory()
        // Safetensors.write into a folder that does not exist fails for real, with a CheckpointError naming the file.
        XCTAssertThrowsError(try CheckpointFolder.write(in: directory, step: 3, keep: 2) { folder in
            try Safetensors.write(["w": Tensor(shape: [1], scalars: [1])], to: folder.appendingPathComponent("missing/model.safetensors"))
        }) { error in
            XCTAssertEqual((error as? CheckpointWriteError)?.file, directory.appendingPathComponent("step-000003/missing/model.safetensors").path)
        }
        XCTAssertEqual(try names(directory), [])
    }

    func testReplacingADirectoryThatFailsKeepsItsOldContent() throws {
        let parent = try temporaryDirectory()
        let destination = parent.appendingPathComponent("model")
        try CheckpointFolder.replaceDirectory(at: destination) { try Data("old".utf8).write(to: $0.appendingPathComponent("a")) }
        XCTAssertThrowsError(try CheckpointFolder.replaceDirectory(at: destination) { folder in
            try Data("new".utf8).write(to: folder.appendingPathComponent("a"))
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: folder.appendingPathComponent("b").path])
        }) { error in
            XCTAssertEqual((error as? CheckpointWriteError)?.file, destination.appendingPathComponent("b").path)
        }
        XCTAssertEqual(try names(parent), ["model"])
        XCTAssertEqual(try String(contentsOf: destination.appendingPathComponent("a"), encoding: .utf8), "old")
    }

    func testTheFailureInjectionSeamFailsAWriteAfterItsFiles() throws {
        let directory = try temporaryDirectory()
        CheckpointFolder.failureInjection = { folder in
            throw CocoaError(.fileWriteOutOfSpace, userInfo: [NSFilePathErrorKey: folder.appendingPathComponent("state.json").path])
        }
        defer { CheckpointFolder.failureInjection = nil }
        XCTAssertThrowsError(try CheckpointFolder.write(in: directory, step: 4, keep: 2) { folder in
            try Data("4".utf8).write(to: folder.appendingPathComponent("state.json"))
        }) { error in
            XCTAssertEqual((error as? CheckpointWriteError)?.file, directory.appendingPathComponent("step-000004/state.json").path)
        }
        XCTAssertEqual(try names(directory), [])
    }
}
