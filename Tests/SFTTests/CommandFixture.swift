// What the end-to-end tests of this target share: the built `rlft` binary, a scratch directory, a tiny byte-level
// model directory and eight demonstrations it can learn.
import Foundation
import LanguageModels
import TensorCore
import Tokenizers
import XCTest

enum CommandFixture {
    /// The `rlft` executable of the same build as the test bundle, or the newest one under .build.
    ///
    /// - Throws: `XCTSkip` when it has not been built.
    static func rlft() throws -> URL {
        let bundle = Bundle(for: SFTCommandResumeTests.self).bundleURL
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [bundle.deletingLastPathComponent().appendingPathComponent("rlft"),
                          root.appendingPathComponent(".build/release/rlft"), root.appendingPathComponent(".build/debug/rlft")]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("build the rlft executable first (swift build -c release)")
        }
        return found
    }

    /// Starts `rlft arguments` with its output discarded (standard error to `standardError` when given).
    static func start(_ arguments: [String], standardError: Pipe? = nil) throws -> Process {
        let process = Process()
        process.executableURL = try rlft()
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = standardError ?? FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs `rlft arguments` to its end: exit status and standard error.
    static func run(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let errors = Pipe()
        let process = try start(arguments, standardError: errors)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stderr)
    }

    /// Sends `process` Ctrl-C (SIGINT) once `file` exists (or it has ended, or 30 s have passed), and waits for it.
    static func interrupt(_ process: Process, once file: URL) {
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && !FileManager.default.fileExists(atPath: file.path) && Date() < deadline {
            usleep(2_000)
        }
        process.interrupt()
        process.waitUntilExit()
    }

    /// A new scratch directory, removed when `test` ends.
    static func directory(_ test: XCTestCase, _ name: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        return directory
    }

    /// A 1-layer, 16-wide byte-level GPT (context 32) saved with its tokenizer in `directory/base`;
    /// `embeddingScale` multiplies its token embedding (a pretrained model's scale is about 50× the initial one).
    @discardableResult
    static func tinyModel(in directory: URL, embeddingScale: Float = 1) throws -> (url: URL, model: GPT, tokenizer: ByteTokenizer) {
        let tokenizer = try ByteTokenizer(specialTokens: ["<|endoftext|>", "<|pad|>"])
        var rng = SeededGenerator(seed: 1)
        let model = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 16, contextLength: 32,
                                              vocabularySize: tokenizer.vocabularySize), using: &rng)
        if embeddingScale != 1 { model.tokenEmbedding.value = model.tokenEmbedding.value * embeddingScale }
        let url = directory.appendingPathComponent("base")
        try model.save(to: url) { try tokenizer.save(to: $0) }
        return (url, model, tokenizer)
    }

    /// Eight additions ("Q: add 3 and 1\nA:" → " 4") as prompt–completion JSONL in `directory/sft.jsonl`.
    static func demonstrations(in directory: URL) throws -> URL {
        let lines = (0..<8).map { #"{"prompt": "Q: add \#($0) and 1\nA:", "completion": " \#($0 + 1)"}"# }
        let url = directory.appendingPathComponent("sft.jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
        return url
    }
}
