import Foundation
import QuarkExperiments
import XCTest

/// End-to-end smoke runs of the experiments at a tiny scale: every phase runs and writes its files.
final class QuarkExperimentTests: XCTestCase {
    static func tinyConfig() -> QuarkExperimentConfig {
        var config = QuarkExperimentConfig()
        config.steps = 3
        config.documentCount = 200
        config.bpeVocabulary = 400
        config.width = 16
        config.heads = 2
        config.evaluatorLayers = 1
        config.evaluatorWidth = 16
        config.classifierPairs = 40
        config.trainPrompts = 16
        config.ppoBatchSize = 8
        config.quarkBatchSize = 8
        config.evaluationPromptsPerKind = 2
        config.samplesPerPrompt = 3
        config.repetitionNewTokens = 16
        config.contextLength = 48
        config.bootstrapResamples = 50
        return config
    }

    func testEveryTaskRunsEndToEndAndWritesItsFiles() throws {
        for task in QuarkExperimentTask.allCases {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quark-\(task.rawValue)-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let report = try QuarkExperiment(task: task, config: Self.tinyConfig(), outputDirectory: directory).run()
            XCTAssertTrue(report.contains("| method"), "\(task): \(report)")
            XCTAssertTrue(report.contains("Paper shape"), report)
            let samples = try String(contentsOf: directory.appendingPathComponent("samples.jsonl"), encoding: .utf8)
                .split(separator: "\n")
            let expected = task == .repetition ? 4 * 6 : 4 * 6 * 3
            XCTAssertEqual(samples.count, expected, "\(task)")
            let first = try JSONSerialization.jsonObject(with: Data(samples[0].utf8)) as? [String: Any]
            XCTAssertNotNil(first?["method"])
            XCTAssertNotNil(first?["prompt"])
            XCTAssertNotNil(first?["completion"])
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("metrics.jsonl").path))
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("report.md").path))
        }
    }

    func testWithLoRAEveryMethodTrainsAdaptersAndTheRunCompletes() throws {
        var config = Self.tinyConfig()
        config.loraRank = 2
        config.loraTargets = "c_attn,c_fc"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quark-lora-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = try QuarkExperiment(task: .toxicity, config: config, outputDirectory: directory).run()
        XCTAssertTrue(report.contains("| method"), report)
        let saved = try JSONDecoder().decode(QuarkExperimentConfig.self, from: Data(contentsOf: directory.appendingPathComponent("config.json")))
        XCTAssertEqual(saved.loraRank, 2)

        config.loraTargets = "q_proj"
        XCTAssertThrowsError(try QuarkExperiment(task: .toxicity, config: config, outputDirectory: directory)) {
            XCTAssertTrue("\($0)".contains("c_attn"), "\($0)")
        }
    }
}
