// The built `rlft` under `mpirun --oversubscribe -np 2`: SFT, reward modelling and DPO at 2 ranks end with the
// parameters of 1 rank given the same global batch (within 1e-5 relative after 20 steps, shards uneven on
// purpose), and a job that loses a rank fails with a message while its last checkpoint stays valid.
import Foundation
import LanguageModels
import TensorCore
import Tokenizers
import XCTest

final class DataParallelCommandTests: XCTestCase {
    // MARK: - Fixture

    /// `mpirun` on the PATH; the tests are skipped without it (`make deps` installs Open MPI).
    static func mpirun() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent("mpirun")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw XCTSkip("mpirun is not installed, so the data-parallel runs are not tested; `make deps` installs Open MPI (Debian: openmpi-bin libopenmpi-dev)")
    }

    /// The `rlft` executable of the same build as the test bundle, or the newest one under .build.
    static func rlft() throws -> URL {
        let bundle = Bundle(for: DataParallelCommandTests.self).bundleURL
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [bundle.deletingLastPathComponent().appendingPathComponent("rlft"),
                          root.appendingPathComponent(".build/release/rlft"), root.appendingPathComponent(".build/debug/rlft")]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("build the rlft executable first (swift build -c release --traits MPI)")
        }
        return found
    }

    /// Runs `executable arguments` to its end: exit status and standard output and error together.
    @discardableResult
    static func run(_ executable: URL, _ arguments: [String], killing: ((Process) -> Void)? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        // Open MPI refuses to run as root without these; a container's ptrace rules can break its shared-memory
        // single copy, which these tests do not need.
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        killing?(process)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    /// `rlft arguments` in one process, or under `mpirun --oversubscribe -np ranks`.
    @discardableResult
    static func rlft(_ arguments: [String], ranks: Int, killing: ((Process) -> Void)? = nil) throws -> (status: Int32, output: String) {
        let binary = try rlft()
        if ranks == 1 { return try run(binary, arguments, killing: killing) }
        return try run(try mpirun(), ["--oversubscribe", "-np", "\(ranks)", binary.path] + arguments, killing: killing)
    }

    /// A scratch directory with a tiny byte-level model (`base`), demonstrations (`sft.jsonl`) and comparisons
    /// (`comparisons.jsonl`).
    func fixture() throws -> URL {
        _ = try Self.mpirun()
        let version = try Self.run(try Self.rlft(), ["--version"]).output
        guard version.contains("Data parallel: MPI") else {
            throw XCTSkip("this rlft was built without the MPI trait; build with swift build -c release --traits MPI to test data-parallel runs")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("data-parallel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let tokenizer = try ByteTokenizer(specialTokens: ["<|endoftext|>", "<|pad|>"])
        var rng = SeededGenerator(seed: 1)
        let model = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 16, contextLength: 32,
                                              vocabularySize: tokenizer.vocabularySize), using: &rng)
        try model.save(to: directory.appendingPathComponent("base")) { try tokenizer.save(to: $0) }
        let dropoutModel = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 16, contextLength: 32,
                                                     vocabularySize: tokenizer.vocabularySize, dropout: 0.1), using: &rng)
        try dropoutModel.save(to: directory.appendingPathComponent("base-dropout")) { try tokenizer.save(to: $0) }
        let demonstrations = (0..<12).map { #"{"prompt": "Q: \#($0) + 1\nA:", "completion": " \#($0 + 1)"}"# }
        try Data((demonstrations.joined(separator: "\n") + "\n").utf8).write(to: directory.appendingPathComponent("sft.jsonl"))
        let prompts = (0..<12).map { #"{"prompt": "Q: \#($0) + 1\nA:"}"# }
        try Data((prompts.joined(separator: "\n") + "\n").utf8).write(to: directory.appendingPathComponent("prompts.jsonl"))
        let text = (0..<40).map { #"{"text": "counting: \#($0), \#($0 + 1), \#($0 + 2) and so on until \#($0 + 9)."}"# }
        try Data((text.joined(separator: "\n") + "\n").utf8).write(to: directory.appendingPathComponent("pretrain.jsonl"))
        let comparisons = (0..<12).map { #"{"prompt": "Q: \#($0) + 1\nA:", "chosen": " \#($0 + 1)", "rejected": " \#($0 + 7)x"}"# }
        try Data((comparisons.joined(separator: "\n") + "\n").utf8).write(to: directory.appendingPathComponent("comparisons.jsonl"))
        return directory
    }

    /// Every tensor of the `.safetensors` files in `directory`.
    static func tensors(in directory: URL) throws -> [String: Tensor] {
        var all: [String: Tensor] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() where name.hasSuffix(".safetensors") {
            for (key, tensor) in try Safetensors.read(contentsOf: directory.appendingPathComponent(name)) { all["\(name)/\(key)"] = tensor }
        }
        return all
    }

    /// ‖a − b‖ / ‖a‖ over every tensor: the same names, and parameters that agree to `tolerance`.
    func assertSameParameters(_ a: URL, _ b: URL, tolerance: Double, file: StaticString = #filePath, line: UInt = #line) throws {
        let x = try Self.tensors(in: a), y = try Self.tensors(in: b)
        XCTAssertFalse(x.isEmpty, "no .safetensors in \(a.path)", file: file, line: line)
        XCTAssertEqual(Set(x.keys), Set(y.keys), file: file, line: line)
        var difference = 0.0, norm = 0.0
        for (key, tensor) in x {
            guard let other = y[key] else { continue }
            for (u, v) in zip(tensor.scalars, other.scalars) {
                difference += Double(u - v) * Double(u - v)
                norm += Double(u) * Double(u)
            }
        }
        let relative = (difference / max(norm, 1e-30)).squareRoot()
        print("parameters of \(a.lastPathComponent) and \(b.lastPathComponent): relative difference \(relative)")
        XCTAssertLessThanOrEqual(relative, tolerance, "relative difference \(relative) of the parameters", file: file, line: line)
        XCTAssertGreaterThan(norm, 0, file: file, line: line)
    }

    /// Runs `command` at 1 and at 2 ranks and compares the final models.
    func assertTwoRanksEqualOne(_ command: String, _ arguments: (URL) -> [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let directory = try fixture()
        var outputs: [URL] = []
        for ranks in [1, 2] {
            let out = directory.appendingPathComponent("\(command)-\(ranks)")
            let (status, output) = try Self.rlft([command] + arguments(directory) + ["--out", out.path, "--threads", "1"], ranks: ranks)
            XCTAssertEqual(status, 0, "rlft \(command) at \(ranks) rank(s) failed:\n\(output)", file: file, line: line)
            if ranks == 2 { XCTAssertTrue(output.contains("2 ranks"), output, file: file, line: line) }
            outputs.append(out.appendingPathComponent("model"))
        }
        try assertSameParameters(outputs[0], outputs[1], tolerance: 1e-5, file: file, line: line)
    }

    // MARK: - Two ranks equal one

    func testSFTAtTwoRanksEqualsOneRank() throws {
        // 5 examples per step: shards of 3 and 2, weighted by their supervised tokens.
        try assertTwoRanksEqualOne("sft") { d in
            ["--train", d.appendingPathComponent("sft.jsonl").path, "--model", d.appendingPathComponent("base").path,
             "--steps", "20", "--batch-size", "5", "--warmup-steps", "2", "--learning-rate", "0.003",
             "--validation-fraction", "0", "--checkpoint-every", "10"]
        }
    }

    func testSFTWithDropoutAtTwoRanksEqualsOneRankWithExampleSeeding() throws {
        // Each row's dropout masks come from (seed, step, row), so the shards draw the masks one process draws.
        try assertTwoRanksEqualOne("sft") { d in
            ["--train", d.appendingPathComponent("sft.jsonl").path, "--model", d.appendingPathComponent("base-dropout").path,
             "--steps", "20", "--batch-size", "5", "--warmup-steps", "2", "--learning-rate", "0.003",
             "--validation-fraction", "0", "--checkpoint-every", "10", "--example-seeding", "true"]
        }
    }

    func testRewardModellingAtTwoRanksEqualsOneRank() throws {
        try assertTwoRanksEqualOne("reward") { d in
            ["--train", d.appendingPathComponent("comparisons.jsonl").path, "--model", d.appendingPathComponent("base").path,
             "--steps", "20", "--batch-size", "3", "--warmup-steps", "2", "--learning-rate", "0.003",
             "--normalization", "none", "--checkpoint-every", "10"]
        }
    }

    func testDPOAtTwoRanksEqualsOneRank() throws {
        try assertTwoRanksEqualOne("dpo") { d in
            ["--train", d.appendingPathComponent("comparisons.jsonl").path, "--model", d.appendingPathComponent("base").path,
             "--steps", "20", "--batch-size", "3", "--warmup-steps", "2", "--learning-rate", "0.003", "--checkpoint-every", "10"]
        }
    }

    func testORPOAndKTOAtTwoRanksEqualOneRank() throws {
        // ORPO's shards carry the global batch's denominators; KTO's reference point is the global batch's.
        for command in ["orpo", "kto"] {
            try assertTwoRanksEqualOne(command) { d in
                ["--train", d.appendingPathComponent("comparisons.jsonl").path, "--model", d.appendingPathComponent("base").path,
                 "--steps", "20", "--batch-size", "3", "--warmup-steps", "2", "--learning-rate", "0.003", "--checkpoint-every", "10"]
            }
        }
    }

    func testPretrainingAtTwoRanksEqualsOneRank() throws {
        // 5 blocks per step: shards of 2 and 3 rows.
        try assertTwoRanksEqualOne("pretrain") { d in
            ["--data", d.appendingPathComponent("pretrain.jsonl").path, "--steps", "20", "--batch-size", "5",
             "--layer-count", "1", "--head-count", "2", "--embedding-size", "16", "--context-length", "32", "--block-length", "32",
             "--warmup-steps", "2", "--validation-interval", "10", "--validation-blocks", "8", "--sample-interval", "10",
             "--sample-length", "8", "--checkpoint-interval", "10"]
        }
    }

    /// The metrics.jsonl records of a run, by step.
    static func metrics(_ run: URL) throws -> [Int: [String: Double]] {
        let text = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        var records: [Int: [String: Double]] = [:]
        for line in text.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let step = object["step"] as? Int else { continue }
            for (key, value) in object { if let number = value as? Double { records[step, default: [:]][key] = number } }
        }
        return records
    }

    /// (iteration, prompt, occurrence) → completion of a run's samples.jsonl.
    static func samples(_ run: URL) throws -> [String: String] {
        let text = try String(contentsOf: run.appendingPathComponent("samples.jsonl"), encoding: .utf8)
        var samples: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let prompt = object["prompt"] as? String, let completion = object["completion"] as? String else { continue }
            let iteration = (object["scores"] as? [String: Any])?["iteration"] ?? object["iteration"] ?? "?"
            // A prompt can occur twice in one iteration (the batch wraps around the prompt set): number them.
            var key = "\(iteration) \(prompt)", occurrence = 0
            while samples["\(key) #\(occurrence)"] != nil { occurrence += 1 }
            key += " #\(occurrence)"
            samples[key] = completion
        }
        return samples
    }

    /// Runs an online RL command at 1 and 2 ranks against a small reward model; returns the two run directories.
    func runOnlineRL(_ command: String, _ options: [String]) throws -> [URL] {
        let directory = try fixture()
        // A reward model to optimise (one process).
        let rewardModel = directory.appendingPathComponent("rm")
        let trained = try Self.rlft(["reward", "--train", directory.appendingPathComponent("comparisons.jsonl").path,
                                     "--model", directory.appendingPathComponent("base").path, "--out", rewardModel.path,
                                     "--steps", "10", "--batch-size", "4", "--normalization", "none", "--threads", "1"], ranks: 1)
        XCTAssertEqual(trained.status, 0, trained.output)
        var runs: [URL] = []
        for ranks in [1, 2] {
            let out = directory.appendingPathComponent("\(command)-\(ranks)")
            let (status, output) = try Self.rlft([command, "--model", directory.appendingPathComponent("base").path,
                                                  "--reward-model", rewardModel.appendingPathComponent("model").path,
                                                  "--prompts", directory.appendingPathComponent("prompts.jsonl").path,
                                                  "--out", out.path, "--maximum-new-tokens", "10", "--learning-rate", "0.001",
                                                  "--example-seeding", "true", "--checkpoint-every", "2", "--samples-every", "1",
                                                  "--threads", "1"] + options, ranks: ranks)
            XCTAssertEqual(status, 0, "rlft \(command) at \(ranks) rank(s) failed:\n\(output)")
            runs.append(out)
        }
        return runs
    }

    /// Rank 0's samples are one process's, and metrics and final parameters agree within 1e-4.
    func assertSameRun(_ runs: [URL], metrics keys: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let one = try Self.samples(runs[0]), two = try Self.samples(runs[1])
        XCTAssertFalse(two.isEmpty, file: file, line: line)
        for (key, completion) in two { XCTAssertEqual(one[key], completion, "the response to \(key)", file: file, line: line) }
        let m1 = try Self.metrics(runs[0]), m2 = try Self.metrics(runs[1])
        XCTAssertEqual(Set(m1.keys), Set(m2.keys), file: file, line: line)
        for (step, record) in m1 {
            for key in keys {
                guard let a = record[key], let b = m2[step]?[key] else { XCTFail("\(key) missing at iteration \(step)", file: file, line: line); continue }
                XCTAssertLessThanOrEqual(abs(a - b), 1e-4 * max(1, abs(a)), "\(key) at iteration \(step): \(a) and \(b)", file: file, line: line)
            }
        }
        try assertSameParameters(runs[0].appendingPathComponent("model"), runs[1].appendingPathComponent("model"), tolerance: 1e-4,
                                 file: file, line: line)
    }

    func testGRPOAndRLOOAtTwoRanksSampleTheTokensOfOneRankAndEndWithItsParameters() throws {
        // Groups stay within a rank (2 prompts each); RLOO normalises its advantages over the whole batch.
        let grpo = try runOnlineRL("grpo", ["--iterations", "3", "--prompts-per-iteration", "4", "--generations", "3",
                                            "--scale-rewards", "batch"])
        try assertSameRun(grpo, metrics: ["objective/reward", "objective/kl", "objective/advantage_std", "response/length",
                                          "loss/policy", "policy/ratio"])
        let rloo = try runOnlineRL("rloo", ["--iterations", "3", "--prompts-per-iteration", "4", "--generations", "2",
                                            "--normalize-advantages", "true"])
        try assertSameRun(rloo, metrics: ["objective/reward", "objective/kl", "objective/advantage_std", "response/length",
                                          "loss/policy", "policy/ratio"])
    }

    func testPPOAtTwoRanksSamplesTheTokensOfOneRankAndEndsWithItsParameters() throws {
        let runs = try runOnlineRL("ppo", ["--iterations", "4", "--batch-size", "8", "--mini-batch-size", "4", "--epochs", "2"])
        try assertSameRun(runs, metrics: ["objective/reward", "objective/kl", "objective/entropy", "response/length", "loss/policy",
                                          "loss/value", "policy/approxkl", "val/explained_variance"])
    }

    func testPretrainingWithDropoutAtTwoRanksEqualsOneRankWithExampleSeeding() throws {
        try assertTwoRanksEqualOne("pretrain") { d in
            ["--data", d.appendingPathComponent("pretrain.jsonl").path, "--steps", "20", "--batch-size", "5",
             "--layer-count", "1", "--head-count", "2", "--embedding-size", "16", "--context-length", "32", "--block-length", "32",
             "--warmup-steps", "2", "--validation-interval", "10", "--validation-blocks", "8", "--sample-interval", "10",
             "--sample-length", "8", "--checkpoint-interval", "10", "--dropout", "0.1", "--example-seeding", "true"]
        }
    }

    // MARK: - Failure

    func testCommandsThatCannotRunOnSeveralRanksSaySoAndABatchSmallerThanTheRanksIsRefused() throws {
        let directory = try fixture()
        let pipeline = try Self.rlft(["pipeline", "--out", directory.appendingPathComponent("pipeline").path], ranks: 2)
        XCTAssertNotEqual(pipeline.status, 0)
        XCTAssertTrue(pipeline.output.contains("rlft pipeline runs in one process; start it without mpirun"), pipeline.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("pipeline").path))
        let grpo = try Self.rlft(["grpo", "--model", directory.appendingPathComponent("base").path, "--reward", "gold",
                                  "--prompts", directory.appendingPathComponent("prompts.jsonl").path,
                                  "--out", directory.appendingPathComponent("grpo").path, "--prompts-per-iteration", "1"], ranks: 2)
        XCTAssertNotEqual(grpo.status, 0)
        XCTAssertTrue(grpo.output.contains("every one of the 2 ranks needs at least one prompt"), grpo.output)
    }

    func testAJobThatLosesARankFailsWithAMessageAndItsLastCheckpointStaysValid() throws {
        let directory = try fixture()
        let out = directory.appendingPathComponent("killed")
        let checkpoints = out.appendingPathComponent("checkpoints")
        let arguments = ["sft", "--train", directory.appendingPathComponent("sft.jsonl").path,
                         "--model", directory.appendingPathComponent("base").path, "--out", out.path, "--threads", "1",
                         "--steps", "100000", "--batch-size", "4", "--validation-fraction", "0", "--checkpoint-every", "5"]
        let (status, output) = try Self.rlft(arguments, ranks: 2) { process in
            // Once a checkpoint exists, kill rank 1 (the rlft process that is not rank 0's: the higher PID).
            let deadline = Date().addingTimeInterval(120)
            while process.isRunning && ((try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? []).filter({ $0.hasPrefix("step-") }).count < 2
                    && Date() < deadline {
                usleep(20_000)
            }
            let ranks = Self.children(of: process.processIdentifier).sorted()
            if let victim = ranks.last { kill(victim, SIGKILL) }
        }
        print("the job that lost a rank exited with status \(status):\n\(output.suffix(1500))")
        XCTAssertNotEqual(status, 0, output)
        XCTAssertFalse(output.isEmpty, "the failed job should say why")
        XCTAssertTrue(output.lowercased().contains("signal") || output.lowercased().contains("killed") || output.contains("exited"), output)
        // The newest checkpoint is complete: a run of one process resumes from it.
        let resumed = try Self.rlft(["sft", "--resume", out.path, "--threads", "1"], ranks: 1, killing: { process in
            usleep(300_000)
            process.interrupt()
        })
        XCTAssertTrue(resumed.output.contains("resuming"), resumed.output)
        XCTAssertFalse(resumed.output.contains("error"), resumed.output)
    }

    func testSIGUSR1ToMpirunStopsEveryRankAfterTheSameStepWithACheckpoint() throws {
        let directory = try fixture()
        let out = directory.appendingPathComponent("stopped")
        let checkpoints = out.appendingPathComponent("checkpoints")
        let (status, output) = try Self.rlft(["sft", "--train", directory.appendingPathComponent("sft.jsonl").path,
                                              "--model", directory.appendingPathComponent("base").path, "--out", out.path,
                                              "--threads", "1", "--steps", "100000", "--batch-size", "4", "--validation-fraction", "0",
                                              "--checkpoint-every", "20"], ranks: 2) { process in
            let deadline = Date().addingTimeInterval(120)
            while process.isRunning && !FileManager.default.fileExists(atPath: checkpoints.path) && Date() < deadline { usleep(20_000) }
            kill(process.processIdentifier, SIGUSR1)
        }
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("interrupted: checkpoint written"), output)
        let resumed = try Self.rlft(["sft", "--resume", out.path, "--threads", "1"], ranks: 1) { process in
            usleep(300_000)
            process.interrupt()
        }
        XCTAssertTrue(resumed.output.contains("resuming"), resumed.output)
    }

    /// The PIDs of `parent`'s child processes named rlft (mpirun's ranks), from /proc.
    static func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
            // pid (comm) state ppid …
            guard let close = stat.lastIndex(of: ")") else { return false }
            let name = stat[stat.index(after: stat.firstIndex(of: "(")!)..<close]
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            return name == "rlft" && fields.count > 1 && Int32(fields[1]) == parent
        }
    }
}
