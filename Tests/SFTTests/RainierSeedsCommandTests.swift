// `rlft rainier --seeds`: one experiment per seed and the table pooled over them, and a second call reloads the
// finished runs.
import Foundation
import XCTest

final class RainierSeedsCommandTests: XCTestCase {
    func testSeedsRunOneExperimentEachAndPoolThem() throws {
        let out = try CommandFixture.directory(self, "rainier-seeds").appendingPathComponent("runs")
        let arguments = ["rainier", "--seeds", "0,1", "--out", out.path, "--entities-per-category", "3", "--training-variants", "2",
                         "--test-variants", "1", "--qa-steps", "5", "--pretraining-steps", "5", "--imitation-steps", "5",
                         "--ppo-iterations", "1", "--ppo-batch-size", "8", "--knowledge-samples", "2", "--bootstrap-resamples", "20",
                         "--width", "32", "--threads", "1"]
        let (status, stderr) = try CommandFixture.run(arguments)
        XCTAssertEqual(status, 0, stderr)
        for seed in [0, 1] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("seed-\(seed)/report.md").path))
        }
        let summary = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(summary.contains("Seeds 0, 1, pooled"), summary)
        XCTAssertTrue(summary.contains("| unseen average |"), summary)
        XCTAssertTrue(summary.contains("(seed 0 ") && summary.contains("seed 1 "), summary)

        // Again: both runs are finished, so they are reloaded and give the same summary.
        let again = try CommandFixture.run(arguments)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8), summary)
    }
}
