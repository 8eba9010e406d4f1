// LoRA (Hu et al. 2021, arXiv 2106.09685): a frozen weight W₀ [out, in] plus a trainable low-rank update,
//
//   h = W₀·x + (α / r) · B·A·dropout(x)        A [r, in], B [out, r]  (§4.1, eq. 3)
//
// A starts random and B at zero, so training starts from the base model exactly. The names, shapes and
// initialisation follow Hugging Face PEFT, so adapters move between the two (`LoRA+PEFT.swift`): PEFT's
// `lora_A.weight` is A [r, in] and `lora_B.weight` is B [out, r], for GPT-2's Conv1D modules as for nn.Linear.
import Foundation
import NeuralNetworks
import TensorCore
import Validation

/// A GPT-2 projection an adapter can wrap, by its Hugging Face module path inside a block.
public enum LoRATarget: String, CaseIterable, Codable, Sendable {
    /// The packed query/key/value projection `attn.c_attn`, C → 3C.
    case attention = "attn.c_attn"
    /// The attention output projection `attn.c_proj`, C → C.
    case attentionOutput = "attn.c_proj"
    /// The MLP expansion `mlp.c_fc`, C → 4C.
    case mlpExpansion = "mlp.c_fc"
    /// The MLP output projection `mlp.c_proj`, 4C → C.
    case mlpOutput = "mlp.c_proj"

    /// PEFT's `target_modules` entries as targets. A name matches a module when it is the module's path or its
    /// last component, as in PEFT: `c_proj` selects both `attn.c_proj` and `mlp.c_proj`.
    ///
    /// - Throws: `LanguageModelError.invalid` for a name that matches no GPT-2 projection, or none at all.
    public static func parse(_ names: [String]) throws(LanguageModelError) -> [LoRATarget] {
        var found: [LoRATarget] = []
        for name in names {
            let matches = allCases.filter { $0.rawValue == name || $0.rawValue.hasSuffix("." + name) }
            guard !matches.isEmpty else {
                throw LanguageModelError.invalid(.invalidValue(
                    field: "LoRA target", value: name,
                    requirement: "it must be one of GPT-2's module names: c_attn, c_proj (both projections), c_fc, attn.c_proj or mlp.c_proj"))
            }
            for target in matches where !found.contains(target) { found.append(target) }
        }
        guard !found.isEmpty else {
            throw LanguageModelError.invalid(.invalidValue(field: "LoRA targets", value: "[]", requirement: "it must name at least one module, such as c_attn"))
        }
        return allCases.filter(found.contains)
    }

    /// (in, out) features of this projection in a model of width `c`.
    func features(width c: Int) -> (input: Int, output: Int) {
        switch self {
        case .attention: return (c, 3 * c)
        case .attentionOutput: return (c, c)
        case .mlpExpansion: return (c, 4 * c)
        case .mlpOutput: return (4 * c, c)
        }
    }
}

/// Rank, scaling, dropout and targets of LoRA adapters, and the token rows that train beside them (PEFT's
/// `LoraConfig` fields `r`, `lora_alpha`, `lora_dropout`, `target_modules`, `trainable_token_indices`).
public struct LoRAConfig: Codable, Equatable, Sendable {
    /// The rank r of each update (≥ 1).
    public var rank: Int
    /// α: the update is scaled by α / r, so the learning rate need not change with r (§4.1).
    public var alpha: Float
    /// Dropout on the adapter's input while training, in [0, 1).
    public var dropout: Float
    /// The projections that get an adapter, in every block.
    public var targets: [LoRATarget]
    /// Token ids whose embedding rows train in full while the rest of the (tied) table stays frozen: tokens
    /// added to the vocabulary, such as Quark's reward tokens, which the base model has never seen. Empty by
    /// default.
    public var trainableTokenIndices: [Int]

    public init(rank: Int = 8, alpha: Float = 16, dropout: Float = 0, targets: [LoRATarget] = [.attention],
                trainableTokenIndices: [Int] = []) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targets = targets
        self.trainableTokenIndices = trainableTokenIndices
    }

    /// The configuration that `rank`, `alpha`, `dropout` and comma-separated `targets` options ask for (the
    /// command-line `--lora-*` options and the experiments' `lora*` fields), or nil when `rank` is 0 (LoRA off).
    /// `alpha` nil means 2 × rank.
    ///
    /// - Throws: `LanguageModelError` naming the bad option.
    public static func options(rank: Int, alpha: Float?, dropout: Float, targets: String) throws(LanguageModelError) -> LoRAConfig? {
        guard rank >= 0 else {
            throw .invalid(.invalidValue(field: "LoRA rank", value: "\(rank)", requirement: "it must be 0 (LoRA off) or a rank of at least 1, such as 8"))
        }
        guard rank > 0 else { return nil }
        let names = targets.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let config = LoRAConfig(rank: rank, alpha: alpha ?? Float(2 * rank), dropout: dropout, targets: try LoRATarget.parse(names))
        try config.validate()
        return config
    }

    /// α / r.
    public var scale: Float { alpha / Float(rank) }

    /// - Throws: `LanguageModelError.invalid` naming the field, its value and the fix.
    public func validate() throws(LanguageModelError) {
        guard rank >= 1 else {
            throw .invalid(.invalidValue(field: "rank", value: "\(rank)", requirement: "it must be at least 1, such as 8"))
        }
        guard alpha.isFinite, alpha > 0 else {
            throw .invalid(.invalidValue(field: "alpha", value: "\(alpha)", requirement: "it must be a positive α, such as 2 × rank"))
        }
        guard dropout.isFinite, dropout >= 0, dropout < 1 else {
            throw .invalid(.invalidValue(field: "dropout", value: "\(dropout)", requirement: "it must be a probability in [0, 1), such as 0.05"))
        }
        guard !targets.isEmpty else {
            throw .invalid(.invalidValue(field: "targets", value: "[]", requirement: "it must name at least one projection, such as c_attn"))
        }
        guard trainableTokenIndices.allSatisfy({ $0 >= 0 }), Set(trainableTokenIndices).count == trainableTokenIndices.count else {
            throw .invalid(.invalidValue(field: "trainableTokenIndices", value: "\(trainableTokenIndices)",
                                         requirement: "it must list distinct, non-negative token ids"))
        }
    }

    enum CodingKeys: String, CodingKey { case rank, alpha, dropout, targets, trainableTokenIndices }

    /// Decodes configurations written before `trainableTokenIndices` existed as having none.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(rank: try c.decode(Int.self, forKey: .rank), alpha: try c.decode(Float.self, forKey: .alpha),
                  dropout: try c.decode(Float.self, forKey: .dropout), targets: try c.decode([LoRATarget].self, forKey: .targets),
                  trainableTokenIndices: try c.decodeIfPresent([Int].self, forKey: .trainableTokenIndices) ?? [])
    }
}

/// The adapters of one GPT: an (A, B) pair per block and target, and the replacement rows of the token
/// embedding when `config.trainableTokenIndices` names any.
///
/// Parameter names are `lora.blocks.N.<target>.lora_A.weight` and `….lora_B.weight`, with `<target>` the Hugging
/// Face module path (`attn.c_attn`, …), and `lora.tokenEmbedding.trainable_tokens_delta`.
public final class LoRAAdapters: Module {
    public let config: LoRAConfig
    /// While false the model computes the base model alone (a frozen reference without a second copy).
    public var isEnabled = true
    /// `pairs[layer][target]`: A `[r, in]` and B `[out, r]`.
    let pairs: [[LoRATarget: (a: Variable, b: Variable)]]
    /// The rows that replace `config.trainableTokenIndices` of the token embedding, `[n, C]` (PEFT's
    /// `trainable_tokens_delta`, which holds the rows themselves, not differences), or nil when none train.
    let tokenRows: Variable?

    /// The name of the replacement token rows.
    static let tokenRowsName = "lora.tokenEmbedding.trainable_tokens_delta"

    /// Fresh adapters for `model`, initialised as PEFT does: A ~ U(−1/√in, 1/√in) (Kaiming uniform with a = √5)
    /// and B = 0, and the trainable token rows copied from the model's embedding, so the adapted model starts
    /// equal to the base model.
    ///
    /// - Throws: `LanguageModelError.invalid` when `config` is invalid or names a token id outside
    ///   the model's vocabulary.
    public init<G: RandomNumberGenerator>(config: LoRAConfig, model: GPT, using generator: inout G) throws(LanguageModelError) {
        try config.validate()
        let shape = model.config
        if let bad = config.trainableTokenIndices.first(where: { $0 >= shape.vocabularySize }) {
            throw .invalid(.invalidValue(field: "trainableTokenIndices", value: "\(bad)",
                                         requirement: "it must name token ids of the model's vocabulary, 0..<\(shape.vocabularySize)"))
        }
        self.config = config
        pairs = (0..<shape.layerCount).map { _ in
            var layer: [LoRATarget: (a: Variable, b: Variable)] = [:]
            for target in config.targets {
                let (input, output) = target.features(width: shape.embeddingSize)
                let bound = 1 / Float(input).squareRoot()
                layer[target] = (Variable(Tensor.randomUniform([config.rank, input], low: -bound, high: bound, using: &generator),
                                          requiresGrad: true),
                                 Variable(Tensor(zeros: [output, config.rank]), requiresGrad: true))
            }
            return layer
        }
        tokenRows = LoRAAdapters.rows(config.trainableTokenIndices, of: model.tokenEmbedding.value, requiresGrad: true)
    }

    /// Adapters with the given A and B per layer and target and token rows (shapes checked by the caller).
    init(config: LoRAConfig, pairs: [[LoRATarget: (a: Tensor, b: Tensor)]], tokenRows: Tensor?, requiresGrad: Bool = true) {
        self.config = config
        self.pairs = pairs.map { layer in
            layer.mapValues { (Variable($0.a, requiresGrad: requiresGrad), Variable($0.b, requiresGrad: requiresGrad)) }
        }
        self.tokenRows = tokenRows.map { Variable($0, requiresGrad: requiresGrad) }
    }

    /// Copies of `table`'s rows at `indices` as one `[n, C]` variable, or nil for no indices.
    static func rows(_ indices: [Int], of table: Tensor, requiresGrad: Bool) -> Variable? {
        guard !indices.isEmpty else { return nil }
        let c = table.shape[1]
        let values = table.withUnsafeBufferPointer { t in indices.flatMap { Array(t[($0 * c)..<(($0 + 1) * c)]) } }
        return Variable(Tensor(shape: [indices.count, c], scalars: values), requiresGrad: requiresGrad)
    }

    /// The name of one matrix: `lora.blocks.N.<target>.lora_A.weight` (or `lora_B`).
    static func name(layer: Int, target: LoRATarget, matrix: String) -> String {
        "lora.blocks.\(layer).\(target.rawValue).\(matrix).weight"
    }

    public func namedParameters() -> [(String, Variable)] {
        let matrices = pairs.enumerated().flatMap { layer, targets in
            LoRATarget.allCases.compactMap { target in targets[target].map { (layer, target, $0) } }.flatMap { layer, target, pair in
                [(LoRAAdapters.name(layer: layer, target: target, matrix: "lora_A"), pair.a),
                 (LoRAAdapters.name(layer: layer, target: target, matrix: "lora_B"), pair.b)]
            }
        }
        return matrices + (tokenRows.map { [(LoRAAdapters.tokenRowsName, $0)] } ?? [])
    }

    /// (α / r) · B·A·dropout(x) for the projection `target` of block `layer`, or nil when that projection has no
    /// adapter or the adapters are disabled. Dropout applies only while `training`.
    func update<G: RandomNumberGenerator>(_ x: Variable, layer: Int, target: LoRATarget, training: Bool,
                                          generator: inout G) -> Variable? {
        guard isEnabled, let pair = pairs[layer][target] else { return nil }
        var input = x
        if training && config.dropout > 0 { input = input.dropout(probability: config.dropout, using: &generator) }
        return input.linear(weight: pair.a, bias: nil).linear(weight: pair.b, bias: nil) * config.scale
    }

    /// The token table the adapted model uses: `table` with the trainable rows replaced (gradients reach only
    /// those rows when `table` is frozen), or `table` itself when no rows train or the adapters are disabled.
    func tokenTable(_ table: Variable) -> Variable {
        guard isEnabled, let tokenRows else { return table }
        return table.replacingRows(config.trainableTokenIndices, with: tokenRows)
    }

    /// (α / r) · B·A, `[out, in]`: the change this adapter makes to the base weight.
    func weightUpdate(layer: Int, target: LoRATarget) -> Tensor? {
        guard let pair = pairs[layer][target] else { return nil }
        return withoutGradients { pair.b.value.matmul(pair.a.value) * config.scale }
    }

    /// A copy whose matrices share nothing with these.
    func copy(requiresGrad: Bool) -> LoRAAdapters {
        let copied = LoRAAdapters(config: config, pairs: pairs.map { $0.mapValues { ($0.a.value.deepCopy(), $0.b.value.deepCopy()) } },
                                  tokenRows: tokenRows?.value.deepCopy(), requiresGrad: requiresGrad)
        copied.isEnabled = isEnabled
        return copied
    }
}

extension GPT {
    /// A model that computes this one plus LoRA adapters, for fine-tuning only the adapters: the base weights
    /// are frozen (`requiresGrad == false`, so backward passes compute no gradient for them and optimizers keep
    /// no state for them) and share storage with this model's until either is changed.
    ///
    /// - Throws: `LanguageModelError.invalid` when `lora` is invalid.
    public func withLoRA<G: RandomNumberGenerator>(_ lora: LoRAConfig, using generator: inout G) throws(LanguageModelError) -> GPT {
        let adapters = try LoRAAdapters(config: lora, model: self, using: &generator)
        return withAdapters(adapters)
    }

    /// The model to fine-tune from this one: a copy whose every weight trains, or with `lora`, fresh adapters over
    /// this model's frozen weights, which it shares. The adapters are drawn from `seed`, so a resumed run rebuilds
    /// the same ones before loading its checkpoint.
    ///
    /// - Throws: `LanguageModelError.invalid` when `lora` is invalid.
    public func fineTunable(lora: LoRAConfig?, seed: UInt64) throws(LanguageModelError) -> GPT {
        guard let lora else { return copy() }
        var rng = SeededGenerator(seed: seed &+ 0x10_4A)
        return try withLoRA(lora, using: &rng)
    }

    /// The frozen reference of a policy fine-tuned from this model by `fineTunable(lora:seed:)`: a frozen copy, or
    /// with LoRA this model itself, whose weights the policy shares and never changes (no second copy). Use it only
    /// where no gradient is recorded, as trainers use their references.
    public func frozenReference(lora: LoRAConfig?) -> GPT { lora == nil ? frozenCopy() : self }

    /// This model as a plain GPT, to save or evaluate: itself without adapters, otherwise its adapters merged into
    /// frozen weights (`mergingLoRA(requiresGrad: false)`).
    public func withAdaptersMerged() -> GPT { lora == nil ? self : mergingLoRA(requiresGrad: false) }

    /// A model of this one grown by `count` tokens, for fine-tuning with LoRA a model that must learn new
    /// tokens (Quark's reward tokens): the new embedding rows are drawn as `addTokens(count:using:)` draws them
    /// and train in full (PEFT's `trainable_token_indices`), beside `lora`'s adapters; every other weight stays
    /// frozen and shared with this model, except the grown embedding table, which is new.
    ///
    /// - Throws: `LanguageModelError` for a bad count or an invalid `lora`.
    public func withLoRA<G: RandomNumberGenerator>(_ lora: LoRAConfig, addingTokens count: Int,
                                                   using generator: inout G) throws(LanguageModelError) -> GPT {
        let grown = sharingFrozenWeights()
        try grown.addTokens(count: count, using: &generator)
        var lora = lora
        let added = config.vocabularySize..<grown.config.vocabularySize
        lora.trainableTokenIndices += added.filter { !lora.trainableTokenIndices.contains($0) }
        return try grown.withLoRA(lora, using: &generator)
    }

    /// This model's base weights, frozen and shared, with `adapters` attached.
    func withAdapters(_ adapters: LoRAAdapters) -> GPT {
        let adapted = sharingFrozenWeights()
        adapted.lora = adapters
        return adapted
    }

    /// A model without adapters whose weights are this model's base weights, frozen and shared.
    func sharingFrozenWeights() -> GPT {
        let values = Dictionary(uniqueKeysWithValues: baseParameters().map { ($0.0, $0.1.value) })
        return GPT(config: config, requiresGrad: false) { name, _ in values[name]! }
    }

    /// A plain model whose weights are W₀ + (α / r)·B·A: it computes what this model computes with its adapters
    /// enabled, without them. Returns a copy of this model when it has no adapters.
    ///
    /// A frozen result (`requiresGrad` false, as for sampling and saving) shares the weights no adapter changes; a
    /// trainable one gets its own copies, since training writes weights in place.
    public func mergingLoRA(requiresGrad: Bool = true) -> GPT {
        var values = Dictionary(uniqueKeysWithValues: baseParameters().map { ($0.0, $0.1.value) })
        var merged = Set<String>()
        if let lora {
            for layer in 0..<config.layerCount {
                for target in LoRATarget.allCases {
                    guard let update = lora.weightUpdate(layer: layer, target: target) else { continue }
                    let name = "blocks.\(layer).\(GPTBlock.parameterName(of: target))"
                    values[name] = values[name]! + update   // a new tensor
                    merged.insert(name)
                }
            }
            if let rows = lora.tokenRows {
                values["tokenEmbedding.weight"] = withoutGradients {   // a new tensor
                    tokenEmbedding.replacingRows(lora.config.trainableTokenIndices, with: rows).value
                }
                merged.insert("tokenEmbedding.weight")
            }
        }
        return GPT(config: config, requiresGrad: requiresGrad) { name, _ in
            requiresGrad && !merged.contains(name) ? values[name]!.deepCopy() : values[name]!
        }
    }

    /// The token table this model computes with: the embedding with the adapters' trainable token rows in place
    /// (`LoRAConfig.trainableTokenIndices`), or the embedding itself. The input lookup and the tied output
    /// projection both read it.
    var tokenTable: Variable { lora?.tokenTable(tokenEmbedding) ?? tokenEmbedding }

    /// The base model's parameters (no adapters), in `parameterShapes(_:)` order.
    public func baseParameters() -> [(String, Variable)] {
        var out: [(String, Variable)] = [("tokenEmbedding.weight", tokenEmbedding), ("positionEmbedding.weight", positionEmbedding)]
        for (l, block) in blocks.enumerated() { out += prefixed("blocks.\(l)", block) }
        return out + [("finalNorm.weight", finalNormWeight), ("finalNorm.bias", finalNormBias)]
    }
}

extension GPTBlock {
    /// Our name of the weight a LoRA target wraps.
    static func parameterName(of target: LoRATarget) -> String {
        switch target {
        case .attention: return "attention.qkv.weight"
        case .attentionOutput: return "attention.output.weight"
        case .mlpExpansion: return "mlp.hidden.weight"
        case .mlpOutput: return "mlp.output.weight"
        }
    }
}
