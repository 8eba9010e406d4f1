// Hugging Face GPT-2 interoperability: logits agree with transformers.GPT2LMHeadModel on the same weights
// (fixture made by Fixtures/make_gpt2_fixture.py), and model directories round-trip.
import Foundation
import LanguageModels
import TensorCore
import XCTest

final class HuggingFaceTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    struct Case: Decodable {
        let input_ids: [[Int32]]
        let attention_mask: [[Float]]
        let position_ids: [[Int32]]
        let logits: [Float]
    }

    struct Fixture: Decodable {
        let dense: Case
        let left_padded: Case
    }

    func testLogitsMatchTransformers() throws {
        let (model, unused) = try GPT.load(from: Self.fixtures.appendingPathComponent("gpt2_tiny"))
        XCTAssertTrue(unused.isEmpty, "\(unused.keys)")
        XCTAssertEqual(model.config, GPTConfig(layerCount: 2, headCount: 4, embeddingSize: 32, contextLength: 32, vocabularySize: 64))
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("gpt2_tiny_logits.json"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: data)
        for (label, c) in [("dense", fixture.dense), ("left padded", fixture.left_padded)] {
            let B = c.input_ids.count, T = c.input_ids[0].count
            let batch = TokenBatch(tokens: c.input_ids.flatMap { $0 }, batchSize: B, length: T,
                                   mask: Tensor(shape: [B, T], scalars: c.attention_mask.flatMap { $0 }))
            XCTAssertEqual(batch.positions, c.position_ids.flatMap { $0 }, label)
            let logits = try model.forward(batch).logits.value.scalars
            let mask = c.attention_mask.flatMap { $0 }
            let masked = logits.enumerated().map { mask[$0.offset / 64] * $0.element }
            assertClose(masked, c.logits, tolerance: 1e-4, label)
        }
    }

    func testHuggingFaceLayoutRoundTripsAndTransposesConv1D() throws {
        let model = makeTinyModel()
        let hf = model.huggingFaceStateDictionary()
        XCTAssertEqual(hf["h.0.attn.c_attn.weight"]?.shape, [16, 48])
        XCTAssertEqual(hf["h.1.mlp.c_proj.weight"]?.shape, [64, 16])
        XCTAssertEqual(hf["h.1.attn.c_proj.weight"], model.blocks[1].attentionOutputWeight.value.transposed())
        XCTAssertEqual(hf.count, model.namedParameters().count)
        let back = try GPT.fromHuggingFace(config: model.config, stateDictionary: hf).model
        XCTAssertEqual(back.stateDictionary(), model.stateDictionary())
        // An untied lm_head cannot be represented.
        var untied = hf
        untied["lm_head.weight"] = hf["wte.weight"]! * 2
        XCTAssertThrowsError(try GPT.fromHuggingFace(config: model.config, stateDictionary: untied))
        var missing = hf
        missing["wpe.weight"] = nil
        assertThrows(CheckpointError.missingParameter(name: "wpe.weight")) {
            _ = try GPT.fromHuggingFace(config: model.config, stateDictionary: missing)
        }
    }

    func testModelDirectoryRoundTrip() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gpt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let policy = PolicyWithValue(policy: makeTinyModel())
        policy.valueHead.weight.value = Tensor(shape: [1, 16], repeating: 0.5)
        var hookCalled = false
        try policy.save(to: directory) { url in
            hookCalled = true
            try Data("{}".utf8).write(to: url.appendingPathComponent("tokenizer.json"))
        }
        XCTAssertTrue(hookCalled)
        let loaded = try PolicyWithValue.load(from: directory)
        XCTAssertEqual(loaded.stateDictionary(), policy.stateDictionary())
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("config.json"))) as! [String: Any]
        XCTAssertEqual(config["n_embd"] as? Int, 16)
        XCTAssertEqual(config["model_type"] as? String, "gpt2")
    }
}
