// Global-norm gradient clipping (torch.nn.utils.clip_grad_norm_): one L2 norm over every gradient, in Double.
import Foundation
import TensorCore

/// Scales all gradients down together so that their global L2 norm is at most `maxNorm`.
///
/// The norm is the L2 norm of all gradients concatenated, accumulated in Double. As in PyTorch, when it
/// exceeds `maxNorm` every gradient is multiplied by `maxNorm / (norm + 1e-6)`. Parameters without a gradient
/// are ignored. A NaN or infinite norm is returned as is and nothing is scaled, so the caller can detect it
/// (and, for example, skip the step) instead of training on garbage.
///
/// - Parameters:
///   - parameters: the parameters whose `grad`s are clipped in place.
///   - maxNorm: the largest allowed norm; must be > 0.
/// - Returns: the global norm **before** clipping, for logging.
@discardableResult
public func clipGradientNorm(_ parameters: [Variable], maxNorm: Float) -> Float {
    precondition(maxNorm > 0, "clipGradientNorm: maxNorm must be > 0, got \(maxNorm)")
    var sumOfSquares: Double = 0
    for parameter in parameters {
        guard let grad = parameter.grad else { continue }
        grad.withUnsafeBufferPointer { g in
            for x in g { sumOfSquares += Double(x) * Double(x) }
        }
    }
    let norm = sumOfSquares.squareRoot()
    guard norm.isFinite else { return Float(norm) }
    let coefficient = Double(maxNorm) / (norm + 1e-6)
    if coefficient < 1 {
        let scale = Float(coefficient)
        for parameter in parameters where parameter.grad != nil {
            parameter.grad!.withUnsafeMutableBufferPointer { g in
                for i in 0..<g.count { g[i] *= scale }
            }
        }
    }
    return Float(norm)
}
