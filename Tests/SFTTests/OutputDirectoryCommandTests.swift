// End to end: a run directory never loses work. `--out` naming a finished run is refused (it offers --resume and
// --overwrite), --overwrite starts over without leftovers, a refused option leaves nothing on disk, and an --out
// that is a file gets a message. Runs the built `rlft` binary; skipped when it has not been built.
import Foundation
import XCTest

final class OutputDirectoryCommandTests: XCTestCase {
    func testUsedDirectoriesAreRefusedOverwriteStartsCleanAndRefusedOptionsWriteNothing() throws {
        let directory = try CommandFixture.directory(self, "out-dir")
        let modelURL = try CommandFixture.tinyModel(in: directory).url
        let train = try CommandFixture.demonstrations(in: directory)
        let out = directory.appendingPathComponent("run")
        func sft(_ extra: [String], out: URL = out) throws -> (status: Int32, stderr: String) {
            try CommandFixture.run(["sft", "--train", train.path, "--model", modelURL.path, "--out", out.path, "--batch-size", "2",
                                    "--warmup-steps", "1", "--checkpoint-every", "2", "--quiet"] + extra)
        }

        XCTAssertEqual(try sft(["--steps", "6"]).status, 0)
        let again = try sft(["--steps", "4"])
        XCTAssertNotEqual(again.status, 0, "a finished run is never written over silently")
        XCTAssertTrue(again.stderr.contains("already holds a run") && again.stderr.contains("--resume") && again.stderr.contains("--overwrite"),
                      again.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("checkpoints/step-000006").path))

        let overwritten = try sft(["--steps", "4", "--overwrite"])
        XCTAssertEqual(overwritten.status, 0, overwritten.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("checkpoints").path).sorted(),
                       ["step-000002", "step-000004"], "none of the old run's checkpoints remain")
        let steps = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
            .compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["step"] as? Int }
        XCTAssertEqual(steps.max(), 4, "metrics.jsonl holds the new run only")

        let refused = directory.appendingPathComponent("refused")
        XCTAssertNotEqual(try sft(["--batch-size", "0"], out: refused).status, 0)
        XCTAssertNotEqual(try sft(["--stpes", "3"], out: refused).status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: refused.path), "a refused option leaves nothing on disk")

        let file = directory.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        let onFile = try sft([], out: file)
        XCTAssertNotEqual(onFile.status, 0)
        XCTAssertTrue(onFile.stderr.contains("is a file, not a directory"), onFile.stderr)
    }
}
