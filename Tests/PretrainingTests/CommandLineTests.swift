// End to end: runs the built `rlft` binary (next to the test bundle in .build/<configuration>/) for tokenize,
// perplexity, generate and pretrain. Skipped when the binary has not been built.
import Foundation
import XCTest

final class CommandLineTests: XCTestCase {
    /// The `rlft` executable of the same build as this test bundle, or the newest one under .build.
    func rlft() throws -> URL {
        var candidates: [URL] = []
        let bundle = Bundle(for: CommandLineTests.self).bundleURL
        candidates.append(bundle.deletingLastPathComponent().appendingPathComponent("rlft"))
        for configuration in ["release", "debug"] {
            candidates.append(Fixture.root.appendingPathComponent(".build/\(configuration)/rlft"))
        }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("build the rlft executable first (swift build -c release)")
        }
        return found
    }

    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = try rlft()
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    func testTokenizePerplexityAndGenerateOnAHuggingFaceDirectory() throws {
        let model = try Fixture.huggingFaceDirectory(self)
        let golden = try Fixture.goldenLogits()
        let text = String(golden.ids[1].map { Fixture.characters[$0] })
        let textURL = model.deletingLastPathComponent().appendingPathComponent("text.txt")
        try Data(text.utf8).write(to: textURL)

        let tokenized = try run(["tokenize", "--tokenizer", model.path, "--text", textURL.path])
        XCTAssertEqual(tokenized.status, 0, tokenized.stderr)
        XCTAssertEqual(tokenized.stdout, "[" + golden.ids[1].map(String.init).joined(separator: ",") + "]\n")

        let perplexity = try run(["perplexity", "--model", model.path, "--text", textURL.path])
        XCTAssertEqual(perplexity.status, 0, perplexity.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(perplexity.stdout.utf8)) as! [String: Any]
        let nll = object["mean_nll"] as! Double
        XCTAssertEqual(object["tokens"] as? Int, 9)
        XCTAssertEqual(object["perplexity"] as! Double, exp(nll), accuracy: 1e-9)
        XCTAssertEqual(nll, referenceNLL(ids: golden.ids[1], logits: golden.logits[640..<1280], vocabulary: 64), accuracy: 1e-5)

        let generated = try run(["generate", "--model", model.path, "--prompt", "abc", "--maximumNewTokens", "5", "--greedy", "true"])
        XCTAssertEqual(generated.status, 0, generated.stderr)
        XCTAssertTrue(generated.stdout.hasPrefix("abc"))
        let again = try run(["generate", "--model", model.path, "--prompt", "abc", "--maximumNewTokens", "5", "--greedy", "true"])
        XCTAssertEqual(again.stdout, generated.stdout, "greedy decoding is deterministic")

        let tooLong = try run(["generate", "--model", model.path, "--prompt", String(repeating: "a", count: 30), "--maximumNewTokens", "5"])
        XCTAssertEqual(tooLong.status, 1)
        XCTAssertTrue(tooLong.stderr.contains("truncate the prompt to at most 27 tokens or lower maximumNewTokens"), tooLong.stderr)
    }

    func testPretrainWritesARunAndEveryCommandHasHelp() throws {
        let dir = try Fixture.temporaryDirectory(self)
        let data = dir.appendingPathComponent("corpus.txt")
        try Data(Fixture.corpus.joined(separator: "\n").utf8).write(to: data)
        let out = dir.appendingPathComponent("run")
        let trained = try run(["pretrain", "--out", out.path, "--data", data.path, "--steps", "3", "--layerCount", "1",
                               "--embeddingSize", "32", "--headCount", "2", "--contextLength", "32", "--blockLength", "32",
                               "--sampleLength", "8", "--threads", "2"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        XCTAssertTrue(trained.stdout.contains("step 3/3"), trained.stdout)
        for name in ["config.json", "metrics.jsonl", "samples.jsonl", "loss.svg", "report.md", "model/model.safetensors", "model/tokenizer.json",
                     "checkpoints/step-000003/state.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), name)
        }
        let resumed = try run(["pretrain", "--resume", out.path, "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)

        let bad = try run(["pretrain", "--out", out.path, "--blockLength", "500"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("`blockLength` is 500, but it must not exceed contextLength (128)"), bad.stderr)

        for command in ["pretrain", "generate", "perplexity", "tokenize"] {
            let help = try run([command, "--help"])
            XCTAssertEqual(help.status, 0)
            XCTAssertTrue(help.stdout.hasPrefix("rlft \(command):"), help.stdout)
        }
    }
}
