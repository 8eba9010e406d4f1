// Trimming a run's JSONL logs back to a checkpoint's step when a run is resumed.
import Foundation
import Runs
import XCTest

final class LogTruncationTests: XCTestCase {
    func temporaryLog() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("log-truncation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.appendingPathComponent("metrics.jsonl")
    }

    func testTruncateLogDropsLinesAfterTheStep() throws {
        let url = try temporaryLog()
        try Data("{\"step\":1,\"a\":1}\n{\"note\":\"no step\"}\n{\"step\":2,\"a\":2}\n{\"step\":3,\"a\":3}\n{\"step\":4.0}\n".utf8).write(to: url)
        try RunDirectory.truncateLog(url, afterStep: 2)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8),
                       "{\"step\":1,\"a\":1}\n{\"note\":\"no step\"}\n{\"step\":2,\"a\":2}\n")
    }

    /// A process killed in the middle of an append leaves a last line without its newline; the resumed run must not
    /// keep it (the next append would run into it and make one unreadable line of two records).
    func testTruncateLogDropsATornLastLine() throws {
        let url = try temporaryLog()
        try Data("{\"step\":1,\"a\":1}\n{\"step\":2,\"a\":2}\n{\"step\":3,\"a\"".utf8).write(to: url)
        try RunDirectory.truncateLog(url, afterStep: 5)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "{\"step\":1,\"a\":1}\n{\"step\":2,\"a\":2}\n")
        // Even a torn line that happens to parse (cut right after its closing brace) lacks its newline.
        try Data("{\"step\":1}\n{\"step\":2}".utf8).write(to: url)
        try RunDirectory.truncateLog(url, afterStep: 5)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "{\"step\":1}\n")
    }

    func testTruncateLogLeavesAMissingLogMissing() throws {
        let url = try temporaryLog()
        try RunDirectory.truncateLog(url, afterStep: 5)
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }
}
