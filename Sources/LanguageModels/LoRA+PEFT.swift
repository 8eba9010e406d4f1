// LoRA adapters in Hugging Face PEFT's directory format, so adapters trained here load in
// `PeftModel.from_pretrained` and adapters trained with PEFT load here:
//
//   adapter_config.json          peft_type "LORA", r, lora_alpha, lora_dropout, target_modules, fan_in_fan_out, …
//   adapter_model.safetensors    base_model.model.transformer.h.N.<attn.c_attn|attn.c_proj|mlp.c_fc|mlp.c_proj>
//                                  .lora_A.weight [r, in] and .lora_B.weight [out, r];
//                                base_model.model.transformer.wte.token_adapter.trainable_tokens_delta [n, C],
//                                  the rows of `trainable_token_indices` (PEFT ≥ 0.15's trainable tokens)
//
// GPT-2's projections are Conv1D modules (weights [in, out]), so PEFT marks them fan_in_fan_out; that flag only
// changes how PEFT merges, not the shapes of A and B.
import Foundation
import TensorCore
import Validation

/// The fields of PEFT's `adapter_config.json` that a LoRA adapter for GPT-2 uses.
struct PEFTAdapterConfig: Codable {
    var peft_type: String
    var task_type: String?
    var r: Int
    var lora_alpha: Float
    var lora_dropout: Float?
    var target_modules: [String]?
    var fan_in_fan_out: Bool?
    var bias: String?
    var base_model_name_or_path: String?
    var inference_mode: Bool?
    var use_rslora: Bool?
    var use_dora: Bool?
    var modules_to_save: [String]?
    var layers_to_transform: [Int]?
    var rank_pattern: [String: Int]?
    var alpha_pattern: [String: Float]?
    var init_lora_weights: Bool?
    var trainable_token_indices: [Int]?
}

extension LoRAAdapters {
    /// PEFT's key of the trainable token rows (GPT-2's `wte`; PEFT ties the output projection to it).
    static let peftTokenRowsKey = "base_model.model.transformer.wte.token_adapter.trainable_tokens_delta"

    /// PEFT's key of one matrix.
    static func peftKey(layer: Int, target: LoRATarget, matrix: String) -> String {
        "base_model.model.transformer.h.\(layer).\(target.rawValue).\(matrix).weight"
    }

    /// Writes `adapter_config.json` and `adapter_model.safetensors` into `directory` as PEFT's
    /// `save_pretrained` does; `baseModel` is recorded as `base_model_name_or_path`.
    ///
    /// - Throws: `CheckpointError.ioError` when the directory or a file cannot be written.
    public func savePEFT(to directory: URL, baseModel: String) throws {
        let peft = PEFTAdapterConfig(
            peft_type: "LORA", task_type: "CAUSAL_LM", r: config.rank, lora_alpha: config.alpha,
            lora_dropout: config.dropout, target_modules: config.targets.map(\.rawValue), fan_in_fan_out: true,
            bias: "none", base_model_name_or_path: baseModel, inference_mode: true, use_rslora: false, use_dora: false,
            modules_to_save: nil, layers_to_transform: nil, rank_pattern: [:], alpha_pattern: [:], init_lora_weights: true,
            trainable_token_indices: config.trainableTokenIndices.isEmpty ? nil : config.trainableTokenIndices)
        try GPT.writeConfiguration(peft, named: "adapter_config.json", in: directory)
        var tensors: [String: Tensor] = [:]
        for (layer, targets) in pairs.enumerated() {
            for (target, pair) in targets {
                tensors[LoRAAdapters.peftKey(layer: layer, target: target, matrix: "lora_A")] = pair.a.value
                tensors[LoRAAdapters.peftKey(layer: layer, target: target, matrix: "lora_B")] = pair.b.value
            }
        }
        if let tokenRows { tensors[LoRAAdapters.peftTokenRowsKey] = tokenRows.value }
        try Safetensors.write(tensors, to: directory.appendingPathComponent("adapter_model.safetensors"),
                              metadata: ["format": "pt"])
    }

    /// Reads a PEFT LoRA directory (`adapter_config.json` + `adapter_model.safetensors`) for a model of shape
    /// `model`. The adapted projections are those with tensors in the file; every one must be a GPT-2
    /// projection of a block of the model, with A `[r, in]` and B `[out, r]`; `trainable_token_indices` must be
    /// ids of the model's vocabulary, with their rows `[n, C]` in the file.
    ///
    /// - Throws: `CheckpointError` for a missing or malformed file, a missing partner matrix or a wrong shape;
    ///   `LanguageModelError.invalid` for a tensor this reader does not load, or a PEFT option this
    ///   implementation does not compute (rsLoRA, DoRA, trained biases, per-module ranks, saved modules).
    public static func loadPEFT(from directory: URL, model: GPTConfig, requiresGrad: Bool = true) throws -> LoRAAdapters {
        let configURL = directory.appendingPathComponent("adapter_config.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else { throw CheckpointError.fileNotFound(path: configURL.path) }
        let peft: PEFTAdapterConfig
        do {
            peft = try JSONDecoder().decode(PEFTAdapterConfig.self, from: Data(contentsOf: configURL))
        } catch {
            throw CheckpointError.malformedHeader(path: configURL.path, reason: "adapter_config.json cannot be decoded as a PEFT LoRA configuration (\(error))")
        }
        func unsupported(_ field: String, _ value: String, _ fix: String) -> LanguageModelError {
            .invalid(.invalidValue(field: "adapter_config.json \(field)", value: value, requirement: "this reader cannot load it: \(fix)"))
        }
        guard peft.peft_type == "LORA" else { throw unsupported("peft_type", peft.peft_type, "load a LoRA adapter (peft_type \"LORA\")") }
        if peft.use_rslora == true { throw unsupported("use_rslora", "true", "train with use_rslora=False; rank-stabilised scaling is not implemented") }
        if peft.use_dora == true { throw unsupported("use_dora", "true", "train with use_dora=False; DoRA is not implemented") }
        if let bias = peft.bias, bias != "none" { throw unsupported("bias", bias, "train with bias=\"none\"") }
        if let modules = peft.modules_to_save, !modules.isEmpty {
            throw unsupported("modules_to_save", modules.joined(separator: ","), "train without modules_to_save")
        }
        if let ranks = peft.rank_pattern, !ranks.isEmpty { throw unsupported("rank_pattern", "\(ranks)", "use one rank for every module") }
        if let alphas = peft.alpha_pattern, !alphas.isEmpty { throw unsupported("alpha_pattern", "\(alphas)", "use one lora_alpha for every module") }

        let tensorsURL = directory.appendingPathComponent("adapter_model.safetensors")
        var tensors = try Safetensors.read(contentsOf: tensorsURL)
        var pairs = [[LoRATarget: (a: Tensor, b: Tensor)]](repeating: [:], count: model.layerCount)
        var targets: [LoRATarget] = []
        for layer in 0..<model.layerCount {
            for target in LoRATarget.allCases {
                let aKey = peftKey(layer: layer, target: target, matrix: "lora_A")
                let bKey = peftKey(layer: layer, target: target, matrix: "lora_B")
                let a = tensors.removeValue(forKey: aKey), b = tensors.removeValue(forKey: bKey)
                if a == nil && b == nil { continue }
                guard let a else { throw CheckpointError.missingParameter(name: aKey) }
                guard let b else { throw CheckpointError.missingParameter(name: bKey) }
                let (input, output) = target.features(width: model.embeddingSize)
                guard a.shape == [peft.r, input] else { throw CheckpointError.shapeMismatch(name: aKey, expected: [peft.r, input], found: a.shape) }
                guard b.shape == [output, peft.r] else { throw CheckpointError.shapeMismatch(name: bKey, expected: [output, peft.r], found: b.shape) }
                pairs[layer][target] = (a, b)
                if !targets.contains(target) { targets.append(target) }
            }
        }
        let tokenIndices = peft.trainable_token_indices ?? []
        let tokenRows = tensors.removeValue(forKey: peftTokenRowsKey)
        if let bad = tokenIndices.first(where: { $0 < 0 || $0 >= model.vocabularySize }) {
            throw unsupported("trainable_token_indices", "\(bad)", "load the adapter onto the model it was trained for, with \(bad + 1) or more tokens")
        }
        if tokenIndices.isEmpty {
            if tokenRows != nil {
                throw unsupported("tensor", peftTokenRowsKey, "list the rows' token ids in adapter_config.json's trainable_token_indices, or remove the tensor")
            }
        } else {
            guard let tokenRows else { throw CheckpointError.missingParameter(name: peftTokenRowsKey) }
            let expected = [tokenIndices.count, model.embeddingSize]
            guard tokenRows.shape == expected else { throw CheckpointError.shapeMismatch(name: peftTokenRowsKey, expected: expected, found: tokenRows.shape) }
        }
        if let extra = tensors.keys.sorted().first {
            throw unsupported("tensor", extra, "this reader loads GPT-2's LoRA matrices (c_attn, c_proj, c_fc of blocks 0..<\(model.layerCount)) and trainable token rows only; remove the tensor, or save the adapter without it")
        }
        let config = LoRAConfig(rank: peft.r, alpha: peft.lora_alpha, dropout: peft.lora_dropout ?? 0,
                                targets: LoRATarget.allCases.filter(targets.contains), trainableTokenIndices: tokenIndices)
        try config.validate()
        return LoRAAdapters(config: config, pairs: pairs, tokenRows: tokenRows, requiresGrad: requiresGrad)
    }
}

extension GPT {
    /// This model, frozen, with the PEFT LoRA adapter in `directory` attached (see `LoRAAdapters.loadPEFT`).
    public func loadingPEFTAdapter(from directory: URL, requiresGrad: Bool = true) throws -> GPT {
        withAdapters(try LoRAAdapters.loadPEFT(from: directory, model: config, requiresGrad: requiresGrad))
    }
}
