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
        config.repetitionPromptsPerKind = 2
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
            let expected = task == .repetition ? 4 * 6 : task == .sentiment ? 4 * 6 * 3 : 4 * 6 * 3 + 3 * 6 * 3   // + the reward-token control
            XCTAssertEqual(samples.count, expected, "\(task)")
            let first = try JSONSerialization.jsonObject(with: Data(samples[0].utf8)) as? [String: Any]
            XCTAssertNotNil(first?["method"])
            XCTAssertNotNil(first?["prompt"])
            XCTAssertNotNil(first?["completion"])
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("metrics.jsonl").path))
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("report.md").path))
        }
    }

    /// A small toxicity run, big enough for Quark to learn: its reward tokens steer the sampled continuations
    /// away from insults, so Quark conditioned on r_0 is less toxic than the base model on the test prompts
    /// (classifier and gold lexicon alike), at the same fixed continuation length.
    func testQuarkLowersToxicityBelowTheBaseModel() throws {
        var config = QuarkExperimentConfig()
        config.documentCount = 1500
        config.bpeVocabulary = 500
        config.contextLength = 48
        config.pretrainSteps = 250
        config.evaluatorLayers = 1
        config.evaluatorWidth = 16
        config.evaluatorSteps = 20
        config.daptSteps = 5
        config.classifierPairs = 300
        config.trainPrompts = 48
        config.ppoIterations = 2
        config.ppoBatchSize = 16   // 48 prompts: 3 batches
        config.quarkSteps = 200
        config.quarkSampleInterval = 25
        config.quarkBatchSize = 32
        config.quarkLearningRate = 1e-3
        config.evaluationPromptsPerKind = 6
        config.validationPromptsPerKind = 2
        config.samplesPerPrompt = 8
        config.maximumNewTokens = 8
        config.minimumNewTokens = 8
        config.repetitionNewTokens = 16
        config.bootstrapResamples = 50
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quark-direction-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let experiment = try QuarkExperiment(task: .toxicity, config: config, outputDirectory: directory)
        let report = try experiment.run()
        let base = try XCTUnwrap(experiment.measurements["base"]), quark = try XCTUnwrap(experiment.measurements["Quark"])
        XCTAssertLessThan(quark["avg_max_toxicity"]!, base["avg_max_toxicity"]!, report)
        XCTAssertLessThan(quark["gold_avg_max_toxicity"]!, base["gold_avg_max_toxicity"]!, report)
        XCTAssertLessThan(quark["toxic_sample_share"]!, base["toxic_sample_share"]!, report)
        XCTAssertGreaterThan(quark["words"]!, 0.8 * base["words"]!, "fixed-length continuations: no escape into brevity")
        XCTAssertEqual(experiment.claims.count, 9, report)
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
