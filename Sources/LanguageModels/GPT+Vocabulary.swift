// Growing the vocabulary for added special tokens (e.g. Quark's reward tokens).
import Foundation
import TensorCore
import Validation

extension GPT {
    /// Adds `count` rows to the token embedding (see `resizeVocabulary(to:using:)`).
    public func addTokens<G: RandomNumberGenerator>(count: Int, using generator: inout G) throws(LanguageModelError) {
        try resizeVocabulary(to: config.vocabularySize + count, using: &generator)
    }

    /// Resizes the token embedding (and so the tied output projection) to `newSize` rows.
    ///
    /// Existing rows are kept. Each new row is `mean + std ⊙ ε`, with the per-dimension mean and (population)
    /// standard deviation of the existing rows and ε ~ N(0, 1) from `generator`, so new tokens start "typical".
    /// Shrinking drops the last rows. The embedding becomes a new `Variable`: create optimizers after resizing.
    ///
    /// - Throws: `LanguageModelError.invalid` for a size below 1.
    public func resizeVocabulary<G: RandomNumberGenerator>(to newSize: Int, using generator: inout G) throws(LanguageModelError) {
        guard newSize >= 1 else {
            throw .invalid(.invalidValue(field: "vocabularySize", value: "\(newSize)", requirement: "it must be at least 1 token"))
        }
        let old = tokenEmbedding.value
        let v = old.shape[0], c = old.shape[1]
        if newSize == v { return }
        var table = Tensor(zeros: [newSize, c])
        let (mean, std) = old.withUnsafeBufferPointer { p -> ([Double], [Double]) in
            var mean = [Double](repeating: 0, count: c), sq = [Double](repeating: 0, count: c)
            for r in 0..<v {
                for j in 0..<c {
                    let x = Double(p[r * c + j])
                    mean[j] += x
                    sq[j] += x * x
                }
            }
            let n = Double(v)
            for j in 0..<c { mean[j] /= n; sq[j] = max(sq[j] / n - mean[j] * mean[j], 0).squareRoot() }
            return (mean, sq)
        }
        old.withUnsafeBufferPointer { src in
            table.withUnsafeMutableBufferPointer { dst in
                for i in 0..<(min(v, newSize) * c) { dst[i] = src[i] }
                if newSize > v {
                    for r in v..<newSize {
                        for j in 0..<c { dst[r * c + j] = Float(mean[j] + std[j] * generator.nextNormal()) }
                    }
                }
            }
        }
        tokenEmbedding = Variable(table, requiresGrad: tokenEmbedding.requiresGrad, name: "tokenEmbedding.weight")
        config.vocabularySize = newSize
    }
}
