// End to end: `rlft sft` stopped by Ctrl-C (SIGINT) writes a checkpoint and exits cleanly, and `rlft sft --resume`
// finishes with the same metrics.jsonl and final parameters as a run that was never stopped. Runs the built `rlft`
// binary next to the test bundle; skipped when it has not been built.
import Foundation
import LanguageModels
import TensorCore
import Tokenizers
import XCTest

final class SFTCommandResumeTests: XCTestCase {
    func testInterruptedAndResumedCommandMatchesAnUninterruptedOne() throws {
        let directory = try CommandFixture.directory(self, "sft-command")
        let modelURL = try CommandFixture.tinyModel(in: directory).url
        _ = try CommandFixture.demonstrations(in: directory)
        func arguments(_ out: String) -> [String] {
            ["sft", "--train", directory.appendingPathComponent("sft.jsonl").path, "--model", modelURL.path,
             "--out", directory.appendingPathComponent(out).path, "--steps", "2000", "--batchSize", "2",
             "--evaluationInterval", "500", "--validationFraction", "0.25", "--checkpoint-every", "100"]
        }

        let whole = try CommandFixture.start(arguments("whole"))
        whole.waitUntilExit()
        XCTAssertEqual(whole.terminationStatus, 0)

        // Ctrl-C once the first checkpoint exists.
        let stopped = try CommandFixture.start(arguments("stopped"))
        let checkpoints = directory.appendingPathComponent("stopped/checkpoints")
        CommandFixture.interrupt(stopped, once: checkpoints.appendingPathComponent("step-000100"))
        XCTAssertEqual(stopped.terminationStatus, 0, "Ctrl-C exits cleanly")
        let names = try FileManager.default.contentsOfDirectory(atPath: checkpoints.path).sorted()
        XCTAssertFalse(names.isEmpty)
        XCTAssertFalse(names.contains { $0.hasPrefix(".") }, "no temporary folder is left behind: \(names)")
        XCTAssertNotEqual(names.last, "step-002000", "the run was stopped before its end")

        let resumed = try CommandFixture.start(["sft", "--resume", directory.appendingPathComponent("stopped").path])
        resumed.waitUntilExit()
        XCTAssertEqual(resumed.terminationStatus, 0)
        for file in ["metrics.jsonl", "checkpoints/step-002000/model.safetensors", "checkpoint/model.safetensors"] {
            let a = try Data(contentsOf: directory.appendingPathComponent("whole/\(file)"))
            let b = try Data(contentsOf: directory.appendingPathComponent("stopped/\(file)"))
            XCTAssertEqual(a, b, "\(file) differs between the uninterrupted and the resumed run")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("stopped/loss.svg").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("stopped/report.md").path))
    }
}
