import LanguageModels
import TensorCore
import XCTest
final class DebugTests: XCTestCase {
    func testDebug() throws {
        var rng = SeededGenerator(seed: 1)
        let model = try GPT(config: tinyConfig, using: &rng)
        let batch = TokenBatch(leftPadding: [[1, 2, 3]], padToken: 0)
        let x = try model.tokenEmbedding.embedding(batch.tokens, shape: [1, 3])
        print("emb", x.value.isFinite)
        let b = model.blocks[0]
        let h = x.layerNorm(weight: b.attentionNormWeight, bias: b.attentionNormBias)
        print("ln", h.value.isFinite, h.value)
        let qkv = h.linear(weight: b.qkvWeight, bias: b.qkvBias)
        print("qkv", qkv.value.isFinite)
        let a = Variable.causalSelfAttention(qkv: qkv, heads: 2, keyMask: nil)
        print("att", a.value.isFinite, a.value)
        let m = h.linear(weight: b.mlpHiddenWeight, bias: b.mlpHiddenBias).gelu()
        print("gelu", m.value.isFinite)
    }
}
