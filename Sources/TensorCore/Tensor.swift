// Tensor: a contiguous, row-major Float32 array with a shape and copy-on-write value semantics.
// Tensor operations are pure kernels and record no graph; see Variable for autodiff.
import Foundation

/// A dense, row-major array of `Float` with a shape.
///
/// Tensors are values: copies share storage until one of them is mutated (copy-on-write). They are always
/// contiguous, so reshaping is free and index arithmetic is explicit.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let a = Tensor.randomNormal([2, 3], using: &rng)
/// let b = Tensor(shape: [3, 4], repeating: 1)
/// let c = a.matmul(b)          // [2, 4]
/// ```
public struct Tensor: @unchecked Sendable {
    /// The extent of each axis; the empty shape is a scalar.
    public private(set) var shape: [Int]
    @usableFromInline var storage: TensorStorage

    /// The number of elements (the product of the shape).
    @inlinable public var count: Int { storage.count }
    /// The number of axes.
    @inlinable public var rank: Int { shape.count }

    @usableFromInline
    init(shape: [Int], storage: TensorStorage) {
        precondition(shape.reduce(1, *) == storage.count, "shape \(shape) does not match \(storage.count) elements")
        self.shape = shape
        self.storage = storage
    }

    /// A tensor of the given shape filled with `value`.
    public init(shape: [Int], repeating value: Float) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        let storage = TensorStorage(uninitializedCount: shape.reduce(1, *))
        storage.pointer.initialize(repeating: value, count: storage.count)
        self.init(shape: shape, storage: storage)
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) { self.init(shape: shape, repeating: 0) }

    /// A tensor with the given shape and row-major elements. The element count must match the shape.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.reduce(1, *) == scalars.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) elements but \(scalars.count) were given")
        let storage = TensorStorage(uninitializedCount: scalars.count)
        scalars.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: scalars.count) }
        self.init(shape: shape, storage: storage)
    }

    /// A scalar (rank-0) tensor.
    public init(_ value: Float) { self.init(shape: [], repeating: value) }

    /// A tensor whose elements are left uninitialised; the caller must write every element.
    @inlinable
    public init(uninitializedShape shape: [Int]) {
        self.init(shape: shape, storage: TensorStorage(uninitializedCount: shape.reduce(1, *)))
    }

    /// The elements in row-major order.
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// The single element of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item needs exactly one element, tensor has shape \(shape)")
        return storage.pointer[0]
    }

    /// Reads the elements without copying.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Writes the elements in place, copying the storage first if it is shared.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    /// Raw read pointer, valid while this tensor is alive. For kernels only.
    @inlinable var pointer: UnsafeMutablePointer<Float> { storage.pointer }

    /// The element at a multi-dimensional index (slow; for tests and small bookkeeping).
    public subscript(_ index: Int...) -> Float {
        get { storage.pointer[flatIndex(index)] }
        set {
            let i = flatIndex(index)
            withUnsafeMutableBufferPointer { $0[i] = newValue }
        }
    }

    func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) has wrong rank for shape \(shape)")
        var flat = 0
        for (i, (n, d)) in zip(index, shape).enumerated() {
            precondition(n >= 0 && n < d, "index \(index) out of range for shape \(shape) at axis \(i)")
            flat = flat * d + n
        }
        return flat
    }

    /// The row-major strides of `shape`.
    public static func strides(of shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = s
            s *= shape[i]
        }
        return strides
    }

    /// Normalises a possibly negative axis.
    @inlinable
    public func axis(_ axis: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < rank, "axis \(axis) out of range for rank \(rank)")
        return a
    }
}

extension Tensor: Equatable {
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && (lhs.storage === rhs.storage || lhs.scalars == rhs.scalars)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(preview)\(count > 8 ? ", …" : "")])"
    }
}

// MARK: - Creation

extension Tensor {
    /// Normally distributed elements with the given mean and standard deviation.
    public static func randomNormal<G: RandomNumberGenerator>(
        _ shape: [Int], mean: Float = 0, standardDeviation: Float = 1, using generator: inout G
    ) -> Tensor {
        var t = Tensor(uninitializedShape: shape)
        t.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = mean + standardDeviation * Float(generator.nextNormal()) }
        }
        return t
    }

    /// Uniformly distributed elements in [low, high).
    public static func randomUniform<G: RandomNumberGenerator>(
        _ shape: [Int], low: Float = 0, high: Float = 1, using generator: inout G
    ) -> Tensor {
        var t = Tensor(uninitializedShape: shape)
        t.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = low + (high - low) * generator.nextUniformFloat() }
        }
        return t
    }

    /// 0, 1, …, count−1 as floats.
    public static func arange(_ count: Int) -> Tensor {
        Tensor(shape: [count], scalars: (0..<count).map(Float.init))
    }
}
