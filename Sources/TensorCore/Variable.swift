// Variable: a node of the autodiff graph. Each differentiable op computes its output Tensor and records one
// closure that adds the output's gradient into its parents' gradients (micrograd's design, iteratively).
import Foundation

/// A tensor that takes part in reverse-mode automatic differentiation.
///
/// Leaf variables created with `requiresGrad: true` are parameters; ops on variables build a graph, and
/// `backward()` on a scalar result fills `grad` of every leaf it depends on. Gradients **accumulate** across
/// backward calls until `zeroGradient()`, so micro-batch accumulation is "scale each loss by 1/k and call
/// backward k times".
///
/// ```swift
/// let w = Variable(Tensor(shape: [2], scalars: [1, 2]), requiresGrad: true)
/// let loss = (w * w).sum()
/// loss.backward()
/// // w.grad == [2, 4]
/// ```
public final class Variable {
    /// The current value. Optimizers update it in place.
    public var value: Tensor
    /// The accumulated gradient of the last `backward()` roots with respect to this variable, or nil.
    public var grad: Tensor?
    /// Whether gradients flow to (leaf) or through (op result) this variable.
    public let requiresGrad: Bool
    /// An optional name, used in messages and checkpoints.
    public var name: String?

    @usableFromInline var parents: [Variable] = []
    @usableFromInline var backwardFunction: ((Tensor) -> Void)?

    /// Wraps a tensor. Pass `requiresGrad: true` for trainable parameters.
    public init(_ value: Tensor, requiresGrad: Bool = false, name: String? = nil) {
        self.value = value
        self.requiresGrad = requiresGrad
        self.name = name
    }

    /// Releases the graph behind this node iteratively. The default member-wise release recurses once per node,
    /// so dropping a long graph that never went through `backward()` (which unlinks as it goes) would
    /// overflow the stack: the main thread's after some 30,000 ops, a 512 KB worker thread's much sooner.
    deinit {
        guard !parents.isEmpty else { return }
        backwardFunction = nil  // the closure holds the parents too
        var pending = parents
        parents = []
        while var node = pending.popLast() {
            // Only a node nothing else refers to is about to be freed; unlink it so its deinit stays shallow.
            guard isKnownUniquelyReferenced(&node) else { continue }
            node.backwardFunction = nil
            pending.append(contentsOf: node.parents)
            node.parents = []
        }
    }

    /// The shape of `value`.
    public var shape: [Int] { value.shape }

    /// A variable with the same value and no history (a constant to the graph).
    public func detached() -> Variable { Variable(value) }

    /// Clears the accumulated gradient.
    public func zeroGradient() { grad = nil }

    /// Adds `g` into `grad` (the only way gradients are written).
    @inlinable
    public func accumulateGradient(_ g: Tensor) {
        precondition(g.shape == value.shape, "gradient shape \(g.shape) does not match value shape \(value.shape) of \(name ?? "variable")")
        if grad == nil { grad = g } else { grad! += g }
    }

    /// Records an op result. When no parent needs gradients (or recording is off) no closure is kept.
    @inlinable
    public static func record(_ value: Tensor, parents: [Variable], backward: @escaping (Tensor) -> Void) -> Variable {
        guard GradientMode.isEnabled, parents.contains(where: { $0.requiresGrad }) else { return Variable(value) }
        let v = Variable(value, requiresGrad: true)
        v.parents = parents
        v.backwardFunction = backward
        return v
    }

    /// Back-propagates from this variable.
    ///
    /// - Parameter seed: the gradient of the final objective with respect to this variable. May be omitted
    ///   only for a one-element variable, where it defaults to 1.
    /// - Throws: `TensorError.nonScalarBackward` when the variable has more than one element and no seed.
    public func backward(seed: Tensor? = nil) throws {
        if seed == nil && value.count != 1 { throw TensorError.nonScalarBackward(shape: value.shape) }
        if let seed, seed.shape != value.shape {
            throw TensorError.shapeMismatch(operation: "backward seed", expected: value.shape, found: seed.shape)
        }
        guard requiresGrad else { return }
        let order = topologicalOrder()
        accumulateGradient(seed ?? Tensor(shape: value.shape, repeating: 1))
        for node in order.reversed() {
            guard let function = node.backwardFunction else { continue }
            if let g = node.grad { function(g) }
            // Free the graph as we go: intermediate gradients and saved tensors are no longer needed.
            node.grad = nil
            node.backwardFunction = nil
            node.parents = []
        }
    }

    /// Nodes reachable from self that track gradients, parents before children. Iterative, so deep graphs
    /// (many layers × many ops) cannot overflow the stack.
    func topologicalOrder() -> [Variable] {
        var order: [Variable] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Variable, Int)] = [(self, 0)]
        visited.insert(ObjectIdentifier(self))
        while let (node, next) = stack.popLast() {
            if next < node.parents.count {
                stack.append((node, next + 1))
                let parent = node.parents[next]
                if parent.requiresGrad && visited.insert(ObjectIdentifier(parent)).inserted {
                    stack.append((parent, 0))
                }
            } else {
                order.append(node)
            }
        }
        return order
    }
}

extension Variable: CustomStringConvertible {
    public var description: String { "Variable(\(name.map { "\($0), " } ?? "")\(value))" }
}

/// Whether ops record the graph. Turn it off for rollouts, reference scoring and evaluation.
public enum GradientMode {
    nonisolated(unsafe) public private(set) static var isEnabled = true

    /// Runs `body` without recording any graph (like `torch.no_grad()`).
    public static func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
        let previous = isEnabled
        isEnabled = false
        defer { isEnabled = previous }
        return try body()
    }
}

/// Runs `body` without recording any graph (like `torch.no_grad()`).
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradientMode.withoutGradients(body)
}
