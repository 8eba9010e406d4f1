// Two `rlft` processes, one run directory: while a live run holds the directory, a second writer (another `rlft`
// process or this one) is refused with a message naming the first one's PID; once the first is SIGKILLed, its
// lock file no longer blocks. Runs the built `rlft` binary next to the test bundle; skipped when it is not built.
import Foundation
import LanguageModels
import Runs
import TensorCore
import Tokenizers
import XCTest

final class RunDirectoryLockCommandTests: XCTestCase {
    func testASecondWriterIsRefusedWithTheFirstPIDAndAKilledRunDoesNotBlock() throws {
        let directory = try CommandFixture.directory(self, "run-lock-command")
        let modelURL = try CommandFixture.tinyModel(in: directory).url
        _ = try CommandFixture.demonstrations(in: directory)
        let out = directory.appendingPathComponent("run")
        let arguments = ["sft", "--train", directory.appendingPathComponent("sft.jsonl").path, "--model", modelURL.path,
                         "--out", out.path, "--steps", "1000000", "--batchSize", "2", "--checkpoint-every", "1000000"]

        // The first run, long enough to be killed while it trains.
        let first = try CommandFixture.start(arguments)
        addTeardownBlock { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        let lockFile = out.appendingPathComponent(RunLock.fileName)
        let deadline = Date().addingTimeInterval(60)
        while first.isRunning && (try? String(contentsOf: lockFile, encoding: .utf8)) != "\(first.processIdentifier)\n" && Date() < deadline {
            usleep(5_000)
        }
        XCTAssertTrue(first.isRunning, "the first run is still training")

        // This process, as a second writer.
        XCTAssertThrowsError(try RunDirectory(out)) { error in
            XCTAssertEqual(error as? RunLockError, .inUse(directory: out.path, lockFile: lockFile.path, pid: first.processIdentifier))
        }

        // A second rlft process on the same directory: exit status 1 and the first one's PID in the message.
        let (status, message) = try CommandFixture.run(arguments)
        XCTAssertEqual(status, 1)
        XCTAssertTrue(message.contains("is in use by process \(first.processIdentifier)"), message)

        // SIGKILL leaves the lock file, naming a dead process, but the kernel has dropped the lock.
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        XCTAssertEqual(try String(contentsOf: lockFile, encoding: .utf8), "\(first.processIdentifier)\n")
        let run = try RunDirectory(out)
        XCTAssertEqual(run.url, out)
        XCTAssertEqual(try String(contentsOf: lockFile, encoding: .utf8), "\(ProcessInfo.processInfo.processIdentifier)\n")
    }
}
