// Autodiff engine semantics: accumulation across backward calls, zeroGradient, withoutGradients, detached,
// seeds and their errors, graph freeing, deep graphs, and saved values surviving a change of a leaf's value.
import Foundation
import TensorCore
import TestSupport
import XCTest

final class AutodiffEngineTests: XCTestCase {
    var rng = SeededGenerator(seed: 71)

    func testGradientsAccumulateAcrossBackwardCalls() throws {
        let w = Variable(Tensor(shape: [2], scalars: [1, 2]), requiresGrad: true)
        try (w * w).sum().backward()
        assertClose(w.grad!, shape: [2], [2, 4])
        // A second graph over the same leaf adds into the existing gradient (micro-batch accumulation).
        try (w * 3).sum().backward()
        assertClose(w.grad!, shape: [2], [5, 7])
        w.zeroGradient()
        XCTAssertNil(w.grad)
        try (w * 3).sum().backward()
        assertClose(w.grad!, shape: [2], [3, 3])
    }

    func testMicroBatchAccumulationEqualsFullBatch() throws {
        // One batch of 8 rows equals 8 accumulated micro-batches of 1 row with the loss scaled by 1/8.
        let x = Tensor.randomNormal([8, 5], using: &rng)
        let w = Variable(Tensor.randomNormal([3, 5], using: &rng), requiresGrad: true)
        let targets: [Int32] = [0, 1, 2, 0, 1, 2, 0, 1]
        try Variable(x).linear(weight: w, bias: nil).crossEntropy(targets: targets).backward()
        let full = w.grad!
        w.zeroGradient()
        for row in 0..<8 {
            let loss = Variable(x.slice(axis: 0, row..<(row + 1))).linear(weight: w, bias: nil).crossEntropy(targets: [targets[row]])
            try (loss * (1.0 / 8)).backward()
        }
        assertClose(w.grad!, full, rtol: 1e-5, atol: 1e-6)
    }

    func testSharedSubexpressionGetsBothContributions() throws {
        // y = x², z = y + y·x: dz/dx = 2x + 3x².
        let x = Variable(Tensor(shape: [2], scalars: [1, -2]), requiresGrad: true)
        let y = x * x
        try (y + y * x).sum().backward()
        assertClose(x.grad!, shape: [2], [5, 8])
    }

    func testWithoutGradientsRecordsNothing() throws {
        let w = Variable(Tensor(shape: [2], scalars: [1, 2]), requiresGrad: true)
        let y = withoutGradients { (w * w).sum() }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertEqual(y.value.item, 5)
        try y.backward()
        XCTAssertNil(w.grad, "a graph built without gradients must not reach its leaves")
        XCTAssertTrue(GradientMode.isEnabled, "recording resumes after the scope")
        // Nested scopes and a thrown error both restore the previous mode.
        struct Failure: Error {}
        XCTAssertThrowsError(try withoutGradients { () throws -> Void in
            withoutGradients { XCTAssertFalse(GradientMode.isEnabled) }
            XCTAssertFalse(GradientMode.isEnabled)
            throw Failure()
        })
        XCTAssertTrue(GradientMode.isEnabled)
        XCTAssertTrue((w * w).requiresGrad)
    }

    func testDetachedStopsGradients() throws {
        let x = Variable(Tensor(shape: [2], scalars: [3, 4]), requiresGrad: true)
        let d = x.detached()
        XCTAssertFalse(d.requiresGrad)
        XCTAssertEqual(d.value, x.value)
        try (x * d).sum().backward()
        // Only the non-detached factor contributes: d(x·c)/dx = c.
        assertClose(x.grad!, shape: [2], [3, 4])
    }

    func testConstantsGetNoGradient() throws {
        let constant = Variable(Tensor(shape: [2], scalars: [1, 2]))
        let w = Variable(Tensor(shape: [2], scalars: [3, 4]), requiresGrad: true)
        try (constant * w).sum().backward()
        XCTAssertNil(constant.grad)
        let c2 = constant * constant
        XCTAssertFalse(c2.requiresGrad, "ops on constants record nothing")
        try c2.sum().backward()
        XCTAssertNil(constant.grad)
    }

    func testBackwardOnNonScalarThrows() throws {
        let x = Variable(Tensor(shape: [2, 3], repeating: 1), requiresGrad: true)
        let y = x * 2
        XCTAssertThrowsError(try y.backward()) { error in
            XCTAssertEqual(error as? TensorError, .nonScalarBackward(shape: [2, 3]))
            XCTAssertEqual("\(error)", "backward() needs a one-element variable, but this one has shape [2, 3]; "
                + "reduce it to a scalar (e.g. .mean()) or pass backward(seed:) with a gradient of that shape")
        }
        XCTAssertNil(x.grad)
        XCTAssertThrowsError(try y.backward(seed: Tensor(zeros: [3, 2]))) { error in
            XCTAssertEqual(error as? TensorError, .shapeMismatch(operation: "backward seed", expected: [2, 3], found: [3, 2]))
            XCTAssertEqual("\(error)", "backward seed: expected shape [2, 3] but found [3, 2]")
        }
        // A one-element tensor of any rank is a valid root without a seed.
        let single = Variable(Tensor(shape: [1, 1], scalars: [2]), requiresGrad: true)
        try (single * single).backward()
        assertClose(single.grad!, shape: [1, 1], [4])
    }

    func testBackwardWithSeed() throws {
        let x = Variable(Tensor(shape: [3], scalars: [1, 2, 3]), requiresGrad: true)
        let seed = Tensor(shape: [3], scalars: [1, 10, 100])
        try (x * x).backward(seed: seed)
        assertClose(x.grad!, shape: [3], [2, 40, 600])
        // Seeding with R equals back-propagating Σ y ⊙ R.
        let w = Variable(Tensor.randomNormal([2, 3], using: &rng), requiresGrad: true)
        let r = Tensor.randomNormal([2, 2], using: &rng)
        try w.matmul(w, transposeOther: true).tanh().backward(seed: r)
        let seeded = w.grad!
        w.zeroGradient()
        try (w.matmul(w, transposeOther: true).tanh() * Variable(r)).sum().backward()
        assertClose(seeded, w.grad!)
        // A scalar root may also take an explicit seed, which scales every gradient.
        w.zeroGradient()
        try (w * w).sum().backward(seed: Tensor(0.5))
        assertClose(w.grad!, w.value)
    }

    func testBackwardFreesTheGraph() throws {
        let x = Variable(Tensor(shape: [2], scalars: [1, 2]), requiresGrad: true)
        weak var weakHidden: Variable?
        let loss: Variable
        do {
            let hidden = x.exp()
            weakHidden = hidden
            loss = (hidden * hidden).sum()
        }
        XCTAssertNotNil(weakHidden, "before backward the graph keeps intermediate nodes alive")
        try loss.backward()
        XCTAssertNil(weakHidden, "after backward the graph's edges are dropped and intermediates freed")
        assertClose(x.grad!, shape: [2], [2 * Float(Foundation.exp(2.0)), 2 * Float(Foundation.exp(4.0))], rtol: 1e-6)
    }

    func testBackwardOnLeafRoot() throws {
        let x = Variable(Tensor(3), requiresGrad: true)
        try x.backward()
        assertClose(x.grad!, shape: [], [1])
        let constant = Variable(Tensor(3))
        try constant.backward()
        XCTAssertNil(constant.grad)
    }

    func testDeepChainDoesNotOverflowTheStack() throws {
        // 20,000 recorded ops: topological sort and backward must be iterative, and releasing the graph must
        // not recurse once per node.
        let x = Variable(Tensor(shape: [2], scalars: [1, 2]), requiresGrad: true)
        var y = x
        for _ in 0..<10_000 { y = (y * 1.0001) + 0.5 }
        try y.sum().backward()
        let expected = Float(Foundation.pow(1.0001, 10_000.0))
        assertClose(x.grad!, shape: [2], [expected, expected], rtol: 1e-3)
    }

    func testDeepChainIsReleasedWithoutBackward() {
        // Dropping a graph that was never back-propagated must free it without one stack frame per node; run on
        // a thread with a 512 KB stack, where recursive release fails after a couple of thousand nodes.
        let done = DispatchSemaphore(value: 0)
        final class Box: @unchecked Sendable { var scalars: [Float] = [] }
        let result = Box()
        let thread = Thread {
            let x = Variable(Tensor(shape: [2], scalars: [1, 2]), requiresGrad: true)
            var y = x
            for _ in 0..<20_000 { y = (y + 1).tanh() }
            result.scalars = y.value.scalars
            y = x
            done.signal()
        }
        thread.stackSize = 512 * 1024
        thread.start()
        done.wait()
        XCTAssertEqual(result.scalars.count, 2)
    }

    func testSavedValuesSurviveReplacingALeafValue() throws {
        // Backward must use the values seen by the forward pass, even if a leaf's value is replaced in between
        // (as an optimizer or a finite-difference check does). Each op is run twice: once undisturbed, once
        // with its input replaced and the freed memory likely reused by same-sized tensors.
        typealias Op = (Variable) -> Variable
        let ops: [(String, [Int], Op)] = [
            ("tanh", [3, 4], { $0.tanh() }),
            ("mul", [3, 4], { $0 * $0 }),
            ("matmul", [3, 4], { $0.matmul($0, transposeOther: true) }),
            ("softmax", [3, 4], { $0.softmax() }),
            ("max", [3, 4], { $0.max(axis: 1) }),
            ("selectedLogProbabilities", [3, 4], { $0.selectedLogProbabilities(targets: [0, 3, 1]) }),
            ("crossEntropy", [3, 4], { $0.crossEntropy(targets: [0, 3, 1]) }),
            ("attention", [2, 3, 6], { Variable.causalSelfAttention(qkv: $0, heads: 2) }),
        ]
        for (name, shape, op) in ops {
            let original = Tensor.randomNormal(shape, using: &rng)
            let reference = Variable(original.map { $0 }, requiresGrad: true)
            let r = Tensor.randomNormal(op(reference).shape, using: &rng)
            try op(reference).backward(seed: r)

            let x = Variable(original.map { $0 }, requiresGrad: true)
            let y = op(x)
            x.value = Tensor(shape: shape, repeating: 7)
            let filler = (0..<8).map { _ in Tensor(shape: shape, repeating: -3) }
            try y.backward(seed: r)
            assertClose(x.grad!, reference.grad!, "\(name) after replacing the input value")
            _ = filler
        }
    }
}
