// End to end: `rlft sft --lora-rank` trains only LoRA adapters (arXiv 2106.09685): the loss falls, OUT/adapter/ is
// a PEFT adapter whose base plus adapter computes the merged OUT/checkpoint/, and a run stopped by Ctrl-C and
// resumed ends with the same adapter as an uninterrupted one.
import Foundation
import LanguageModels
import TensorCore
import Tokenizers
import XCTest

final class SFTLoRACommandTests: XCTestCase {
    func testLoRASFTTrainsTheAdapterWritesPEFTAndMergedModelsAndResumes() throws {
        let directory = try CommandFixture.directory(self, "sft-lora")
        // A base whose embedding table has a pretrained model's scale (std 1, not the initial 0.02): the tied output
        // projection of a fresh model cannot express a peaked distribution, whatever the adapters do.
        let (modelURL, base, tokenizer) = try CommandFixture.tinyModel(in: directory, embeddingScale: 50)
        let train = try CommandFixture.demonstrations(in: directory)
        func arguments(_ out: String) -> [String] {
            ["sft", "--train", train.path, "--model", modelURL.path,
             "--out", directory.appendingPathComponent(out).path, "--steps", "3000", "--batchSize", "2", "--learningRate", "0.01",
             "--evaluationInterval", "1000", "--validationFraction", "0.25", "--checkpoint-every", "100",
             "--lora-rank", "4", "--lora-targets", "c_attn,c_fc", "--lora-dropout", "0.1"]
        }

        let whole = try CommandFixture.start(arguments("whole"))
        whole.waitUntilExit()
        XCTAssertEqual(whole.terminationStatus, 0)
        let run = directory.appendingPathComponent("whole")

        // The loss falls.
        let losses = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").compactMap { line -> Double? in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["sft/loss"] as? Double
            }
        XCTAssertGreaterThan(losses.count, 10)
        XCTAssertLessThan(losses.suffix(10).reduce(0, +) / 10, 0.8 * losses.prefix(10).reduce(0, +) / 10, "\(losses)")

        // OUT/adapter is PEFT's format; base + adapter computes the merged OUT/checkpoint; the base is untouched.
        let (reloadedBase, _) = try GPT.load(from: modelURL)
        XCTAssertEqual(reloadedBase.stateDictionary(), base.stateDictionary())
        let adapted = try reloadedBase.loadingPEFTAdapter(from: run.appendingPathComponent("adapter"))
        XCTAssertEqual(adapted.lora?.config.targets, [.attention, .mlpExpansion])
        let (merged, _) = try GPT.load(from: run.appendingPathComponent("checkpoint"))
        let batch = TokenBatch(tokens: try tokenizer.encode("Q: add 3 and 1\nA: 4"), batchSize: 1, length: 19)
        let a = try withoutGradients { try adapted.forward(batch).logits.value.scalars }
        let m = try withoutGradients { try merged.forward(batch).logits.value.scalars }
        XCTAssertLessThan(zip(a, m).map { abs($0 - $1) }.max()!, 1e-4)
        XCTAssertNotEqual(a, try withoutGradients { try base.forward(batch).logits.value.scalars }, "the adapter changed the model")

        // Ctrl-C after the first checkpoint, then --resume: the same adapter as the uninterrupted run.
        let stopped = try CommandFixture.start(arguments("stopped"))
        let checkpoints = directory.appendingPathComponent("stopped/checkpoints")
        CommandFixture.interrupt(stopped, once: checkpoints.appendingPathComponent("step-000100"))
        XCTAssertEqual(stopped.terminationStatus, 0)
        let names = try FileManager.default.contentsOfDirectory(atPath: checkpoints.path).sorted()
        XCTAssertNotEqual(names.last, "step-003000", "the run was stopped before its end: \(names)")
        let resumed = try CommandFixture.start(["sft", "--resume", directory.appendingPathComponent("stopped").path])
        resumed.waitUntilExit()
        XCTAssertEqual(resumed.terminationStatus, 0)
        for file in ["metrics.jsonl", "adapter/adapter_model.safetensors", "checkpoint/model.safetensors"] {
            XCTAssertEqual(try Data(contentsOf: run.appendingPathComponent(file)),
                           try Data(contentsOf: directory.appendingPathComponent("stopped/\(file)")), file)
        }
    }
}
