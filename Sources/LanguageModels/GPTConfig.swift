// GPTConfig: the hyperparameters of a GPT-2 model, Codable with Hugging Face's config.json key names.
import Foundation
import Validation

/// The shape of a GPT-2 model.
///
/// Properties are camelCase; the coding keys are Hugging Face's (`n_layer`, `n_head`, `n_embd`, `n_positions`,
/// `vocab_size`, `resid_pdrop`), so a GPT-2 `config.json` decodes directly. Unknown keys are ignored, and
/// missing keys take GPT-2 small's values.
///
/// ```swift
/// let config = GPTConfig(layerCount: 2, headCount: 4, embeddingSize: 32, contextLength: 64, vocabularySize: 256)
/// try config.validate()
/// ```
public struct GPTConfig: Codable, Equatable, Sendable {
    /// Number of transformer blocks (`n_layer`).
    public var layerCount: Int
    /// Attention heads per block (`n_head`); must divide `embeddingSize`.
    public var headCount: Int
    /// Width of the residual stream, C (`n_embd`).
    public var embeddingSize: Int
    /// Maximum sequence length: rows of the position embedding (`n_positions`).
    public var contextLength: Int
    /// Number of token ids, V (`vocab_size`).
    public var vocabularySize: Int
    /// Dropout probability on embeddings, attention output and MLP output (`resid_pdrop`); applied only in
    /// training mode.
    public var dropout: Float
    /// Layer-norm epsilon (`layer_norm_epsilon`).
    public var layerNormEpsilon: Float

    public init(
        layerCount: Int, headCount: Int, embeddingSize: Int, contextLength: Int, vocabularySize: Int,
        dropout: Float = 0, layerNormEpsilon: Float = 1e-5
    ) {
        self.layerCount = layerCount
        self.headCount = headCount
        self.embeddingSize = embeddingSize
        self.contextLength = contextLength
        self.vocabularySize = vocabularySize
        self.dropout = dropout
        self.layerNormEpsilon = layerNormEpsilon
    }

    /// The size of one attention head, D = C / H.
    public var headSize: Int { embeddingSize / max(headCount, 1) }

    enum CodingKeys: String, CodingKey {
        case layerCount = "n_layer"
        case headCount = "n_head"
        case embeddingSize = "n_embd"
        case contextLength = "n_positions"
        case vocabularySize = "vocab_size"
        case dropout = "resid_pdrop"
        case layerNormEpsilon = "layer_norm_epsilon"
        // Read-only extras written for Hugging Face compatibility.
        case contextAlias = "n_ctx"
        case embeddingDropout = "embd_pdrop"
        case attentionDropout = "attn_pdrop"
        case modelType = "model_type"
        case architectures
        case activation = "activation_function"
        case innerSize = "n_inner"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        layerCount = try c.decodeIfPresent(Int.self, forKey: .layerCount) ?? 12
        headCount = try c.decodeIfPresent(Int.self, forKey: .headCount) ?? 12
        embeddingSize = try c.decodeIfPresent(Int.self, forKey: .embeddingSize) ?? 768
        contextLength = try c.decodeIfPresent(Int.self, forKey: .contextLength)
            ?? c.decodeIfPresent(Int.self, forKey: .contextAlias) ?? 1024
        vocabularySize = try c.decodeIfPresent(Int.self, forKey: .vocabularySize) ?? 50257
        dropout = try c.decodeIfPresent(Float.self, forKey: .dropout) ?? 0.1
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-5
        // This architecture is GPT-2's: GELU (tanh) and an MLP 4× as wide as the residual stream.
        if let activation = try c.decodeIfPresent(String.self, forKey: .activation),
           !["gelu_new", "gelu_pytorch_tanh"].contains(activation) {
            throw DecodingError.dataCorruptedError(
                forKey: .activation, in: c,
                debugDescription: "activation_function \(activation) is not supported; only GPT-2's gelu_new (tanh GELU) is")
        }
        if let inner = try c.decodeIfPresent(Int.self, forKey: .innerSize), inner != 4 * embeddingSize {
            throw DecodingError.dataCorruptedError(
                forKey: .innerSize, in: c,
                debugDescription: "n_inner \(inner) is not supported; the MLP width must be 4 × n_embd (\(4 * embeddingSize)) or null")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(layerCount, forKey: .layerCount)
        try c.encode(headCount, forKey: .headCount)
        try c.encode(embeddingSize, forKey: .embeddingSize)
        try c.encode(contextLength, forKey: .contextLength)
        try c.encode(contextLength, forKey: .contextAlias)
        try c.encode(vocabularySize, forKey: .vocabularySize)
        try c.encode(dropout, forKey: .dropout)
        try c.encode(dropout, forKey: .embeddingDropout)
        try c.encode(dropout, forKey: .attentionDropout)
        try c.encode(layerNormEpsilon, forKey: .layerNormEpsilon)
        try c.encode("gpt2", forKey: .modelType)
        try c.encode(["GPT2LMHeadModel"], forKey: .architectures)
        try c.encode("gelu_new", forKey: .activation)
    }

    /// Checks every field.
    ///
    /// - Throws: `LanguageModelError.invalid` with ``ConfigurationError/invalidValue(field:value:requirement:)``
    ///   naming the field, its value and the fix.
    public func validate() throws(LanguageModelError) {
        func fail(_ field: String, _ value: String, _ requirement: String) -> LanguageModelError {
            .invalid(.invalidValue(field: field, value: value, requirement: requirement))
        }
        if layerCount < 1 { throw fail("layerCount", "\(layerCount)", "it must be at least 1 layer") }
        if headCount < 1 { throw fail("headCount", "\(headCount)", "it must be at least 1 head") }
        if embeddingSize < 1 { throw fail("embeddingSize", "\(embeddingSize)", "it must be a positive width, such as 64") }
        if embeddingSize % headCount != 0 {
            let divisors = (1...min(embeddingSize, 64)).filter { embeddingSize % $0 == 0 }.suffix(4)
            throw fail("headCount", "\(headCount)",
                       "it must divide embeddingSize (\(embeddingSize)); choose one of \(divisors.map(String.init).joined(separator: ", "))")
        }
        if contextLength < 1 { throw fail("contextLength", "\(contextLength)", "it must be a positive context length, such as 128") }
        if vocabularySize < 1 { throw fail("vocabularySize", "\(vocabularySize)", "it must be a positive vocabulary size") }
        if !(dropout >= 0 && dropout < 1) { throw fail("dropout", "\(dropout)", "it must be a probability in [0, 1), such as 0.1") }
        if !(layerNormEpsilon > 0) { throw fail("layerNormEpsilon", "\(layerNormEpsilon)", "it must be a small positive value, such as 1e-5") }
    }
}
