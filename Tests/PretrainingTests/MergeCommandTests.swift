// `rlft merge` end to end: PEFT's adapter (LanguageModelsTests/Fixtures/lora_peft) folded into gpt2_tiny gives
// the logits of PEFT's own merge_and_unload(), and a used --out is refused.
import Foundation
import LanguageModels
import TensorCore
import XCTest

/// PEFT's inputs and its merged model's logits (lora_peft_logits.json).
private struct MergedReference: Decodable {
    let input_ids: [[Int32]]
    let merged_logits: [Float]
}

extension CommandLineTests {
    func testMergeWritesThePlainModelPEFTMerges() throws {
        let commands = self
        let base = try Fixture.huggingFaceDirectory(self)
        let fixtures = Fixture.root.appendingPathComponent("Tests/LanguageModelsTests/Fixtures")
        let out = base.deletingLastPathComponent().appendingPathComponent("merged")
        let merged = try commands.run(["merge", "--model", base.path, "--adapter", fixtures.appendingPathComponent("lora_peft").path,
                                       "--out", out.path])
        XCTAssertEqual(merged.status, 0, merged.stderr)
        XCTAssertTrue(merged.stdout.contains("rank-4"), merged.stdout)

        let reference = try JSONDecoder().decode(MergedReference.self, from: Data(contentsOf: fixtures.appendingPathComponent("lora_peft_logits.json")))
        let (model, unused) = try GPT.load(from: out)
        XCTAssertTrue(unused.isEmpty)
        XCTAssertNil(model.lora)
        let ids = reference.input_ids
        let logits = try withoutGradients {
            try model.forward(TokenBatch(tokens: ids.flatMap { $0 }, batchSize: ids.count, length: ids[0].count)).logits.value.scalars
        }
        XCTAssertEqual(logits.count, reference.merged_logits.count)
        let worst = zip(logits, reference.merged_logits).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst, 1e-4)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("vocab.json").path)
                      || FileManager.default.fileExists(atPath: out.appendingPathComponent("tokenizer.json").path))

        let again = try commands.run(["merge", "--model", base.path, "--adapter", fixtures.appendingPathComponent("lora_peft").path,
                                      "--out", out.path])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("already holds a model"), again.stderr)
    }
}

extension CommandLineTests {
    func testTokenizeAndPerplexityTakeAConfigFile() throws {
        let model = try Fixture.huggingFaceDirectory(self)
        let textURL = model.deletingLastPathComponent().appendingPathComponent("text.txt")
        try Data("abcabc".utf8).write(to: textURL)
        let configURL = model.deletingLastPathComponent().appendingPathComponent("options.json")
        try JSONSerialization.data(withJSONObject: ["tokenizer": model.path, "text": textURL.path]).write(to: configURL)
        let direct = try run(["tokenize", "--tokenizer", model.path, "--text", textURL.path])
        let fromFile = try run(["tokenize", "--config", configURL.path])
        XCTAssertEqual(fromFile.status, 0, fromFile.stderr)
        XCTAssertEqual(fromFile.stdout, direct.stdout)
        try JSONSerialization.data(withJSONObject: ["model": model.path, "text": textURL.path, "stride": 4]).write(to: configURL)
        let perplexity = try run(["perplexity", "--config", configURL.path])
        XCTAssertEqual(perplexity.status, 0, perplexity.stderr)
        XCTAssertEqual(perplexity.stdout, try run(["perplexity", "--model", model.path, "--text", textURL.path, "--stride", "4"]).stdout)
        try JSONSerialization.data(withJSONObject: ["modle": model.path]).write(to: configURL)
        let typo = try run(["perplexity", "--config", configURL.path])
        XCTAssertNotEqual(typo.status, 0)
        XCTAssertTrue(typo.stderr.contains("Did you mean --model?"), typo.stderr)
    }
}
