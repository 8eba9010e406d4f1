// Shared pieces of the pretraining tests: a tiny configuration, a small corpus, temporary directories and the
// Hugging Face fixture directory from LanguageModelsTests.
import Foundation
import Pretraining
import XCTest

enum Fixture {
    /// The repository root (three levels above this file).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A 1-layer, 32-wide model over bytes that trains in well under a second.
    static func tinyConfig(steps: Int = 20) -> PretrainingConfig {
        var c = PretrainingConfig()
        c.layerCount = 1
        c.headCount = 2
        c.embeddingSize = 32
        c.contextLength = 32
        c.blockLength = 32
        c.batchSize = 8
        c.steps = steps
        c.learningRate = 1e-2
        c.warmupSteps = 5
        c.validationInterval = 10
        c.validationBlocks = 8
        c.sampleInterval = 0
        c.sampleLength = 16
        c.checkpointInterval = 0
        c.threads = 2
        return c
    }

    /// Repetitive English-like documents (about 6 KB).
    static let corpus: [String] = (0..<60).map { i in
        let animals = ["cat", "dog", "fox", "owl", "bee"]
        let colors = ["red", "blue", "green"]
        return "the \(colors[i % 3]) \(animals[i % 5]) sat on the mat. the \(animals[(i + 1) % 5]) saw it and ran away. "
            + "then it was night and all was quiet."
    }

    /// A fresh empty temporary directory, removed at the end of the test.
    static func temporaryDirectory(_ test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pretraining-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// The 63 one-character tokens given to the fixture model's ids 0...62 (id 63 is `<|endoftext|>`).
    static let characters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.")

    /// A Hugging Face GPT-2 directory as it comes from the hub: the LanguageModelsTests fixture (config.json and
    /// model.safetensors written by transformers, vocabulary 64) plus `vocab.json` and an empty `merges.txt`.
    static func huggingFaceDirectory(_ test: XCTestCase) throws -> URL {
        let source = root.appendingPathComponent("Tests/LanguageModelsTests/Fixtures/gpt2_tiny")
        let directory = try temporaryDirectory(test).appendingPathComponent("gpt2_tiny")
        try FileManager.default.copyItem(at: source, to: directory)
        var vocabulary = [String: Int]()
        for (id, character) in characters.enumerated() { vocabulary[String(character)] = id }
        vocabulary["<|endoftext|>"] = 63
        try JSONSerialization.data(withJSONObject: vocabulary, options: [.sortedKeys])
            .write(to: directory.appendingPathComponent("vocab.json"))
        try Data("#version: 0.2\n".utf8).write(to: directory.appendingPathComponent("merges.txt"))
        return directory
    }

    /// The fixture's golden PyTorch logits: the dense batch's ids `[2][10]` and logits `[2·10·64]`.
    static func goldenLogits() throws -> (ids: [[Int]], logits: [Double]) {
        let url = root.appendingPathComponent("Tests/LanguageModelsTests/Fixtures/gpt2_tiny_logits.json")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let dense = object["dense"] as! [String: Any]
        return (dense["input_ids"] as! [[Int]], (dense["logits"] as! [NSNumber]).map(\.doubleValue))
    }
}

/// Mean next-token NLL of `ids` from logits `[n, V]` laid out row by row.
func referenceNLL(ids: [Int], logits: ArraySlice<Double>, vocabulary V: Int) -> Double {
    var total = 0.0
    let base = logits.startIndex
    for t in 0..<(ids.count - 1) {
        let row = logits[(base + t * V)..<(base + (t + 1) * V)]
        let m = row.max()!
        total += log(row.map { exp($0 - m) }.reduce(0, +)) + m - row[row.startIndex + ids[t + 1]]
    }
    return total / Double(ids.count - 1)
}
