// GPT: the GPT-2 architecture (Radford et al. 2019; nanoGPT's model.py; llm.c's train_gpt2.c) over the
// TensorCore fused ops. Shape letters: B batch, T time, C channels, H heads, V vocabulary.
//
//   x = wte[tokens] + wpe[positions]                         [B, T, C]
//   per block:  x += proj(attention(qkv(ln_1(x))))           packed qkv [B, T, 3C]
//               x += proj(gelu(fc(ln_2(x))))                 hidden [B, T, 4C]
//   h = ln_f(x)                                              [B, T, C]
//   logits = h · wteᵀ                                        [B, T, V]  (output projection tied to wte)
import Foundation
import NeuralNetworks
import TensorCore

/// One pre-layer-norm transformer block. Weights are stored `[out, in]` (PyTorch `nn.Linear` layout).
public final class GPTBlock: Module {
    /// ln_1 gain and bias, `[C]`.
    public let attentionNormWeight: Variable, attentionNormBias: Variable
    /// Packed query/key/value projection, `[3C, C]` and `[3C]`.
    public let qkvWeight: Variable, qkvBias: Variable
    /// Attention output projection, `[C, C]` and `[C]` (a residual projection: scaled init).
    public let attentionOutputWeight: Variable, attentionOutputBias: Variable
    /// ln_2 gain and bias, `[C]`.
    public let mlpNormWeight: Variable, mlpNormBias: Variable
    /// MLP expansion, `[4C, C]` and `[4C]`.
    public let mlpHiddenWeight: Variable, mlpHiddenBias: Variable
    /// MLP output projection, `[C, 4C]` and `[C]` (a residual projection: scaled init).
    public let mlpOutputWeight: Variable, mlpOutputBias: Variable

    /// Parameter names and shapes in `namedParameters()` order.
    static func parameterShapes(_ c: Int) -> [(String, [Int])] {
        [("attentionNorm.weight", [c]), ("attentionNorm.bias", [c]),
         ("attention.qkv.weight", [3 * c, c]), ("attention.qkv.bias", [3 * c]),
         ("attention.output.weight", [c, c]), ("attention.output.bias", [c]),
         ("mlpNorm.weight", [c]), ("mlpNorm.bias", [c]),
         ("mlp.hidden.weight", [4 * c, c]), ("mlp.hidden.bias", [4 * c]),
         ("mlp.output.weight", [c, 4 * c]), ("mlp.output.bias", [c])]
    }

    init(_ v: [Variable]) {
        precondition(v.count == 12, "GPTBlock needs 12 parameters")
        (attentionNormWeight, attentionNormBias, qkvWeight, qkvBias) = (v[0], v[1], v[2], v[3])
        (attentionOutputWeight, attentionOutputBias, mlpNormWeight, mlpNormBias) = (v[4], v[5], v[6], v[7])
        (mlpHiddenWeight, mlpHiddenBias, mlpOutputWeight, mlpOutputBias) = (v[8], v[9], v[10], v[11])
    }

    public func namedParameters() -> [(String, Variable)] {
        let values = [attentionNormWeight, attentionNormBias, qkvWeight, qkvBias, attentionOutputWeight,
                      attentionOutputBias, mlpNormWeight, mlpNormBias, mlpHiddenWeight, mlpHiddenBias,
                      mlpOutputWeight, mlpOutputBias]
        return zip(GPTBlock.parameterShapes(qkvWeight.shape[1]).map(\.0), values).map { ($0, $1) }
    }
}

/// A GPT-2 language model.
///
/// Parameter names are `tokenEmbedding.weight`, `positionEmbedding.weight`, `blocks.N.<block parameter>`,
/// `finalNorm.weight` and `finalNorm.bias`. Use `huggingFaceStateDictionary()` /
/// `GPT(config:huggingFaceStateDictionary:)` for the Hugging Face GPT-2 layout.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let model = try GPT(config: config, using: &rng)
/// let batch = TokenBatch(leftPadding: [[1, 2, 3], [4]], padToken: 0)
/// let (logits, hidden) = try model.forward(batch)        // [2, 3, V], [2, 3, C]
/// ```
public final class GPT: Module {
    /// The model's shape. `vocabularySize` changes with `resizeVocabulary(to:using:)`.
    public internal(set) var config: GPTConfig
    /// Token embedding `wte`, `[V, C]`; also the output projection (tied).
    public internal(set) var tokenEmbedding: Variable
    /// Learned position embedding `wpe`, `[contextLength, C]`.
    public let positionEmbedding: Variable
    public let blocks: [GPTBlock]
    /// ln_f gain and bias, `[C]`.
    public let finalNormWeight: Variable, finalNormBias: Variable
    /// LoRA adapters on some projections of every block (`withLoRA(_:using:)`), or nil.
    public internal(set) var lora: LoRAAdapters?

    /// Every parameter name and shape for `config`, in `namedParameters()` order.
    public static func parameterShapes(_ config: GPTConfig) -> [(String, [Int])] {
        let c = config.embeddingSize
        var shapes = [("tokenEmbedding.weight", [config.vocabularySize, c]),
                      ("positionEmbedding.weight", [config.contextLength, c])]
        for l in 0..<config.layerCount {
            shapes += GPTBlock.parameterShapes(c).map { ("blocks.\(l).\($0.0)", $0.1) }
        }
        return shapes + [("finalNorm.weight", [c]), ("finalNorm.bias", [c])]
    }

    /// Builds the model from one tensor per parameter, asked for in `namedParameters()` order.
    init(config: GPTConfig, requiresGrad: Bool, make: (String, [Int]) throws -> Tensor) rethrows {
        self.config = config
        var made = [Variable]()
        for (name, shape) in GPT.parameterShapes(config) {
            made.append(Variable(try make(name, shape), requiresGrad: requiresGrad, name: name))
        }
        tokenEmbedding = made[0]
        positionEmbedding = made[1]
        blocks = (0..<config.layerCount).map { l in GPTBlock(Array(made[(2 + 12 * l)..<(14 + 12 * l)])) }
        finalNormWeight = made[made.count - 2]
        finalNormBias = made[made.count - 1]
    }

    /// A randomly initialised model with GPT-2's scheme: N(0, 0.02) for embeddings and linear weights, zero
    /// biases, unit layer-norm gains, and N(0, 0.02/√(2·layers)) for the two residual projections per block.
    ///
    /// - Throws: `LanguageModelError.invalid` when `config.validate()` fails.
    public convenience init<G: RandomNumberGenerator>(config: GPTConfig, using generator: inout G) throws(LanguageModelError) {
        try config.validate()
        let residualStd = 0.02 / Float(2 * config.layerCount).squareRoot()
        self.init(config: config, requiresGrad: true) { name, shape in
            if name.hasSuffix("Norm.weight") { return Tensor(shape: shape, repeating: 1) }
            if name.hasSuffix(".bias") { return Tensor(zeros: shape) }
            let std: Float = name.hasSuffix("attention.output.weight") || name.hasSuffix("mlp.output.weight") ? residualStd : 0.02
            return Tensor.randomNormal(shape, standardDeviation: std, using: &generator)
        }
    }

    /// A model with the given parameter values (our names; see `parameterShapes(_:)`).
    ///
    /// - Throws: `CheckpointError` for a missing tensor, a tensor of the wrong shape, or (when
    ///   `strict`) an unexpected name.
    public convenience init(config: GPTConfig, stateDictionary: [String: Tensor], strict: Bool = true,
                            requiresGrad: Bool = true) throws {
        try config.validate()
        let expected = Set(GPT.parameterShapes(config).map(\.0))
        if strict, let extra = stateDictionary.keys.filter({ !expected.contains($0) }).sorted().first {
            throw CheckpointError.unexpectedParameter(name: extra)
        }
        try self.init(config: config, requiresGrad: requiresGrad) { name, shape in
            guard let t = stateDictionary[name] else {
                throw CheckpointError.missingParameter(name: name)
            }
            guard t.shape == shape else {
                throw CheckpointError.shapeMismatch(name: name, expected: shape, found: t.shape)
            }
            return t.deepCopy()
        }
    }

    /// The base parameters, then the LoRA adapters' when there are any.
    public func namedParameters() -> [(String, Variable)] {
        baseParameters() + (lora?.namedParameters() ?? [])
    }

    /// A deep copy whose parameters train independently of this model's.
    public func copy() -> GPT { copy(requiresGrad: true) }

    /// A deep copy with `requiresGrad == false` everywhere: a frozen reference model.
    public func frozenCopy() -> GPT { copy(requiresGrad: false) }

    /// With adapters, the base stays frozen in the copy and the adapters get `requiresGrad`; a frozen base is
    /// never written, so the copy shares it and copies only the adapters.
    func copy(requiresGrad: Bool) -> GPT {
        let values = Dictionary(uniqueKeysWithValues: baseParameters().map { ($0.0, $0.1.value) })
        let copied = GPT(config: config, requiresGrad: lora == nil && requiresGrad) { name, _ in
            lora == nil ? values[name]!.deepCopy() : values[name]!
        }
        copied.lora = lora?.copy(requiresGrad: requiresGrad)
        return copied
    }
}

extension Tensor {
    /// A copy that shares no storage with `self`.
    func deepCopy() -> Tensor {
        withUnsafeBufferPointer { Tensor(shape: shape, scalars: Array($0)) }
    }
}

// MARK: - Forward

extension GPT {
    /// Checks a batch at the model's edge: every real id is in `0..<vocabularySize` and no sequence (a row, or
    /// one sequence of a packed row with its shared prefix) is longer than `contextLength`.
    public func validate(_ batch: TokenBatch) throws(LanguageModelError) {
        try validate(batch, positions: batch.positions)
    }

    func validate(_ batch: TokenBatch, positions: [Int32]) throws(LanguageModelError) {
        let v = config.vocabularySize, t = batch.length, context = config.contextLength
        let problem: LanguageModelError? = batch.mask.withUnsafeBufferPointer { m in
            for b in 0..<batch.batchSize {
                var longest = 0
                for i in 0..<t where m[b * t + i] != 0 {
                    longest = max(longest, Int(positions[b * t + i]) + 1)
                    let id = batch.tokens[b * t + i]
                    if id < 0 || Int(id) >= v { return .tokenOutOfRange(id: Int(id), row: b, position: i, vocabularySize: v) }
                }
                if longest > context { return .sequenceTooLong(length: longest, contextLength: context) }
            }
            return nil
        }
        if let problem { throw problem }
    }

    /// The final hidden states (after ln_f), `[B, T, C]`, without dropout.
    public func hiddenStates(_ batch: TokenBatch) throws -> Variable {
        var unused = SeededGenerator(seed: 0)
        return try trunk(batch, dropout: 0, generator: &unused)
    }

    /// The final hidden states in training mode: dropout with probability `config.dropout` on the embeddings
    /// and on each block's two residual branches, drawn from `generator`.
    public func hiddenStates<G: RandomNumberGenerator>(_ batch: TokenBatch, training generator: inout G) throws -> Variable {
        try trunk(batch, dropout: config.dropout, generator: &generator)
    }

    /// Logits `[B, T, V]` and final hidden states `[B, T, C]`.
    ///
    /// - Throws: `LanguageModelError` for an id outside the vocabulary or a row longer than the context.
    public func forward(_ batch: TokenBatch) throws -> (logits: Variable, hidden: Variable) {
        let hidden = try hiddenStates(batch)
        return (logits(hidden), hidden)
    }

    /// `forward` in training mode (see `hiddenStates(_:training:)`).
    public func forward<G: RandomNumberGenerator>(_ batch: TokenBatch, training generator: inout G) throws -> (logits: Variable, hidden: Variable) {
        let hidden = try hiddenStates(batch, training: &generator)
        return (logits(hidden), hidden)
    }

    /// The tied output projection: `hidden [..., C] · wteᵀ → [..., V]`.
    public func logits(_ hidden: Variable) -> Variable {
        hidden.matmul(tokenTable, transposeOther: true)
    }

    func trunk<G: RandomNumberGenerator>(_ batch: TokenBatch, dropout p: Float, generator: inout G) throws -> Variable {
        let positions = batch.positions
        try validate(batch, positions: positions)
        let B = batch.batchSize, T = batch.length
        let dense = batch.isDense
        // Padded positions may hold any id; embed them as id 0 (their outputs are never used).
        var ids = batch.tokens
        if !dense {
            batch.mask.withUnsafeBufferPointer { m in for i in 0..<ids.count where m[i] == 0 { ids[i] = 0 } }
        }
        // Both lookups were validated above, so they cannot throw.
        var x = try tokenTable.embedding(ids, shape: [B, T]) + positionEmbedding.embedding(positions, shape: [B, T])
        if p > 0 { x = x.dropout(probability: p, using: &generator) }
        let keyMask = dense ? nil : batch.mask
        let eps = config.layerNormEpsilon
        // LoRA's dropout, like the model's, applies only to passes that record gradients for training.
        let training = GradientMode.isEnabled
        for (l, block) in blocks.enumerated() {
            // x·Wᵀ + b, plus the block's LoRA update of this projection when it has one.
            func project(_ input: Variable, _ weight: Variable, _ bias: Variable, _ target: LoRATarget) -> Variable {
                let base = input.linear(weight: weight, bias: bias)
                guard let update = lora?.update(input, layer: l, target: target, training: training, generator: &generator) else { return base }
                return base + update
            }
            let h = x.layerNorm(weight: block.attentionNormWeight, bias: block.attentionNormBias, epsilon: eps)
            let qkv = project(h, block.qkvWeight, block.qkvBias, .attention)
            let attended = Variable.causalSelfAttention(qkv: qkv, heads: config.headCount, keyMask: keyMask)
            var y = project(attended, block.attentionOutputWeight, block.attentionOutputBias, .attentionOutput)
            if p > 0 { y = y.dropout(probability: p, using: &generator) }
            x = x + y
            let h2 = x.layerNorm(weight: block.mlpNormWeight, bias: block.mlpNormBias, epsilon: eps)
            let expanded = project(h2, block.mlpHiddenWeight, block.mlpHiddenBias, .mlpExpansion).gelu()
            var m = project(expanded, block.mlpOutputWeight, block.mlpOutputBias, .mlpOutput)
            if p > 0 { m = m.dropout(probability: p, using: &generator) }
            x = x + m
        }
        return x.layerNorm(weight: finalNormWeight, bias: finalNormBias, epsilon: eps)
    }
}
