// Hugging Face GPT-2 checkpoints: the name mapping (nanoGPT's `from_pretrained`), the Conv1D transposes, and
// model directories (`config.json` + `model.safetensors`) that both this library and transformers can read.
import Foundation
import TensorCore

extension GPT {
    /// The Hugging Face name of one of our parameters, and whether HF stores it transposed (Conv1D `[in, out]`).
    static func huggingFaceName(_ name: String) -> (name: String, transposed: Bool) {
        switch name {
        case "tokenEmbedding.weight": return ("wte.weight", false)
        case "positionEmbedding.weight": return ("wpe.weight", false)
        case "finalNorm.weight": return ("ln_f.weight", false)
        case "finalNorm.bias": return ("ln_f.bias", false)
        default: break
        }
        // blocks.N.<part>.<weight|bias>
        let parts = name.split(separator: ".", maxSplits: 2).map(String.init)
        precondition(parts.count == 3 && parts[0] == "blocks", "no Hugging Face name for \(name)")
        let table: [String: (String, Bool)] = [
            "attentionNorm.weight": ("ln_1.weight", false), "attentionNorm.bias": ("ln_1.bias", false),
            "attention.qkv.weight": ("attn.c_attn.weight", true), "attention.qkv.bias": ("attn.c_attn.bias", false),
            "attention.output.weight": ("attn.c_proj.weight", true), "attention.output.bias": ("attn.c_proj.bias", false),
            "mlpNorm.weight": ("ln_2.weight", false), "mlpNorm.bias": ("ln_2.bias", false),
            "mlp.hidden.weight": ("mlp.c_fc.weight", true), "mlp.hidden.bias": ("mlp.c_fc.bias", false),
            "mlp.output.weight": ("mlp.c_proj.weight", true), "mlp.output.bias": ("mlp.c_proj.bias", false),
        ]
        let (hf, transposed) = table[parts[2]]!
        return ("h.\(parts[1]).\(hf)", transposed)
    }

    /// The parameters in Hugging Face GPT-2 layout: `wte.weight`, `wpe.weight`, `h.N.ln_1.weight`,
    /// `h.N.attn.c_attn.weight` (Conv1D `[in, out]`), …, `ln_f.bias`, each name preceded by `prefix`
    /// (e.g. `"transformer."` for a `GPT2LMHeadModel` checkpoint). The tied `lm_head.weight` is not written.
    public func huggingFaceStateDictionary(prefix: String = "") -> [String: Tensor] {
        var out = [String: Tensor]()
        // Adapters are not part of a GPT-2 checkpoint: merge them (`mergingLoRA()`) or save them as PEFT does.
        for (name, p) in baseParameters() {
            let (hf, transposed) = GPT.huggingFaceName(name)
            out[prefix + hf] = transposed ? p.value.transposed() : p.value
        }
        return out
    }

    /// A model from a Hugging Face GPT-2 state dictionary, with or without the `transformer.` prefix.
    ///
    /// The causal-mask buffers (`h.N.attn.bias`, `h.N.attn.masked_bias`) are skipped, and `lm_head.weight` is
    /// accepted when it equals `wte.weight` (GPT-2 ties them). Tensors for other heads (for example a value
    /// head) are returned in `unused` instead of failing; pass `strict: true` to reject them.
    ///
    /// - Throws: `CheckpointError.missingParameter`, `.shapeMismatch`, or `.unexpectedParameter` (an untied
    ///   `lm_head.weight`, which this architecture cannot represent, or any unknown tensor when strict).
    public static func fromHuggingFace(config: GPTConfig, stateDictionary: [String: Tensor], strict: Bool = false,
                                       requiresGrad: Bool = true) throws -> (model: GPT, unused: [String: Tensor]) {
        var tensors = [String: Tensor]()
        var lmHead: Tensor?
        var unused = [String: Tensor]()
        for (key, value) in stateDictionary {
            let name = key.hasPrefix("transformer.") ? String(key.dropFirst("transformer.".count)) : key
            if name.hasSuffix(".attn.bias") || name.hasSuffix(".attn.masked_bias") { continue }
            if name == "lm_head.weight" { lmHead = value; continue }
            tensors[name] = value
        }
        var ours = [String: Tensor]()
        for (name, shape) in GPT.parameterShapes(config) {
            let (hf, transposed) = GPT.huggingFaceName(name)
            guard let t = tensors.removeValue(forKey: hf) else { throw CheckpointError.missingParameter(name: hf) }
            let expected = transposed ? [shape[1], shape[0]] : shape
            guard t.shape == expected else { throw CheckpointError.shapeMismatch(name: hf, expected: expected, found: t.shape) }
            ours[name] = transposed ? t.transposed() : t
        }
        if let lmHead, lmHead != ours["tokenEmbedding.weight"] {
            throw CheckpointError.unexpectedParameter(name: "lm_head.weight (differs from wte.weight; only a tied output projection is supported)")
        }
        if strict, let extra = tensors.keys.sorted().first { throw CheckpointError.unexpectedParameter(name: extra) }
        unused = tensors
        return (try GPT(config: config, stateDictionary: ours, requiresGrad: requiresGrad), unused)
    }
}

// MARK: - Model directories

extension GPT {
    /// Writes `config.json` and `model.safetensors` (Hugging Face layout with the `transformer.` prefix, so
    /// `transformers.GPT2LMHeadModel.from_pretrained(directory)` reads it) into `directory`, creating it.
    ///
    /// - Parameters:
    ///   - extraTensors: more tensors for the same file (e.g. a value head), stored under their given names.
    ///   - metadata: strings stored in the safetensors header.
    ///   - writeExtraFiles: called with the directory after the model files are written (tokenizer files).
    public func save(to directory: URL, extraTensors: [String: Tensor] = [:], metadata: [String: String] = [:],
                     writeExtraFiles: ((URL) throws -> Void)? = nil) throws {
        try GPT.writeConfiguration(config, named: "config.json", in: directory)
        var tensors = huggingFaceStateDictionary(prefix: "transformer.")
        for (k, v) in extraTensors { tensors[k] = v }
        try Safetensors.write(tensors, to: directory.appendingPathComponent("model.safetensors"),
                              metadata: metadata.merging(["format": "pt"]) { a, _ in a })
        try writeExtraFiles?(directory)
    }

    /// Creates `directory` and writes `value` into it as pretty, key-sorted JSON (`config.json`, PEFT's
    /// `adapter_config.json`), atomically.
    ///
    /// - Throws: `CheckpointError.ioError` naming the directory or file that could not be written.
    static func writeConfiguration<Value: Encodable>(_ value: Value, named name: String, in directory: URL) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError.ioError(path: directory.path, message: "cannot create the directory: \(error.localizedDescription)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let url = directory.appendingPathComponent(name)
        do {
            try encoder.encode(value).write(to: url, options: .atomic)
        } catch {
            throw CheckpointError.ioError(path: url.path, message: error.localizedDescription)
        }
    }

    /// Loads a model directory written by `save(to:)` or by Hugging Face (`config.json` and
    /// `model.safetensors`, GPT-2 layout, with or without the `transformer.` prefix).
    ///
    /// - Returns: the model and any tensors it did not use (for example a saved value head).
    /// - Throws: `CheckpointError` for missing or malformed files, or `LanguageModelError` for a bad config.
    public static func load(from directory: URL, requiresGrad: Bool = true) throws -> (model: GPT, unused: [String: Tensor]) {
        let configURL = directory.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else { throw CheckpointError.fileNotFound(path: configURL.path) }
        let config: GPTConfig
        do {
            config = try JSONDecoder().decode(GPTConfig.self, from: Data(contentsOf: configURL))
        } catch {
            throw CheckpointError.malformedHeader(path: configURL.path, reason: "config.json cannot be decoded as a GPT-2 configuration (\(error))")
        }
        try config.validate()
        let tensors = try Safetensors.read(contentsOf: directory.appendingPathComponent("model.safetensors"))
        return try fromHuggingFace(config: config, stateDictionary: tensors, requiresGrad: requiresGrad)
    }
}

extension PolicyWithValue {
    /// Saves the policy as a GPT-2 directory with the value head as `v_head.summary.weight` / `.bias`
    /// (TRL's `AutoModelForCausalLMWithValueHead` names).
    public func save(to directory: URL, metadata: [String: String] = [:], writeExtraFiles: ((URL) throws -> Void)? = nil) throws {
        try policy.save(to: directory, extraTensors: ["v_head.summary.weight": valueHead.weight.value,
                                                      "v_head.summary.bias": valueHead.bias.value],
                        metadata: metadata, writeExtraFiles: writeExtraFiles)
    }

    /// Loads a directory saved by `save(to:)`; a plain GPT-2 directory gets a fresh zero value head.
    public static func load(from directory: URL) throws -> PolicyWithValue {
        let (policy, unused) = try GPT.load(from: directory)
        guard let w = unused["v_head.summary.weight"], let b = unused["v_head.summary.bias"] else { return PolicyWithValue(policy: policy) }
        return PolicyWithValue(policy: policy, valueHead: ScalarHead(weight: w, bias: b))
    }
}

extension RewardModel {
    /// Saves the trunk as a GPT-2 directory with the head as `score.weight` / `score.bias`
    /// (`GPT2ForSequenceClassification`'s name for its head).
    public func save(to directory: URL, metadata: [String: String] = [:], writeExtraFiles: ((URL) throws -> Void)? = nil) throws {
        try trunk.save(to: directory, extraTensors: ["score.weight": head.weight.value, "score.bias": head.bias.value],
                       metadata: metadata, writeExtraFiles: writeExtraFiles)
    }

    /// Loads a directory saved by `save(to:)`.
    ///
    /// - Throws: `CheckpointError.missingParameter("score.weight")` when the directory has no reward head.
    public static func load(from directory: URL) throws -> RewardModel {
        let (trunk, unused) = try GPT.load(from: directory)
        guard let w = unused["score.weight"] else { throw CheckpointError.missingParameter(name: "score.weight") }
        return RewardModel(trunk: trunk, head: ScalarHead(weight: w, bias: unused["score.bias"] ?? Tensor(zeros: [1])))
    }
}
