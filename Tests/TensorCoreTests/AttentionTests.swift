// Fused causal self-attention: hand-checked values, finite-difference gradients with and without a key padding
// mask (padded query rows must get finite gradients), and equality with per-head matmul + mask + softmax.
import TensorCore
import TestSupport
import XCTest

final class AttentionTests: XCTestCase {
    var rng = SeededGenerator(seed: 51)

    func variable(_ shape: [Int]) -> Variable {
        Variable(Tensor.randomNormal(shape, using: &rng), requiresGrad: true)
    }

    /// Attention built from primitives: per head, softmax(mask(Q·Kᵀ/√D))·V, heads concatenated.
    /// A fully masked query row (no visible key) outputs zeros, as the fused op defines.
    func composedAttention(_ qkv: Variable, heads: Int, keyMask: Tensor?) -> Variable {
        let B = qkv.shape[0], T = qkv.shape[1], C = qkv.shape[2] / 3, D = C / heads
        // 1 where attention is forbidden: future keys, padded keys, and (for a real query) keys of another segment.
        var forbidden = Tensor(zeros: [B, T, T])
        for b in 0..<B {
            for i in 0..<T {
                for j in 0..<T {
                    let hidden = keyMask.map { m in m[b, i] == 0 ? m[b, j] == 0 : m[b, j] != m[b, i] } ?? false
                    if j > i || hidden { forbidden[b, i, j] = 1 }
                }
            }
        }
        var outputs: [Variable] = []
        for h in 0..<heads {
            let q = qkv.slice(axis: 2, (h * D)..<((h + 1) * D))
            let k = qkv.slice(axis: 2, (C + h * D)..<(C + (h + 1) * D))
            let v = qkv.slice(axis: 2, (2 * C + h * D)..<(2 * C + (h + 1) * D))
            let scores = q.matmul(k, transposeOther: true) * (1 / Float(D).squareRoot())
            let p = scores.maskedFill(forbidden, with: -.infinity).softmax()
            outputs.append(p.matmul(v))
        }
        return Variable.concatenate(outputs, axis: 2)
    }

    func testSingleTokenAttendsToItself() {
        // With T = 1 the only visible key is the query's own, so the output is V.
        let qkv = Variable(Tensor(shape: [1, 1, 6], scalars: [1, 2, 3, 4, 5, 6]))
        assertClose(Variable.causalSelfAttention(qkv: qkv, heads: 2).value, shape: [1, 1, 2], [5, 6])
    }

    func testTwoTokenLiteral() {
        // C = 1, one head. q = [1, 1], k = [0, log 3], v = [10, 20].
        // Row 0 sees key 0 only → 10. Row 1: softmax([0, log 3]) = [1/4, 3/4] → 2.5 + 15 = 17.5.
        let qkv = Variable(Tensor(shape: [1, 2, 3], scalars: [1, 0, 10, 1, Float(Foundation.log(3.0)), 20]))
        assertClose(Variable.causalSelfAttention(qkv: qkv, heads: 1).value, shape: [1, 2, 1], [10, 17.5], rtol: 1e-5)
        // Masking key 0 of the second position's batch row leaves row 1 attending only to itself.
        let mask = Tensor(shape: [1, 2], scalars: [0, 1])
        assertClose(Variable.causalSelfAttention(qkv: qkv, heads: 1, keyMask: mask).value, shape: [1, 2, 1], [0, 20])
    }

    func testOutputIsFiniteAndCausal() {
        // Changing a later token must not change earlier outputs.
        let qkv = variable([2, 5, 12])
        let y = Variable.causalSelfAttention(qkv: qkv, heads: 2).value
        XCTAssertTrue(y.isFinite, "attention output has NaN or infinity: \(y)")
        var changed = qkv.value
        for c in 0..<12 { changed[0, 4, c] += 3 }
        let z = Variable.causalSelfAttention(qkv: Variable(changed), heads: 2).value
        assertClose(z.slice(axis: 1, 0..<4), y.slice(axis: 1, 0..<4))
    }

    func testGradients() throws {
        for (B, T, C, H) in [(1, 1, 2, 1), (2, 4, 6, 2), (1, 6, 8, 4), (2, 3, 4, 1)] {
            let qkv = variable([B, T, 3 * C])
            try checkGradients(of: [qkv], "B \(B) T \(T) C \(C) H \(H)") { Variable.causalSelfAttention(qkv: $0[0], heads: H) }
        }
    }

    func testGradientsWithKeyPaddingMask() throws {
        // Batch 0 is left-padded (its first two query rows see no key at all), batch 1 is right-padded.
        let mask = Tensor(shape: [2, 5], scalars: [0, 0, 1, 1, 1, 1, 1, 1, 0, 0])
        let qkv = variable([2, 5, 18])
        try checkGradients(of: [qkv], "masked") { Variable.causalSelfAttention(qkv: $0[0], heads: 3, keyMask: mask) }

        qkv.zeroGradient()
        let y = Variable.causalSelfAttention(qkv: qkv, heads: 3, keyMask: mask)
        assertClose(y.value.slice(axis: 0, 0..<1).slice(axis: 1, 0..<2), Tensor(zeros: [1, 2, 6]),
                    "query rows with no visible key output zeros")
        try (y * y).sum().backward()
        XCTAssertTrue(qkv.grad!.isFinite, "padded query rows must have finite gradients")
        // Padded keys receive no gradient from any query (their key and value columns are unused).
        let paddedKeysAndValues = qkv.grad!.slice(axis: 0, 0..<1).slice(axis: 1, 0..<2).slice(axis: 2, 6..<18)
        assertClose(paddedKeysAndValues, Tensor(zeros: [1, 2, 12]))
    }

    func testEqualsComposedAttention() throws {
        let qkv = variable([2, 5, 18])
        for heads in [1, 2, 3] {
            try assertSameValueAndGradients(of: [qkv], rtol: 1e-4, atol: 1e-5, "heads \(heads)",
                fused: { Variable.causalSelfAttention(qkv: $0[0], heads: heads) },
                composed: { self.composedAttention($0[0], heads: heads, keyMask: nil) })
        }
        let mask = Tensor(shape: [2, 5], scalars: [0, 1, 1, 1, 1, 1, 1, 1, 1, 0])
        try assertSameValueAndGradients(of: [qkv], rtol: 1e-4, atol: 1e-5, "with key mask",
            fused: { Variable.causalSelfAttention(qkv: $0[0], heads: 2, keyMask: mask) },
            composed: { self.composedAttention($0[0], heads: 2, keyMask: mask) })
    }

    func testPackedSegmentsAttendOnlyWithinThemselves() throws {
        // Row 0 packs sequences of 3 and 2 tokens then padding; row 1 packs 2, 1 and 3 tokens.
        let mask = Tensor(shape: [2, 6], scalars: [1, 1, 1, 2, 2, 0, 1, 1, 2, 3, 3, 3])
        let qkv = variable([2, 6, 12])
        try checkGradients(of: [qkv], "packed") { Variable.causalSelfAttention(qkv: $0[0], heads: 2, keyMask: mask) }
        try assertSameValueAndGradients(of: [qkv], rtol: 1e-4, atol: 1e-5, "packed",
            fused: { Variable.causalSelfAttention(qkv: $0[0], heads: 2, keyMask: mask) },
            composed: { self.composedAttention($0[0], heads: 2, keyMask: mask) })
        // Row 1's third sequence (positions 3..<6) computes what it computes alone in a row of its own.
        let packed = Variable.causalSelfAttention(qkv: qkv, heads: 2, keyMask: mask).value
        let alone = Variable.causalSelfAttention(qkv: Variable(qkv.value.slice(axis: 0, 1..<2).slice(axis: 1, 3..<6)), heads: 2).value
        assertClose(packed.slice(axis: 0, 1..<2).slice(axis: 1, 3..<6), alone, rtol: 1e-5)
    }

    func testLargeAttentionMatchesComposedOnParallelPath() throws {
        // Enough (batch, head) pairs and work to run the per-head loop across threads.
        let qkv = variable([4, 32, 48])
        try assertSameValueAndGradients(of: [qkv], rtol: 1e-3, atol: 1e-4, "large",
            fused: { Variable.causalSelfAttention(qkv: $0[0], heads: 4) },
            composed: { self.composedAttention($0[0], heads: 4, keyMask: nil) })
    }

    func testLongSequenceUsesCausalBlocksCorrectly() throws {
        // T = 150 spans three 64-row causal blocks (the last one partial), with left padding in one row.
        let qkv = variable([2, 150, 24])
        var maskValues = [Float](repeating: 1, count: 300)
        for j in 0..<70 { maskValues[j] = 0 }
        let mask = Tensor(shape: [2, 150], scalars: maskValues)
        try assertSameValueAndGradients(of: [qkv], rtol: 1e-3, atol: 1e-4, "long, masked",
            fused: { Variable.causalSelfAttention(qkv: $0[0], heads: 2, keyMask: mask) },
            composed: { self.composedAttention($0[0], heads: 2, keyMask: mask) })
    }
}
