// End to end: `rlft eval` on a tiny byte-level model and two instruction-task prompts with references.
import Foundation
import LanguageModels
import TensorCore
import Tokenizers
import XCTest

extension CommandLineTests {
    func testEvalScoresSamplesAndWritesItsOutputs() throws {
        let directory = try Fixture.temporaryDirectory(self)
        let tokenizer = try ByteTokenizer(specialTokens: ["<|endoftext|>", "<|pad|>"])
        var rng = SeededGenerator(seed: 3)
        let model = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 16, contextLength: 64,
                                              vocabularySize: tokenizer.vocabularySize), using: &rng)
        let modelDirectory = directory.appendingPathComponent("model")
        try model.save(to: modelDirectory) { try tokenizer.save(to: $0) }
        let prompts = directory.appendingPathComponent("eval.jsonl")
        let lines = [["prompt": "Q: Reverse the word king.\nA:", "completion": " gink\n"],
                     ["prompt": "Q: Write 'hi' twice.\nA:", "completion": " hi hi\n"]]
            .map { String(decoding: try! JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: prompts)
        let out = directory.appendingPathComponent("out")

        let result = try run(["eval", "--model", modelDirectory.path, "--prompts", prompts.path, "--samples", "2",
                              "--maximumNewTokens", "8", "--bootstrapResamples", "20", "--out", out.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(summary["prompts"] as? Int, 2)
        for key in ["gold", "win_rate_training", "win_rate_held_out", "dist_1", "dist_2", "diversity"] {
            XCTAssertNotNil(summary[key], key)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("eval.json").path))
        let samples = try String(contentsOf: out.appendingPathComponent("samples.jsonl"), encoding: .utf8)
        XCTAssertEqual(samples.split(separator: "\n").count, 2)
        // A second evaluation into the same directory replaces the first one's samples instead of adding to them.
        let again = try run(["eval", "--model", modelDirectory.path, "--prompts", prompts.path, "--samples", "2",
                             "--maximumNewTokens", "8", "--bootstrapResamples", "20", "--out", out.path])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("samples.jsonl"), encoding: .utf8), samples)

        let bad = try run(["eval", "--model", modelDirectory.path, "--prompts", prompts.path, "--samples", "0"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("`samples` is 0"), bad.stderr)
    }
}
