import XCTest
import Foundation
import Runs

/// A small configuration used to exercise loading, overrides and help.
struct DemoConfig: DocumentedConfiguration, Equatable {
    var steps = 100
    var learningRate = 0.001
    var useCache = true
    var name = "demo"
    var sizes = [1, 2]

    static let fieldDocumentation: [(name: String, description: String)] = [
        ("steps", "optimisation steps"), ("learningRate", "peak learning rate"),
        ("useCache", "reuse the cache"), ("name", "run name"), ("sizes", "layer sizes"),
    ]

    func validate() throws {
        if steps <= 0 { throw ConfigurationError.badValue(field: "steps", value: "\(steps)", expected: "a positive integer") }
    }
}

final class RunsTests: XCTestCase {
    func testParsingForms() throws {
        let a = try CommandLineArguments(["sft", "--steps", "5", "--learningRate=0.01", "--help", "extra"])
        XCTAssertEqual(a.command, "sft")
        XCTAssertEqual(a.options["steps"], "5")
        XCTAssertEqual(a.options["learningRate"], "0.01")
        XCTAssertTrue(a.wantsHelp)
        XCTAssertEqual(a.positional, ["extra"])
        XCTAssertThrowsError(try CommandLineArguments(["sft", "--steps"])) { error in
            XCTAssertEqual("\(error)", "--steps needs a value, e.g. --steps 10 or --steps=10")
        }
    }

    func testOverridesAndTypes() throws {
        let c = try DemoConfig.load(arguments: try CommandLineArguments(["x", "--steps", "7", "--learningRate", "0.5", "--useCache", "false", "--name", "n", "--sizes", "[3,4]"]))
        XCTAssertEqual(c, DemoConfig(steps: 7, learningRate: 0.5, useCache: false, name: "n", sizes: [3, 4]))
    }

    func testUnknownFieldAndBadValues() throws {
        XCTAssertThrowsError(try DemoConfig.load(arguments: try CommandLineArguments(["x", "--stpes", "7"]))) { error in
            XCTAssertTrue("\(error)".hasPrefix("unknown option --stpes."), "\(error)")
            XCTAssertTrue("\(error)".contains("steps"))
        }
        XCTAssertThrowsError(try DemoConfig.load(arguments: try CommandLineArguments(["x", "--stpes", "7"]))) { error in
            XCTAssertTrue("\(error)".contains("Did you mean --steps?"), "a swapped pair of letters is one edit: \(error)")
        }
        XCTAssertThrowsError(try DemoConfig.load(arguments: try CommandLineArguments(["x", "--learningrat", "7"]))) { error in
            XCTAssertTrue("\(error)".contains("Did you mean --learning-rate?"), "\(error)")
        }
        XCTAssertThrowsError(try DemoConfig.load(arguments: try CommandLineArguments(["x", "--steps", "many"]))) { error in
            XCTAssertEqual("\(error)", "--steps has value 'many', but it must be a whole number, such as 100")
        }
        XCTAssertThrowsError(try DemoConfig.load(arguments: try CommandLineArguments(["x", "--steps", "2.5"]))) { error in
            XCTAssertEqual("\(error)", "--steps has value '2.5', but it must be a whole number, such as 100")
        }
        XCTAssertThrowsError(try DemoConfig.load(arguments: try CommandLineArguments(["x", "--learning-rate", "fast"]))) { error in
            XCTAssertTrue("\(error)".hasPrefix("--learning-rate has value 'fast', but it must be a finite number"), "\(error)")
        }
        XCTAssertThrowsError(try DemoConfig.load(arguments: try CommandLineArguments(["x", "--steps", "-3"]))) { error in
            XCTAssertEqual("\(error)", "--steps has value '-3', but it must be a positive integer")
        }
    }

    func testCommandDefaultsThenOverride() throws {
        // A command's own defaults (per-task settings) replace the type's, and options still override them.
        let defaults = DemoConfig(steps: 40, learningRate: 0.01, useCache: true, name: "task", sizes: [1])
        let c = try DemoConfig.load(arguments: try CommandLineArguments(["x", "--steps", "7"]), defaults: defaults)
        XCTAssertEqual(c, DemoConfig(steps: 7, learningRate: 0.01, useCache: true, name: "task", sizes: [1]))
    }

    func testConfigFileThenOverride() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("runs-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("c.json")
        try Data(#"{"steps": 9, "name": "file"}"#.utf8).write(to: file)
        let c = try DemoConfig.load(arguments: try CommandLineArguments(["x", "--config", file.path, "--name", "cli"]))
        XCTAssertEqual(c.steps, 9)
        XCTAssertEqual(c.name, "cli")
        try Data(#"{"bogus": 1}"#.utf8).write(to: file)
        XCTAssertThrowsError(try DemoConfig.load(arguments: try CommandLineArguments(["x", "--config", file.path])))
    }

    func testHelpListsDefaults() {
        let help = DemoConfig.helpText(command: "demo", summary: "a demo")
        XCTAssertTrue(help.contains("--steps (default 100)"))
        XCTAssertTrue(help.contains("--learning-rate (default 0.001)"))
    }

    func testRemovingRecordsDropsATornLastLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        try withExtendedLifetime(try RunDirectory(dir)) { run in
            try Data("{\"step\":1}\n{\"step\":2}\n{\"step\":3,\"lo".utf8).write(to: run.file("metrics.jsonl"))
            try run.removeMetrics { ($0["step"] as? Int ?? 0) > 1 }
            XCTAssertEqual(try String(contentsOf: run.file("metrics.jsonl"), encoding: .utf8), "{\"step\":1}\n")
            try run.appendMetrics(step: 2, ["loss": 0.5])
            XCTAssertEqual(try run.readMetrics().count, 2, "the next append starts a line of its own")
        }
    }

    /// SIGKILL during an atomic write leaves `.NAME.tmp-PID`; the next process to open the directory deletes it
    /// (it holds the lock, so that PID is dead) and keeps its own and everything else.
    func testOpeningADirectoryDeletesTemporaryFilesOfDeadWriters() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let own = ".config.json.tmp-\(ProcessInfo.processInfo.processIdentifier)"
        for name in [".metrics.jsonl.tmp-999999", ".samples.jsonl.tmp-12", own, ".notes.tmp-x", "data.tmp-3", "metrics.jsonl"] {
            try Data("x".utf8).write(to: dir.appendingPathComponent(name))
        }
        try withExtendedLifetime(try RunDirectory(dir)) {
            let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
            XCTAssertEqual(names, [".lock", own, ".notes.tmp-x", "data.tmp-3", "metrics.jsonl"].sorted())
        }
    }

    func testRunDirectoryLogsAndAtomicWrite() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID())")
        let run = try RunDirectory(dir)
        try run.appendMetrics(step: 1, ["objective/kl": 0.5])
        try run.appendMetrics(step: 2, ["objective/kl": .nan])
        try run.appendSample(method: "sft", prompt: "p", completion: "c", scores: ["gold": 1])
        let metrics = try run.readMetrics()
        XCTAssertEqual(metrics.count, 2)
        XCTAssertEqual(metrics[0]["objective/kl"] as? Double, 0.5)
        try run.writeAtomically(Data("x".utf8), to: "a.txt")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        XCTAssertFalse(names.contains { $0.contains(".tmp-") })
        let svg = svgLineChart(title: "t", xLabel: "x", yLabel: "y", series: [PlotSeries(name: "a", points: [(0, 1), (1, 2)])])
        XCTAssertTrue(svg.hasPrefix("<svg") && svg.contains("polyline"))
    }
}

final class StepReporterTests: XCTestCase {
    func testALineAtTheFirstAndLastStepAndAtMostOncePerInterval() {
        let reporter = StepReporter(interval: 3600)
        let first = reporter.dueLine("sft", step: 1, total: 10, metrics: ["sft/loss": 2.5, "sft/grad_norm": 1])
        XCTAssertEqual(first?.hasPrefix("sft 1/10 | "), true, first ?? "nil")
        XCTAssertEqual(first?.contains("sft/loss 2.5000"), true, "losses are shown by default: \(first ?? "nil")")
        XCTAssertEqual(first?.contains("grad_norm"), false)
        XCTAssertNil(reporter.dueLine("sft", step: 2, total: 10, metrics: [:]), "silent within the interval")
        XCTAssertNotNil(reporter.dueLine("sft", step: 10, total: 10, metrics: [:]), "the last step always reports")
        XCTAssertNotNil(reporter.dueLine("reward", step: 1, total: 5, metrics: [:]), "a new stage reports its first step")
        let every = StepReporter(interval: 0, keys: ["objective/kl"])
        XCTAssertEqual(every.dueLine("ppo", step: 3, total: nil, metrics: ["objective/kl": 0.25, "loss": 1])?.hasSuffix("objective/kl 0.2500"), true)
        XCTAssertNotNil(every.dueLine("ppo", step: 4, total: nil, metrics: [:]))
    }
}

/// A configuration with a renamed field, for the spelling tests.
struct SpellingDemoConfig: DocumentedConfiguration, Equatable {
    var warmupSteps = 1
    var maximumGradientNorm = 1.0
    static let fieldDocumentation: [(name: String, description: String)] = [
        ("warmupSteps", "warm-up steps"), ("maximumGradientNorm", "gradient clipping"),
    ]
    static let renamedFields = ["gradientClipNorm": "maximumGradientNorm"]
    func validate() throws {}
}

final class OptionSpellingTests: XCTestCase {
    func testKebabCaseIsTheSpellingAndFormerNamesStillWorkWithANote() throws {
        XCTAssertEqual(OptionSpelling.kebab("maximumGradientNorm"), "maximum-gradient-norm")
        XCTAssertEqual(OptionSpelling.camel("maximum-gradient-norm"), "maximumGradientNorm")
        XCTAssertEqual(OptionSpelling.kebab("steps"), "steps")
        var notes: [String] = []
        DeprecationNotes.handler = { notes.append($0) }
        defer { DeprecationNotes.handler = { _ in } }

        let kebab = try SpellingDemoConfig.load(arguments: CommandLineArguments(["x", "--warmup-steps", "3", "--maximum-gradient-norm", "2"]))
        XCTAssertEqual(kebab, SpellingDemoConfig(warmupSteps: 3, maximumGradientNorm: 2))
        XCTAssertEqual(notes, [], "the canonical spelling prints nothing")
        let former = try SpellingDemoConfig.load(arguments: CommandLineArguments(["x", "--warmupSteps", "3", "--gradient-clip-norm", "2"]))
        XCTAssertEqual(former, kebab)
        XCTAssertEqual(notes, ["note: --warmupSteps is now spelled --warmup-steps; the old spelling still works for now",
                               "note: --gradient-clip-norm is now --maximum-gradient-norm; the old name still works for now"])

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("spelling-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(#"{"gradientClipNorm": 4}"#.utf8).write(to: file)
        XCTAssertEqual(try SpellingDemoConfig.load(arguments: CommandLineArguments(["x", "--config", file.path])).maximumGradientNorm, 4)
        XCTAssertTrue(notes.last!.contains("\"gradientClipNorm\" in \(file.path) is now \"maximumGradientNorm\""), notes.last!)
        XCTAssertTrue(SpellingDemoConfig.helpText(command: "x", summary: "s").contains("--maximum-gradient-norm (default 1"))
    }
}

/// The run-directory lock: one writer per directory, the holder's PID in the refusal, no blocking by a lock file
/// a dead process left. (SFTTests/RunDirectoryLockCommandTests checks the same across real `rlft` processes.)
final class RunLockTests: XCTestCase {
    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("run-lock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    private func lockFile(_ directory: URL) -> URL { directory.appendingPathComponent(RunLock.fileName) }

    func testASecondLockIsRefusedWithTheHoldersPIDUntilTheFirstIsReleased() throws {
        let directory = try temporaryDirectory()
        let pid = ProcessInfo.processInfo.processIdentifier
        // withExtendedLifetime: the optimizer may otherwise release a lock right after its last use.
        try withExtendedLifetime(try RunLock(directory: directory)) {
            XCTAssertEqual(try String(contentsOf: lockFile(directory), encoding: .utf8), "\(pid)\n")
            // flock(2) locks belong to an open file description, so a second one conflicts even inside one
            // process, exactly as a second process's would.
            XCTAssertThrowsError(try RunLock(directory: directory)) { error in
                XCTAssertEqual(error as? RunLockError, .inUse(directory: directory.path, lockFile: lockFile(directory).path, pid: pid))
                XCTAssertTrue("\(error)".contains("in use by process \(pid)"), "\(error)")
                XCTAssertTrue("\(error)".contains("--out"), "the message says how to get past it: \(error)")
            }
        }
        XCTAssertNoThrow(try RunLock(directory: directory), "released with its object")
    }

    func testALockFileLeftByADeadProcessDoesNotBlock() throws {
        let directory = try temporaryDirectory()
        // A PID that certainly belonged to a process that has exited: one we started and waited for.
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/sh")
        finished.arguments = ["-c", "exit 0"]
        try finished.run()
        finished.waitUntilExit()
        try Data("\(finished.processIdentifier)\n".utf8).write(to: lockFile(directory))

        let run = try RunDirectory(directory)
        try run.appendMetrics(step: 1, ["loss": 1])
        XCTAssertEqual(try String(contentsOf: lockFile(directory), encoding: .utf8), "\(ProcessInfo.processInfo.processIdentifier)\n",
                       "the new holder records its own PID")
    }

    func testRunDirectoriesOfOneProcessShareItsLock() throws {
        let directory = try temporaryDirectory()
        let pid = ProcessInfo.processInfo.processIdentifier
        try withExtendedLifetime(try RunDirectory(directory)) {
            // The same directory, spelled differently, opened again by the same process.
            try withExtendedLifetime(try RunDirectory(directory.appendingPathComponent("."))) {
                XCTAssertThrowsError(try RunLock(directory: directory)) { error in
                    XCTAssertEqual(error as? RunLockError, .inUse(directory: directory.path, lockFile: lockFile(directory).path, pid: pid))
                }
            }
            XCTAssertThrowsError(try RunLock(directory: directory), "held while any RunDirectory on it is open")
        }
        XCTAssertNoThrow(try RunLock(directory: directory), "released with the last RunDirectory")
    }
}
