// Matrix products: Tensor.matmul against a naive Double loop (all transpose combinations, batched, broadcast,
// non-square, and the multi-threaded path at ≥ 512), and finite-difference checks of Variable.matmul and linear.
import TensorCore
import TestSupport
import XCTest

/// C = op(A)·op(B) computed naively in Double, batched over leading axes (a plain matrix is shared).
func naiveMatmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    let m = transposeA ? a.shape[a.rank - 1] : a.shape[a.rank - 2]
    let k = transposeA ? a.shape[a.rank - 2] : a.shape[a.rank - 1]
    let n = transposeB ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
    let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
    let batch = batchA.isEmpty ? batchB : batchA
    let count = batch.reduce(1, *)
    let pa = a.scalars, pb = b.scalars
    var out = [Float](repeating: 0, count: count * m * n)
    for t in 0..<count {
        let oa = batchA.isEmpty ? 0 : t * m * k, ob = batchB.isEmpty ? 0 : t * k * n
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for l in 0..<k {
                    let x = transposeA ? pa[oa + l * m + i] : pa[oa + i * k + l]
                    let y = transposeB ? pb[ob + j * k + l] : pb[ob + l * n + j]
                    s += Double(x) * Double(y)
                }
                out[t * m * n + i * n + j] = Float(s)
            }
        }
    }
    return Tensor(shape: batch + [m, n], scalars: out)
}

final class MatmulTests: XCTestCase {
    var rng = SeededGenerator(seed: 31)

    func random(_ shape: [Int]) -> Tensor { Tensor.randomUniform(shape, low: -1, high: 1, using: &rng) }
    func variable(_ shape: [Int]) -> Variable { Variable(random(shape), requiresGrad: true) }

    /// Shapes of A and B for op(A) = [.., m, k] and op(B) = [.., k, n].
    func operandShapes(_ m: Int, _ k: Int, _ n: Int, _ ta: Bool, _ tb: Bool) -> ([Int], [Int]) {
        (ta ? [k, m] : [m, k], tb ? [n, k] : [k, n])
    }

    // MARK: - Tensor kernel

    func testMatmulLiteral() {
        let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [3, 2], scalars: [7, 8, 9, 10, 11, 12])
        assertClose(a.matmul(b), shape: [2, 2], [58, 64, 139, 154])
        assertClose(a.matmul(a, transposeOther: true), shape: [2, 2], [14, 32, 32, 77])
        assertClose(a.matmul(a, transposeSelf: true), shape: [3, 3], [17, 22, 27, 22, 29, 36, 27, 36, 45])
        assertClose(b.matmul(a, transposeSelf: true, transposeOther: true), shape: [2, 2], [58, 139, 64, 154])
    }

    func testMatmulAgainstNaiveAllTransposes() {
        for (m, k, n) in [(1, 1, 1), (3, 5, 2), (7, 1, 4), (17, 33, 9), (64, 48, 80)] {
            for ta in [false, true] {
                for tb in [false, true] {
                    let (sa, sb) = operandShapes(m, k, n, ta, tb)
                    let a = random(sa), b = random(sb)
                    assertClose(a.matmul(b, transposeSelf: ta, transposeOther: tb), naiveMatmul(a, b, transposeA: ta, transposeB: tb),
                                rtol: 1e-4, atol: 1e-5, "m \(m) k \(k) n \(n) ta \(ta) tb \(tb)")
                }
            }
        }
    }

    func testBatchedAndBroadcastMatmulAgainstNaive() {
        for ta in [false, true] {
            for tb in [false, true] {
                let (sa, sb) = operandShapes(4, 6, 5, ta, tb)
                let a = random([2, 3] + sa), b = random([2, 3] + sb)
                let tag = "ta \(ta) tb \(tb)"
                assertClose(a.matmul(b, transposeSelf: ta, transposeOther: tb), naiveMatmul(a, b, transposeA: ta, transposeB: tb),
                            rtol: 1e-4, atol: 1e-5, "batched \(tag)")
                let matrixB = random(sb), matrixA = random(sa)
                assertClose(a.matmul(matrixB, transposeSelf: ta, transposeOther: tb),
                            naiveMatmul(a, matrixB, transposeA: ta, transposeB: tb), rtol: 1e-4, atol: 1e-5, "batch × matrix \(tag)")
                assertClose(matrixA.matmul(b, transposeSelf: ta, transposeOther: tb),
                            naiveMatmul(matrixA, b, transposeA: ta, transposeB: tb), rtol: 1e-4, atol: 1e-5, "matrix × batch \(tag)")
            }
        }
        // Many small products run batch items in parallel; large ones go one threaded GEMM at a time.
        let many = random([64, 16, 24]), manyB = random([64, 24, 16])
        assertClose(many.matmul(manyB), naiveMatmul(many, manyB), rtol: 1e-4, atol: 1e-5, "many small")
        let big = random([2, 130, 150]), bigB = random([2, 150, 140])
        assertClose(big.matmul(bigB), naiveMatmul(big, bigB), rtol: 1e-4, atol: 1e-4, "batched large")
    }

    func testZeroInnerDimensionGivesZeros() {
        let a = Tensor(zeros: [3, 0]), b = Tensor(zeros: [0, 4])
        assertClose(a.matmul(b), Tensor(zeros: [3, 4]))
    }

    func testThreadedPathMatchesNaiveOnLargeShapes() {
        // Above 4 MFLOP and with max(m, n) ≥ 32, BLAS.sgemm splits C in blocks of 16 rows (m ≥ n) or columns.
        // Sizes that are not multiples of 16 exercise the ragged last block; both split directions are covered.
        let saved = Compute.threadCount
        defer { Compute.threadCount = saved }
        Compute.threadCount = 2
        for (m, k, n, ta, tb) in [(520, 515, 512, false, false), (513, 64, 530, true, true),
                                  (600, 200, 40, true, false), (24, 70, 700, false, true)] {
            let (sa, sb) = operandShapes(m, k, n, ta, tb)
            let a = random(sa), b = random(sb)
            let threaded = a.matmul(b, transposeSelf: ta, transposeOther: tb)
            assertClose(threaded, naiveMatmul(a, b, transposeA: ta, transposeB: tb), rtol: 1e-4, atol: 1e-4,
                        "m \(m) k \(k) n \(n) ta \(ta) tb \(tb)")
            Compute.threadCount = 1
            let single = a.matmul(b, transposeSelf: ta, transposeOther: tb)
            Compute.threadCount = 2
            assertClose(threaded, single, rtol: 1e-4, atol: 1e-5, "threaded vs single m \(m) n \(n)")
        }
    }

    /// SkinnyWeight's repacked product equals x·Wᵀ, with several blocks and a narrower last one (O = 200 at
    /// 16 rows and I = 1024 gives blocks of 32), with one block (a small product), for beta 0 and 1, and
    /// identically at 1 and 2 threads.
    func testSkinnyWeightEqualsTransposedProduct() {
        let saved = Compute.threadCount
        defer { Compute.threadCount = saved }
        for (rows, inFeatures, outFeatures) in [(16, 1024, 200), (16, 256, 1000), (3, 16, 24)] {
            let x = random([rows, inFeatures]), w = random([outFeatures, inFeatures]), c = random([rows, outFeatures])
            let packed = w.withUnsafeBufferPointer {
                SkinnyWeight(weight: $0.baseAddress!, outFeatures: outFeatures, inFeatures: inFeatures, rows: rows)
            }
            let expected = naiveMatmul(x, w, transposeB: true)
            var results = [[Float]]()
            for threads in [1, 2] {
                Compute.threadCount = threads
                for beta: Float in [0, 1] {
                    var out = c
                    x.withUnsafeBufferPointer { px in
                        out.withUnsafeMutableBufferPointer { po in
                            packed.multiply(px.baseAddress!, rows: rows, into: po.baseAddress!, ldc: outFeatures, beta: beta)
                        }
                    }
                    assertClose(out, beta == 0 ? expected : expected + c, rtol: 1e-4, atol: 1e-4,
                                "rows \(rows) in \(inFeatures) out \(outFeatures) beta \(beta) threads \(threads)")
                    results.append(out.scalars)
                }
            }
            XCTAssertEqual(results[0], results[2], "1 vs 2 threads, out \(outFeatures)")
        }
    }

    // MARK: - Variable.matmul gradients

    func testMatmulGradientsAllTransposes() throws {
        for ta in [false, true] {
            for tb in [false, true] {
                let (sa, sb) = operandShapes(3, 4, 5, ta, tb)
                try checkGradients(of: [variable(sa), variable(sb)], "matrix ta \(ta) tb \(tb)") {
                    $0[0].matmul($0[1], transposeSelf: ta, transposeOther: tb)
                }
            }
        }
    }

    func testBatchedMatmulGradients() throws {
        for ta in [false, true] {
            for tb in [false, true] {
                let (sa, sb) = operandShapes(3, 4, 2, ta, tb)
                let tag = "ta \(ta) tb \(tb)"
                try checkGradients(of: [variable([2] + sa), variable([2] + sb)], "batched \(tag)") {
                    $0[0].matmul($0[1], transposeSelf: ta, transposeOther: tb)
                }
                try checkGradients(of: [variable([2, 2] + sa), variable(sb)], "batch × matrix \(tag)") {
                    $0[0].matmul($0[1], transposeSelf: ta, transposeOther: tb)
                }
                try checkGradients(of: [variable(sa), variable([3] + sb)], "matrix × batch \(tag)") {
                    $0[0].matmul($0[1], transposeSelf: ta, transposeOther: tb)
                }
            }
        }
    }

    func testMatmulGradientWithOneConstantOperand() throws {
        let a = variable([3, 4]), b = Variable(random([4, 2]))
        try checkGradients(of: [a, b], "constant right") { $0[0].matmul($0[1]) }
        let c = Variable(random([3, 4])), d = variable([4, 2])
        try checkGradients(of: [c, d], "constant left") { $0[0].matmul($0[1]) }
    }

    func testMatmulGradientAccumulatesIntoExistingGradient() throws {
        // The same operand used twice exercises accumulation (beta = 1 paths) in the backward GEMMs.
        let a = variable([3, 3])
        try checkGradients(of: [a], "a · a") { $0[0].matmul($0[0]) }
        try checkGradients(of: [a], "aᵀ · a") { $0[0].matmul($0[0], transposeSelf: true) }
        try checkGradients(of: [a], "a · aᵀ + a") { $0[0].matmul($0[0], transposeOther: true) + $0[0] }
    }

    // MARK: - Linear

    func testLinearLiteral() {
        let x = Variable(Tensor(shape: [1, 2], scalars: [1, 2]))
        let w = Variable(Tensor(shape: [3, 2], scalars: [1, 0, 0, 1, 1, 1]))
        let b = Variable(Tensor(shape: [3], scalars: [0.5, -0.5, 0]))
        assertClose(x.linear(weight: w, bias: b).value, shape: [1, 3], [1.5, 1.5, 3])
        assertClose(x.linear(weight: w, bias: nil).value, shape: [1, 3], [1, 2, 3])
    }

    func testLinearGradients() throws {
        let x = variable([2, 3, 4]), w = variable([5, 4]), b = variable([5])
        try checkGradients(of: [x, w, b], "linear with bias") { $0[0].linear(weight: $0[1], bias: $0[2]) }
        try checkGradients(of: [x, w], "linear without bias") { $0[0].linear(weight: $0[1], bias: nil) }
        let single = variable([4])
        try checkGradients(of: [single, w, b], "linear rank 1") { $0[0].linear(weight: $0[1], bias: $0[2]) }
        XCTAssertEqual(single.linear(weight: w, bias: b).shape, [5])
        let x2 = variable([3, 4])
        try checkGradients(of: [x2, w, b], "linear rank 2") { $0[0].linear(weight: $0[1], bias: $0[2]) }
        // The input used twice accumulates into the gradient buffer (beta = 1).
        try checkGradients(of: [x2, w, b], "linear twice") {
            $0[0].linear(weight: $0[1], bias: $0[2]) + $0[0].linear(weight: $0[1], bias: nil) * 2
        }
    }

    func testLinearEqualsComposedMatmul() throws {
        let x = variable([2, 3, 4]), w = variable([5, 4]), b = variable([5])
        try assertSameValueAndGradients(of: [x, w, b], "linear vs matmul + bias",
            fused: { $0[0].linear(weight: $0[1], bias: $0[2]) },
            composed: { $0[0].matmul($0[1], transposeOther: true) + $0[2] })
    }
}
