// Shared XCTest helpers: tolerant tensor comparison and a finite-difference gradient checker that evaluates
// central differences of a random weighted sum of an op's output, accumulated in Double.
import Foundation
import TensorCore
import XCTest

// MARK: - Comparing tensors

/// The index of `flat` in a row-major tensor of `shape`, written as `[i, j, k]`.
func describeIndex(_ flat: Int, in shape: [Int]) -> String {
    var rest = flat
    var index = [Int](repeating: 0, count: shape.count)
    for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] > 0 {
        index[axis] = rest % shape[axis]
        rest /= shape[axis]
    }
    return "[" + index.map(String.init).joined(separator: ", ") + "]"
}

/// The element of `a` and `b` that is furthest outside `|a − b| ≤ atol + rtol·|b|`, if any.
///
/// NaNs match only NaNs and infinities only the same infinity.
///
/// - Returns: the flat index and the ratio of the error to its allowance (above 1 means "not close"),
///   or nil when every element is close.
public func worstMismatch(_ a: [Float], _ b: [Float], rtol: Float, atol: Float) -> (index: Int, ratio: Double)? {
    precondition(a.count == b.count, "worstMismatch needs equal counts, got \(a.count) and \(b.count)")
    var worst: (index: Int, ratio: Double)? = nil
    for i in 0..<a.count {
        let x = a[i], y = b[i]
        let ratio: Double
        if x.isNaN || y.isNaN {
            ratio = (x.isNaN && y.isNaN) ? 0 : .infinity
        } else if x.isInfinite || y.isInfinite {
            ratio = x == y ? 0 : .infinity
        } else {
            let allowance = Double(atol) + Double(rtol) * Swift.abs(Double(y))
            let error = Swift.abs(Double(x) - Double(y))
            ratio = allowance > 0 ? error / allowance : (error == 0 ? 0 : .infinity)
        }
        if ratio > 1 && ratio > (worst?.ratio ?? 0) { worst = (i, ratio) }
    }
    return worst
}

/// Asserts that two tensors have the same shape and elementwise `|actual − expected| ≤ atol + rtol·|expected|`.
///
/// The shape is checked first (mlx-swift's `assertEqual`), so a broadcasting mistake is reported as a shape
/// mismatch rather than as a wall of wrong numbers. On a value mismatch the message names the worst element
/// by its multi-index, with both values.
///
/// - Parameters:
///   - actual: the computed tensor.
///   - expected: the reference tensor.
///   - rtol: relative tolerance (default 1e-5).
///   - atol: absolute tolerance (default 1e-6).
///   - message: extra context prepended to the failure message.
public func assertClose(
    _ actual: Tensor, _ expected: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6,
    _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line
) {
    let prefix = message().isEmpty ? "" : message() + ": "
    guard actual.shape == expected.shape else {
        XCTFail("\(prefix)shape \(actual.shape) differs from expected \(expected.shape)", file: file, line: line)
        return
    }
    let a = actual.scalars, b = expected.scalars
    if let (i, ratio) = worstMismatch(a, b, rtol: rtol, atol: atol) {
        let bad = (0..<a.count).filter { worstMismatch([a[$0]], [b[$0]], rtol: rtol, atol: atol) != nil }.count
        XCTFail(
            "\(prefix)\(bad) of \(a.count) elements differ; worst at \(describeIndex(i, in: actual.shape)): "
                + "\(a[i]) vs expected \(b[i]) (error \(String(format: "%.3g", ratio))× the allowance, "
                + "rtol \(rtol), atol \(atol))",
            file: file, line: line)
    }
}

/// Asserts that a tensor has `shape` and elements close to `expected` (see `assertClose(_:_:rtol:atol:)`).
public func assertClose(
    _ actual: Tensor, shape: [Int], _ expected: [Float], rtol: Float = 1e-5, atol: Float = 1e-6,
    _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line
) {
    guard shape.reduce(1, *) == expected.count else {
        XCTFail("assertClose: \(expected.count) expected values do not fill shape \(shape)", file: file, line: line)
        return
    }
    assertClose(actual, Tensor(shape: shape, scalars: expected), rtol: rtol, atol: atol, message(),
                file: file, line: line)
}

// MARK: - Finite-difference gradient checks

/// The outcome of `checkGradients`: how many elements were compared and the worst one.
public struct GradientCheckResult: CustomStringConvertible {
    /// Number of input elements whose gradient was compared.
    public var checkedElements: Int
    /// The largest `|analytic − numeric| / max(|analytic|, |numeric|)` over elements whose error exceeded
    /// `atol` (elements within `atol` count as 0).
    public var worstRelativeError: Double
    /// The largest error divided by its allowance `atol + rtol·max(|analytic|, |numeric|)`; ≤ 1 passes.
    public var worstRatio: Double
    /// Where the worst ratio occurred, e.g. `input 1 [2, 0]: analytic 0.31 vs numeric 0.29`.
    public var worstElement: String
    /// Whether every element was within tolerance.
    public var passed: Bool { worstRatio <= 1 }

    public var description: String {
        "checked \(checkedElements) elements; worst relative error \(String(format: "%.3g", worstRelativeError))"
            + " (\(String(format: "%.3g", worstRatio))× the allowance) at \(worstElement)"
    }
}

/// Compares analytic gradients against central finite differences, and fails the test when they disagree.
///
/// The objective is `L = Σ out ⊙ R` with `out = function(inputs)` and a fixed random `R` of `out`'s shape
/// drawn from `SeededGenerator(seed:)`, so that every output element influences the loss with a distinct
/// weight (a plain `sum()` would hide, for example, a softmax backward that is wrong by a per-row constant).
/// For each element x of each input that has `requiresGrad`, the numeric gradient is
/// `(L(x + ε) − L(x − ε)) / 2ε`, where L is evaluated without recording a graph and summed in Double.
/// The analytic gradient comes from one `backward()` on the same `L` (recorded in Float32).
///
/// An element passes when `|analytic − numeric| ≤ atol + rtol · max(|analytic|, |numeric|)`. Because the op
/// itself runs in Float32, ε must be large enough that rounding in `out` does not swamp the difference
/// (1e-2 to 1e-3), and inputs should stay away from kinks (relu at 0, abs at 0, clamp bounds) by more than ε.
///
/// ```swift
/// let x = Variable(Tensor.randomNormal([3, 4], using: &rng), requiresGrad: true)
/// try checkGradients(of: [x], "softmax") { $0[0].softmax() }
/// ```
///
/// - Parameters:
///   - inputs: the variables to perturb; those with `requiresGrad == false` are treated as constants.
///     Their `grad` is reset first, and their `value` is restored afterwards.
///   - epsilon: the finite-difference step ε (default 1e-2).
///   - rtol: relative tolerance (default 2e-2).
///   - atol: absolute tolerance (default 1e-3).
///   - seed: seed of the random weights R (default 0).
///   - message: extra context prepended to the failure message.
///   - function: builds the op's output from `inputs` (any shape, including a scalar).
/// - Returns: a summary with the worst relative error, also reported through `XCTFail` on failure.
/// - Throws: whatever `function` or `backward()` throws.
@discardableResult
public func checkGradients(
    of inputs: [Variable], epsilon: Float = 1e-2, rtol: Float = 2e-2, atol: Float = 1e-3, seed: UInt64 = 0,
    _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line,
    _ function: ([Variable]) throws -> Variable
) throws -> GradientCheckResult {
    let prefix = message().isEmpty ? "" : message() + ": "
    let result = try compareGradients(of: inputs, epsilon: epsilon, rtol: rtol, atol: atol, seed: seed, function)
    if result.checkedElements == 0 {
        XCTFail("\(prefix)no input requires a gradient, nothing was checked", file: file, line: line)
    } else if !result.passed {
        XCTFail("\(prefix)gradient check failed: \(result) (rtol \(rtol), atol \(atol), ε \(epsilon))",
                file: file, line: line)
    }
    return result
}

/// The comparison behind `checkGradients`, without asserting: returns the summary for the caller to judge.
///
/// - Parameters: as for `checkGradients(of:epsilon:rtol:atol:seed:_:file:line:_:)`.
/// - Returns: the number of elements compared and the worst disagreement.
/// - Throws: whatever `function` or `backward()` throws.
public func compareGradients(
    of inputs: [Variable], epsilon: Float = 1e-2, rtol: Float = 2e-2, atol: Float = 1e-3, seed: UInt64 = 0,
    _ function: ([Variable]) throws -> Variable
) throws -> GradientCheckResult {
    // Analytic gradients of L = Σ out ⊙ R.
    for input in inputs { input.zeroGradient() }
    let out = try function(inputs)
    var generator = SeededGenerator(seed: seed)
    let weights = Tensor.randomNormal(out.shape, using: &generator)
    try (out * Variable(weights)).sum().backward()
    let analytic = inputs.map { input in input.grad?.scalars ?? [Float](repeating: 0, count: input.value.count) }
    let numeric = try numericGradients(of: inputs, weights: weights, epsilon: epsilon, function)

    var result = GradientCheckResult(checkedElements: 0, worstRelativeError: 0, worstRatio: 0, worstElement: "none")
    for (n, input) in inputs.enumerated() where input.requiresGrad {
        for i in 0..<input.value.count {
            let a = Double(analytic[n][i]), b = numeric[n][i]
            let error = Swift.abs(a - b)
            let scale = Swift.max(Swift.abs(a), Swift.abs(b))
            let ratio = error.isNaN ? .infinity : error / (Double(atol) + Double(rtol) * scale)
            let relative = error.isNaN ? .infinity : (error <= Double(atol) ? 0 : error / Swift.max(scale, 1e-30))
            result.checkedElements += 1
            result.worstRelativeError = Swift.max(result.worstRelativeError, relative)
            if ratio > result.worstRatio || result.worstElement == "none" {
                result.worstRatio = ratio
                result.worstElement = "input \(n)\(input.name.map { " (\($0))" } ?? "") "
                    + "\(describeIndex(i, in: input.shape)): analytic \(analytic[n][i]) vs numeric \(Float(b))"
            }
        }
    }
    return result
}

/// Central finite differences of `L = Σ function(inputs) ⊙ weights`, in Double.
///
/// Each element of each input with `requiresGrad` is moved to x ± ε in turn (inputs are restored afterwards)
/// and L is evaluated without recording a graph.
///
/// - Parameters:
///   - inputs: the variables to perturb.
///   - weights: R, with the shape of `function`'s output.
///   - epsilon: the step ε.
///   - function: builds the output from `inputs`.
/// - Returns: one array per input, in row-major order; empty for inputs without `requiresGrad`.
/// - Throws: whatever `function` throws.
public func numericGradients(
    of inputs: [Variable], weights: Tensor, epsilon: Float, _ function: ([Variable]) throws -> Variable
) throws -> [[Double]] {
    let r = weights.scalars.map(Double.init)
    func objective() throws -> Double {
        let y = try withoutGradients { try function(inputs) }.value
        precondition(y.shape == weights.shape, "output shape \(y.shape) does not match the weights \(weights.shape)")
        return y.withUnsafeBufferPointer { p in
            var s = 0.0
            for i in 0..<p.count { s += Double(p[i]) * r[i] }
            return s
        }
    }
    var gradients: [[Double]] = []
    for input in inputs {
        guard input.requiresGrad else { gradients.append([]); continue }
        let original = input.value
        let values = original.scalars
        defer { input.value = original }
        var g = [Double](repeating: 0, count: values.count)
        for i in 0..<values.count {
            let x = values[i]
            input.value = original
            input.value.withUnsafeMutableBufferPointer { $0[i] = x + epsilon }
            let plus = try objective()
            input.value = original
            input.value.withUnsafeMutableBufferPointer { $0[i] = x - epsilon }
            let minus = try objective()
            // Divide by the step actually taken: x ± ε is rounded to Float.
            g[i] = (plus - minus) / (Double(x + epsilon) - Double(x - epsilon))
        }
        gradients.append(g)
    }
    return gradients
}

// MARK: - Random inputs

extension Tensor {
    /// Uniform values in `[-high, -low] ∪ [low, high]`: random signs, magnitudes kept at least `low` away from 0.
    ///
    /// Use it for ops with a kink at 0 (relu, abs) so that ±ε perturbations in a gradient check never cross it.
    public static func randomAwayFromZero<G: RandomNumberGenerator>(
        _ shape: [Int], low: Float = 0.1, high: Float = 1.5, using generator: inout G
    ) -> Tensor {
        var t = Tensor.randomUniform(shape, low: low, high: high, using: &generator)
        t.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count where generator.next() & 1 == 1 { p[i] = -p[i] }
        }
        return t
    }
}

// MARK: - Comparing two implementations

/// Asserts that two ways of computing the same function agree in value and in gradient.
///
/// Used for every fused op against its composed version (softmax against exp / sum, layer norm against
/// mean and variance, attention against per-head matmul + mask + softmax). Both closures receive the same
/// `inputs`; their outputs must match, and so must the input gradients of `Σ out ⊙ R` for a fixed random R.
///
/// - Parameters:
///   - inputs: the shared inputs; gradients are compared for those with `requiresGrad`.
///   - rtol: relative tolerance for values and gradients (default 1e-4).
///   - atol: absolute tolerance for values and gradients (default 1e-5).
///   - seed: seed of the random weights R (default 0).
///   - message: extra context prepended to failure messages.
///   - fused: the implementation under test.
///   - composed: the reference built from simpler ops.
/// - Throws: whatever the closures or `backward()` throw.
public func assertSameValueAndGradients(
    of inputs: [Variable], rtol: Float = 1e-4, atol: Float = 1e-5, seed: UInt64 = 0,
    _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line,
    fused: ([Variable]) throws -> Variable, composed: ([Variable]) throws -> Variable
) throws {
    let prefix = message().isEmpty ? "" : message() + ", "
    func run(_ f: ([Variable]) throws -> Variable) throws -> (Tensor, [Tensor?]) {
        for input in inputs { input.zeroGradient() }
        let out = try f(inputs)
        var generator = SeededGenerator(seed: seed)
        let weights = Tensor.randomNormal(out.shape, using: &generator)
        try (out * Variable(weights)).sum().backward()
        let grads = inputs.map { $0.grad }
        for input in inputs { input.zeroGradient() }
        return (out.value, grads)
    }
    let (a, gradsA) = try run(fused)
    let (b, gradsB) = try run(composed)
    assertClose(a, b, rtol: rtol, atol: atol, "\(prefix)value", file: file, line: line)
    for (n, input) in inputs.enumerated() where input.requiresGrad {
        let zeros = Tensor(zeros: input.shape)
        assertClose(gradsA[n] ?? zeros, gradsB[n] ?? zeros, rtol: rtol, atol: atol,
                    "\(prefix)gradient of input \(n)\(input.name.map { " (\($0))" } ?? "")", file: file, line: line)
    }
}
