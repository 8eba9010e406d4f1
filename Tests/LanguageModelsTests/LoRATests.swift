// LoRA (arXiv 2106.09685) on GPT-2 and its interchange with Hugging Face PEFT. Fixtures: Fixtures/lora_peft
// (made by PEFT), Fixtures/lora_rlft (made by this file with RLFT_WRITE_FIXTURES=1, then read by PEFT in
// Fixtures/make_lora_fixture.py, which checks PEFT's logits against ours).
import Foundation
import LanguageModels
import NeuralNetworks
import TensorCore
import XCTest

final class LoRATests: XCTestCase {
    static let fixtures = HuggingFaceTests.fixtures

    struct Logits: Codable {
        let input_ids: [[Int32]]
        let logits: [Float]
        var merged_logits: [Float]?
    }

    func base() throws -> GPT { try GPT.load(from: Self.fixtures.appendingPathComponent("gpt2_tiny")).model }

    func batch(_ ids: [[Int32]]) -> TokenBatch {
        TokenBatch(tokens: ids.flatMap { $0 }, batchSize: ids.count, length: ids[0].count)
    }

    func logits(_ model: GPT, _ ids: [[Int32]]) throws -> [Float] {
        try withoutGradients { try model.forward(batch(ids)).logits.value.scalars }
    }

    // MARK: - Interchange with PEFT

    func testAdapterMadeByPEFTGivesPEFTsLogits() throws {
        let reference = try JSONDecoder().decode(Logits.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("lora_peft_logits.json")))
        let adapted = try base().loadingPEFTAdapter(from: Self.fixtures.appendingPathComponent("lora_peft"))
        let lora = try XCTUnwrap(adapted.lora)
        XCTAssertEqual(lora.config, LoRAConfig(rank: 4, alpha: 8, dropout: 0, targets: LoRATarget.allCases))
        assertClose(try logits(adapted, reference.input_ids), reference.logits, tolerance: 1e-4, "adapted")
        // Merged equals unmerged, and equals PEFT's merge_and_unload().
        let merged = adapted.mergingLoRA()
        XCTAssertNil(merged.lora)
        assertClose(try logits(merged, reference.input_ids), try logits(adapted, reference.input_ids), tolerance: 1e-5, "merged vs adapted")
        assertClose(try logits(merged, reference.input_ids), try XCTUnwrap(reference.merged_logits), tolerance: 1e-4, "merged vs PEFT's merged")
        // The adapter changes the model: the base alone is far from these logits.
        let difference = zip(try logits(base(), reference.input_ids), reference.logits).map { abs($0 - $1) }.max()!
        XCTAssertGreaterThan(difference, 1e-2)
    }

    func testAdapterSavedHereIsPEFTsFormatAndPEFTComputesOurLogits() throws {
        var rng = SeededGenerator(seed: 11)
        let adapted = try base().withLoRA(LoRAConfig(rank: 2, alpha: 6, dropout: 0.1, targets: [.attention, .mlpOutput]), using: &rng)
        // Fresh B is zero; give it values so the check means something.
        for (name, p) in adapted.lora!.namedParameters() where name.contains("lora_B") {
            p.value = Tensor.randomNormal(p.shape, standardDeviation: 0.3, using: &rng)
        }
        let ids: [[Int32]] = [[5, 9, 33, 2, 60, 17, 8], [1, 1, 40, 41, 42, 0, 63]]
        let ours = try logits(adapted, ids)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lora-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try adapted.lora!.savePEFT(to: directory, baseModel: "gpt2_tiny")

        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("adapter_config.json"))) as! [String: Any]
        XCTAssertEqual(config["peft_type"] as? String, "LORA")
        XCTAssertEqual(config["r"] as? Int, 2)
        XCTAssertEqual(config["lora_alpha"] as? Double, 6)
        XCTAssertEqual(config["target_modules"] as? [String], ["attn.c_attn", "mlp.c_proj"])
        XCTAssertEqual(config["fan_in_fan_out"] as? Bool, true)
        XCTAssertEqual(config["base_model_name_or_path"] as? String, "gpt2_tiny")
        let tensors = try Safetensors.read(contentsOf: directory.appendingPathComponent("adapter_model.safetensors"))
        XCTAssertEqual(tensors["base_model.model.transformer.h.1.attn.c_attn.lora_A.weight"]?.shape, [2, 32])
        XCTAssertEqual(tensors["base_model.model.transformer.h.1.mlp.c_proj.lora_B.weight"]?.shape, [32, 2])
        XCTAssertEqual(tensors.count, 2 * 2 * 2)

        let reloaded = try base().loadingPEFTAdapter(from: directory)
        XCTAssertEqual(try logits(reloaded, ids), ours)

        // The committed copy that PEFT reads in make_lora_fixture.py: this code must still write exactly it.
        let committed = Self.fixtures.appendingPathComponent("lora_rlft")
        if ProcessInfo.processInfo.environment["RLFT_WRITE_FIXTURES"] == "1" {
            try? FileManager.default.removeItem(at: committed)
            try adapted.lora!.savePEFT(to: committed, baseModel: "gpt2_tiny")
            try JSONEncoder().encode(Logits(input_ids: ids, logits: ours)).write(to: committed.appendingPathComponent("logits.json"))
        }
        let committedTensors = try Safetensors.read(contentsOf: committed.appendingPathComponent("adapter_model.safetensors"))
        XCTAssertEqual(committedTensors, tensors)
        let committedLogits = try JSONDecoder().decode(Logits.self, from: Data(contentsOf: committed.appendingPathComponent("logits.json")))
        XCTAssertEqual(committedLogits.input_ids, ids)
        assertClose(ours, committedLogits.logits, tolerance: 1e-6, "logits PEFT was checked against")
    }

    // MARK: - Trainable tokens (PEFT's trainable_token_indices)

    func testAdapterWithTrainableTokensMadeByPEFTGivesPEFTsLogits() throws {
        let reference = try JSONDecoder().decode(Logits.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("lora_peft_tokens_logits.json")))
        let adapted = try base().loadingPEFTAdapter(from: Self.fixtures.appendingPathComponent("lora_peft_tokens"))
        XCTAssertEqual(adapted.lora?.config, LoRAConfig(rank: 2, alpha: 4, dropout: 0, targets: [.attention], trainableTokenIndices: [3, 60]))
        assertClose(try logits(adapted, reference.input_ids), reference.logits, tolerance: 1e-4, "adapted")
        let merged = adapted.mergingLoRA()
        assertClose(try logits(merged, reference.input_ids), try XCTUnwrap(reference.merged_logits), tolerance: 1e-4, "merged vs PEFT's merged")
        // The replaced rows are in the merged table, for the input lookup and the tied output projection alike.
        let rows = try Safetensors.read(contentsOf: Self.fixtures.appendingPathComponent("lora_peft_tokens/adapter_model.safetensors"))[
            "base_model.model.transformer.wte.token_adapter.trainable_tokens_delta"]!
        XCTAssertEqual(Array(merged.tokenEmbedding.value.scalars[(60 * 32)..<(61 * 32)]), Array(rows.scalars[32...]))
    }

    func testAdapterWithTrainableTokensSavedHereIsReadByPEFT() throws {
        var rng = SeededGenerator(seed: 12)
        let adapted = try base().withLoRA(LoRAConfig(rank: 2, alpha: 4, targets: [.attention], trainableTokenIndices: [5, 63]), using: &rng)
        for (name, p) in adapted.lora!.namedParameters() where !name.contains("lora_A") {
            p.value = Tensor.randomNormal(p.shape, standardDeviation: 0.3, using: &rng)
        }
        let ids: [[Int32]] = [[5, 9, 63, 2, 60, 17, 8], [1, 63, 40, 5, 42, 0, 63]]
        let ours = try logits(adapted, ids)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lora-tokens-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try adapted.lora!.savePEFT(to: directory, baseModel: "gpt2_tiny")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("adapter_config.json"))) as! [String: Any]
        XCTAssertEqual(config["trainable_token_indices"] as? [Int], [5, 63])
        XCTAssertEqual(try logits(base().loadingPEFTAdapter(from: directory), ids), ours)

        // The committed copy that PEFT reads in make_lora_fixture.py: this code must still write exactly it.
        let committed = Self.fixtures.appendingPathComponent("lora_rlft_tokens")
        if ProcessInfo.processInfo.environment["RLFT_WRITE_FIXTURES"] == "1" {
            try? FileManager.default.removeItem(at: committed)
            try adapted.lora!.savePEFT(to: committed, baseModel: "gpt2_tiny")
            try JSONEncoder().encode(Logits(input_ids: ids, logits: ours)).write(to: committed.appendingPathComponent("logits.json"))
        }
        XCTAssertEqual(try Safetensors.read(contentsOf: committed.appendingPathComponent("adapter_model.safetensors")),
                       try Safetensors.read(contentsOf: directory.appendingPathComponent("adapter_model.safetensors")))
        let committedLogits = try JSONDecoder().decode(Logits.self, from: Data(contentsOf: committed.appendingPathComponent("logits.json")))
        assertClose(ours, committedLogits.logits, tolerance: 1e-6, "logits PEFT was checked against")
    }

    func testAddedTokensTrainBesideTheAdaptersAndNothingElseChanges() throws {
        var rng = SeededGenerator(seed: 3)
        let model = try base()
        let before = model.stateDictionary()
        let grown = try model.withLoRA(LoRAConfig(rank: 2, alpha: 4, targets: [.attention]), addingTokens: 3, using: &rng)
        XCTAssertEqual(grown.config.vocabularySize, 67)
        XCTAssertEqual(grown.lora?.config.trainableTokenIndices, [64, 65, 66])
        // At the start the old tokens' logits are the base model's (the new rows only add columns).
        let ids: [[Int32]] = [[3, 4, 5, 6]]
        let grownLogits = try logits(grown, ids), baseLogits = try logits(model, ids)
        for t in 0..<4 { XCTAssertEqual(Array(grownLogits[(t * 67)..<(t * 67 + 64)]), Array(baseLogits[(t * 64)..<(t * 64 + 64)])) }

        // Teach the model to follow token 64 with token 10: only the adapters and rows 64–66 may change.
        let optimizer = try AdamW(parameters: grown.namedParameters(), learningRate: 3e-2, weightDecay: 0)
        let data = batch([[64, 10, 64, 10, 64, 10], [7, 64, 10, 8, 64, 10]])
        var losses: [Float] = []
        for _ in 0..<40 {
            let loss = try grown.languageModelLoss(data)
            losses.append(loss.value.item)
            try loss.backward()
            XCTAssertTrue(grown.baseParameters().allSatisfy { $0.1.grad == nil }, "no gradient for frozen weights")
            optimizer.step()
            optimizer.zeroGradients()
        }
        XCTAssertLessThan(losses.last!, losses.first! - 0.5, "\(losses)")
        XCTAssertEqual(model.stateDictionary(), before, "the base model never changes")
        let merged = grown.mergingLoRA(requiresGrad: false)
        let table = merged.tokenEmbedding.value.scalars, grownTable = grown.tokenEmbedding.value.scalars
        XCTAssertEqual(Array(table[..<(64 * 32)]), model.tokenEmbedding.value.scalars, "the base tokens' rows are untouched")
        XCTAssertNotEqual(Array(table[(64 * 32)..<(65 * 32)]), Array(grownTable[(64 * 32)..<(65 * 32)]), "the added token's row trained")
        assertClose(try logits(merged, [[64, 10, 64]]), try logits(grown, [[64, 10, 64]]), tolerance: 1e-5, "merged vs adapted")
    }

    // MARK: - Training only the adapters

    func testFreshAdaptersStartAtTheBaseModelAndFreezeIt() throws {
        var rng = SeededGenerator(seed: 1)
        let model = try base()
        let adapted = try model.withLoRA(LoRAConfig(rank: 4, alpha: 8, targets: LoRATarget.allCases), using: &rng)
        let ids: [[Int32]] = [[3, 4, 5, 6, 7, 8]]
        XCTAssertEqual(try logits(adapted, ids), try logits(model, ids), "B = 0 at initialisation: the base model exactly")
        XCTAssertTrue(adapted.baseParameters().allSatisfy { !$0.1.requiresGrad })
        XCTAssertEqual(adapted.namedParameters().filter { $0.1.requiresGrad }.count, 2 * 4 * 2)

        let loss = try adapted.languageModelLoss(batch(ids))
        try loss.backward()
        XCTAssertTrue(adapted.baseParameters().allSatisfy { $0.1.grad == nil }, "no gradient is computed or stored for frozen weights")
        let bGradients = adapted.lora!.namedParameters().filter { $0.0.contains("lora_B") }.map { $0.1.grad }
        XCTAssertTrue(bGradients.allSatisfy { $0 != nil && $0!.scalars.contains { $0 != 0 } })
    }

    func testTrainingTheAdaptersLowersTheLossAndLeavesTheBaseUntouched() throws {
        var rng = SeededGenerator(seed: 2)
        let model = try base()
        let before = model.stateDictionary()
        let adapted = try model.withLoRA(LoRAConfig(rank: 4, alpha: 8, targets: [.attention, .mlpExpansion]), using: &rng)
        let optimizer = try AdamW(parameters: adapted.namedParameters(), learningRate: 3e-2, weightDecay: 0)
        let data = batch([[10, 11, 12, 13, 14, 15, 16, 17, 18, 19], [20, 21, 22, 23, 24, 25, 26, 27, 28, 29]])
        var losses: [Float] = []
        for _ in 0..<60 {
            let loss = try adapted.languageModelLoss(data)
            losses.append(loss.value.item)
            try loss.backward()
            optimizer.step()
            optimizer.zeroGradients()
        }
        XCTAssertLessThan(losses.last!, losses.first! - 0.4, "\(losses)")
        XCTAssertEqual(model.stateDictionary(), before, "the base model's weights never change")
        XCTAssertEqual(adapted.baseParameters().map { $0.1.value }, model.baseParameters().map { $0.1.value })

        // Disabled adapters compute the base model: the frozen reference without a second copy of the weights.
        adapted.lora!.isEnabled = false
        XCTAssertEqual(try logits(adapted, [[10, 11, 12]]), try logits(model, [[10, 11, 12]]))
        adapted.lora!.isEnabled = true
        XCTAssertNotEqual(try logits(adapted, [[10, 11, 12]]), try logits(model, [[10, 11, 12]]))
    }

    func testSamplingWithAdaptersSamplesTheMergedModel() throws {
        let adapted = try base().loadingPEFTAdapter(from: Self.fixtures.appendingPathComponent("lora_peft"))
        let prompts = batch([[1, 2, 3], [4, 5, 6]])
        let options = GenerationOptions(maximumNewTokens: 8, minimumNewTokens: 8, temperature: 1)
        var first = SeededGenerator(seed: 5), second = SeededGenerator(seed: 5)
        let fromAdapted = try adapted.generate(prompts: prompts, options: options, using: &first)
        let fromMerged = try adapted.mergingLoRA().generate(prompts: prompts, options: options, using: &second)
        XCTAssertEqual(fromAdapted.responses.tokens, fromMerged.responses.tokens)
    }

    // MARK: - Bad input

    func testBadTargetsAndConfigurationsAreRefusedWithTheFix() throws {
        var rng = SeededGenerator(seed: 0)
        XCTAssertEqual(try LoRATarget.parse(["c_proj"]), [.attentionOutput, .mlpOutput])
        XCTAssertEqual(try LoRATarget.parse(["c_fc", "attn.c_attn"]), [.attention, .mlpExpansion])
        XCTAssertThrowsError(try LoRATarget.parse(["q_proj"])) { error in
            XCTAssertTrue("\(error)".contains("c_attn"), "\(error)")
        }
        XCTAssertThrowsError(try LoRAConfig(rank: 0).validate())
        XCTAssertThrowsError(try LoRAConfig(dropout: 1).validate())
        XCTAssertThrowsError(try LoRAConfig(alpha: .nan).validate())
        XCTAssertThrowsError(try LoRAConfig(trainableTokenIndices: [2, 2]).validate())
        XCTAssertThrowsError(try base().withLoRA(LoRAConfig(trainableTokenIndices: [64]), using: &rng)) { XCTAssertTrue("\($0)".contains("0..<64"), "\($0)") }
        XCTAssertNil(try LoRAConfig.options(rank: 0, alpha: nil, dropout: 0, targets: "c_attn"))
        XCTAssertEqual(try LoRAConfig.options(rank: 4, alpha: nil, dropout: 0.1, targets: "c_attn, c_fc"),
                       LoRAConfig(rank: 4, alpha: 8, dropout: 0.1, targets: [.attention, .mlpExpansion]))
        XCTAssertThrowsError(try LoRAConfig.options(rank: -1, alpha: nil, dropout: 0, targets: "c_attn"))
        // Configurations written before trainable tokens existed still decode.
        let old = #"{"rank":2,"alpha":4,"dropout":0,"targets":["attn.c_attn"]}"#
        XCTAssertEqual(try JSONDecoder().decode(LoRAConfig.self, from: Data(old.utf8)), LoRAConfig(rank: 2, alpha: 4, targets: [.attention]))
    }

    func testMalformedPEFTDirectoriesAreRefused() throws {
        let source = Self.fixtures.appendingPathComponent("lora_peft")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lora-bad-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(at: source, to: directory)
        let model = try base()

        // DoRA is not implemented: refused, not silently computed as LoRA.
        let configURL = directory.appendingPathComponent("adapter_config.json")
        let original = try Data(contentsOf: configURL)
        var config = try JSONSerialization.jsonObject(with: original) as! [String: Any]
        config["use_dora"] = true
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        XCTAssertThrowsError(try model.loadingPEFTAdapter(from: directory)) { XCTAssertTrue("\($0)".contains("use_dora"), "\($0)") }
        try original.write(to: configURL)

        // A missing partner matrix, and a wrong rank.
        let tensorsURL = directory.appendingPathComponent("adapter_model.safetensors")
        var tensors = try Safetensors.read(contentsOf: tensorsURL)
        let key = "base_model.model.transformer.h.0.mlp.c_fc.lora_B.weight"
        let saved = tensors.removeValue(forKey: key)
        try Safetensors.write(tensors, to: tensorsURL)
        XCTAssertThrowsError(try model.loadingPEFTAdapter(from: directory)) { XCTAssertTrue("\($0)".contains(key), "\($0)") }
        tensors[key] = Tensor(zeros: [128, 3])
        try Safetensors.write(tensors, to: tensorsURL)
        XCTAssertThrowsError(try model.loadingPEFTAdapter(from: directory)) { XCTAssertTrue("\($0)".contains(key), "\($0)") }
        tensors[key] = saved
        tensors["base_model.model.transformer.h.5.attn.c_attn.lora_A.weight"] = Tensor(zeros: [4, 32])
        try Safetensors.write(tensors, to: tensorsURL)
        XCTAssertThrowsError(try model.loadingPEFTAdapter(from: directory)) { XCTAssertTrue("\($0)".contains("h.5"), "\($0)") }

        XCTAssertThrowsError(try model.loadingPEFTAdapter(from: directory.appendingPathComponent("nothing")))
    }

    func testTrainableTokensOutsideTheVocabularyOrWithoutRowsAreRefused() throws {
        let source = Self.fixtures.appendingPathComponent("lora_peft_tokens")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lora-bad-tokens-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(at: source, to: directory)
        let model = try base()
        let configURL = directory.appendingPathComponent("adapter_config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as! [String: Any]
        config["trainable_token_indices"] = [3, 64]
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        XCTAssertThrowsError(try model.loadingPEFTAdapter(from: directory)) { XCTAssertTrue("\($0)".contains("trainable_token_indices"), "\($0)") }
        config["trainable_token_indices"] = [3, 60, 61]
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        XCTAssertThrowsError(try model.loadingPEFTAdapter(from: directory)) { XCTAssertTrue("\($0)".contains("trainable_tokens_delta"), "\($0)") }
        config["trainable_token_indices"] = nil
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        XCTAssertThrowsError(try model.loadingPEFTAdapter(from: directory)) { XCTAssertTrue("\($0)".contains("trainable_tokens_delta"), "\($0)") }
    }
}
