// `rlft pipeline --seeds`: one run per seed and a summary over seeds, and a second call reloads the finished runs.
import Foundation
import XCTest

final class PipelineSeedsCommandTests: XCTestCase {
    func testSeedsRunOnePipelineEachAndSummariseThem() throws {
        let out = try CommandFixture.directory(self, "pipeline-seeds").appendingPathComponent("runs")
        let arguments = ["pipeline", "--seeds", "0,1", "--out", out.path, "--maximum-steps", "2", "--layers", "1", "--width", "32",
                         "--heads", "2", "--evaluation-prompts", "8", "--bootstrap-resamples", "20", "--ppo-batch-size", "8",
                         "--best-of-n", "[1]", "--threads", "1"]
        let (status, stderr) = try CommandFixture.run(arguments)
        XCTAssertEqual(status, 0, stderr)
        for seed in [0, 1] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("seed-\(seed)/report.md").path))
        }
        let summary = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(summary.contains("Seeds 0, 1: mean [95 % Student-t interval over 2 seeds]"), summary)
        XCTAssertTrue(summary.contains("| PPO-ptx"), summary)
        XCTAssertTrue(summary.contains("seed 0 ") && summary.contains("seed 1 "), summary)

        // Again: both runs are finished, so they are reloaded and give the same summary.
        let again = try CommandFixture.run(arguments)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8), summary)
    }
}
