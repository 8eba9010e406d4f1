// End to end: every trainer of `rlft` that takes --lora-rank (reward, dpo, ppo, grpo) trains only the adapters:
// it runs, leaves the loaded model's files untouched, writes a plain (merged) model that differs from the start,
// and, for the policy trainers, the adapter in Hugging Face PEFT's format. Uses the built-in instruction task's
// files and a tiny byte-level model. Runs the built `rlft` binary; skipped when it has not been built.
import Foundation
import LanguageModels
import TensorCore
import Tokenizers
import XCTest

final class LoRACommandTests: XCTestCase {
    func testEveryTrainerTrainsAdaptersOverAFrozenModel() throws {
        let directory = try CommandFixture.directory(self, "lora-commands")
        let data = directory.appendingPathComponent("data")
        XCTAssertEqual(try CommandFixture.run(["task", "instructions", "--out", data.path]).status, 0)

        let tokenizer = try ByteTokenizer(specialTokens: ["<|endoftext|>", "<|pad|>"])
        var rng = SeededGenerator(seed: 3)
        let base = try GPT(config: GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 16, contextLength: 192,
                                             vocabularySize: tokenizer.vocabularySize), using: &rng)
        let modelURL = directory.appendingPathComponent("base")
        try base.save(to: modelURL) { try tokenizer.save(to: $0) }
        let baseBytes = try Data(contentsOf: modelURL.appendingPathComponent("model.safetensors"))
        let lora = ["--lora-rank", "2", "--lora-targets", "c_attn,c_proj"]
        let file = { (name: String) in data.appendingPathComponent(name).path }

        let jobs: [(name: String, arguments: [String], model: String, adapter: Bool)] = [
            ("reward", ["reward", "--train", file("comparisons.jsonl"), "--model", modelURL.path, "--normalization", "none",
                        "--epochs", "1", "--batchSize", "64"], "checkpoint", false),
            // dpo keeps the former name --policy for --model: it must still work.
            ("dpo", ["dpo", "--policy", modelURL.path, "--train", file("comparisons.jsonl"), "--epochs", "1", "--batchSize", "64"],
             "model", true),
            ("ppo", ["ppo", "--model", modelURL.path, "--prompts", file("prompts.jsonl"), "--reward", "gold", "--iterations", "2",
                     "--batchSize", "8", "--maximumNewTokens", "8"], "model", true),
            // The reward model of the first job: its scores vary between samples, so GRPO's group advantages are not all 0
            // (the gold score of a random model's samples is 0 for all of them).
            ("grpo", ["grpo", "--model", modelURL.path, "--prompts", file("prompts.jsonl"), "--iterations", "2",
                      "--reward-model", directory.appendingPathComponent("reward/checkpoint").path,
                      "--promptsPerIteration", "2", "--generations", "4", "--maximumNewTokens", "8"], "model", true),
        ]
        for job in jobs {
            let out = directory.appendingPathComponent(job.name)
            let result = try CommandFixture.run(job.arguments + ["--out", out.path] + lora)
            XCTAssertEqual(result.status, 0, "\(job.name): \(result.stderr)")
            XCTAssertEqual(try Data(contentsOf: modelURL.appendingPathComponent("model.safetensors")), baseBytes,
                           "\(job.name) changed the loaded model's files")
            let saved = try Safetensors.read(contentsOf: out.appendingPathComponent("\(job.model)/model.safetensors"))
            XCTAssertFalse(saved.keys.contains { $0.contains("lora") }, "\(job.name) wrote a plain model")
            let trained = try XCTUnwrap(saved["transformer.h.0.attn.c_attn.weight"] ?? saved["trunk.transformer.h.0.attn.c_attn.weight"]
                                        ?? saved.first { $0.key.hasSuffix("h.0.attn.c_attn.weight") }?.value, "\(job.name): \(saved.keys.sorted())")
            XCTAssertNotEqual(trained, base.blocks[0].qkvWeight.value.transposed(), "\(job.name) merged a trained adapter")
            XCTAssertEqual(saved.first { $0.key.hasSuffix("h.0.mlp.c_fc.weight") }?.value, base.blocks[0].mlpHiddenWeight.value.transposed(),
                           "\(job.name): a projection without an adapter is unchanged")
            if job.name == "ppo" || job.name == "grpo" {
                // The run directory holds its inputs: --resume alone continues it, from any working directory.
                for file in ["options.json", "report.md", "reward.svg", "kl.svg"] {
                    XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(job.name): \(file)")
                }
                let resumed = try CommandFixture.run([job.name, "--resume", out.path])
                XCTAssertEqual(resumed.status, 0, "\(job.name) --resume alone: \(resumed.stderr)")
            }
            if job.adapter {
                let adapted = try base.loadingPEFTAdapter(from: out.appendingPathComponent("adapter"))
                XCTAssertEqual(adapted.lora?.config.targets, [.attention, .attentionOutput, .mlpOutput])
            }
        }
    }
}
