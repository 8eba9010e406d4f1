// Sampling responses with a key/value cache: prefill the left-padded prompts in one pass, then decode one
// token per step. Warpers follow Hugging Face's order (temperature → top-k → top-p); finished rows emit PAD
// with mask 0 (see the LanguageModels article).
import Foundation
import TensorCore
import Validation

/// How to sample. Every option is explicit; there are no hidden defaults (top-k 0 and top-p 1 mean off).
public struct GenerationOptions: Equatable, Sendable {
    /// The most tokens to generate per row.
    public var maximumNewTokens: Int
    /// Stop tokens are masked out until this many tokens have been generated.
    public var minimumNewTokens: Int
    /// τ > 0: logits are divided by τ before sampling and before computing the returned log-probabilities.
    public var temperature: Float
    /// Keep only the k most likely tokens (0 = off).
    public var topK: Int
    /// Keep the smallest set of most likely tokens whose probability reaches p (1 = off, 0 = greedy).
    public var topP: Float
    /// Take the most likely (warped) token instead of sampling.
    public var greedy: Bool
    /// Ids that end a row (e.g. EOS). The stop token itself is emitted with mask 1.
    public var stopTokens: [Int32]
    /// The id written after a row has finished (mask 0). May lie outside the vocabulary.
    public var padToken: Int32
    /// Only ids below this are sampled (nil = the whole vocabulary): a model grown by control tokens that are not
    /// text (Quark's reward tokens, arXiv 2205.13636 §3) samples text only. The returned log-probabilities are
    /// then over these ids.
    public var sampledVocabularySize: Int?

    public init(maximumNewTokens: Int = 64, minimumNewTokens: Int = 0, temperature: Float = 1, topK: Int = 0,
                topP: Float = 1, greedy: Bool = false, stopTokens: [Int32] = [], padToken: Int32 = 0,
                sampledVocabularySize: Int? = nil) {
        self.maximumNewTokens = maximumNewTokens
        self.minimumNewTokens = minimumNewTokens
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.greedy = greedy
        self.stopTokens = stopTokens
        self.padToken = padToken
        self.sampledVocabularySize = sampledVocabularySize
    }

    /// - Throws: `LanguageModelError.invalid` naming the option, its value and the fix.
    public func validate() throws(LanguageModelError) {
        func fail(_ field: String, _ value: String, _ requirement: String) -> LanguageModelError {
            .invalid(.invalidValue(field: field, value: value, requirement: requirement))
        }
        if maximumNewTokens < 1 { throw fail("maximumNewTokens", "\(maximumNewTokens)", "it must be at least 1 token") }
        if minimumNewTokens < 0 || minimumNewTokens > maximumNewTokens {
            throw fail("minimumNewTokens", "\(minimumNewTokens)", "it must be in 0...maximumNewTokens (\(maximumNewTokens))")
        }
        if !(temperature > 0) || !temperature.isFinite {
            throw fail("temperature", "\(temperature)", "it must be positive, such as 1.0; for greedy decoding set greedy = true")
        }
        if topK < 0 { throw fail("topK", "\(topK)", "it must be 0 (off) or a positive count, such as 50") }
        if !(topP >= 0 && topP <= 1) { throw fail("topP", "\(topP)", "it must be a probability in [0, 1]; 1 turns top-p off") }
        if let limit = sampledVocabularySize, limit < 1 {
            throw fail("sampledVocabularySize", "\(limit)", "it must be nil (every id) or a positive count of ids")
        }
    }
}

/// Sampled responses.
public struct GenerationResult {
    /// `[B, N]` response ids, right-padded with `padToken`; `mask` is 1 up to and including a stop token.
    public let responses: TokenBatch
    /// `[B, N]`: log softmax(ℓ/τ) of each sampled token, where ℓ are the raw logits and τ the temperature —
    /// after the minimum-length mask (the stop tokens out of the softmax until `minimumNewTokens`) and before
    /// top-k/top-p filtering, so it equals what the teacher-forced `scoreResponses(…, temperature: τ,
    /// minimumNewTokens:, stopTokens:)` computes with the same options. 0 at padding.
    public let logProbabilities: Tensor
}

extension GPT {
    /// Generates responses to a batch of left-padded prompts with a key/value cache.
    ///
    /// - Parameters:
    ///   - prompts: `[B, P]`, left-padded, every row with at least one real token.
    ///   - options: sampling options (validated).
    ///   - generator: the source of randomness; one uniform draw per unfinished row per step, in row order
    ///     (none in greedy mode), so results do not depend on the thread count.
    /// - Throws: `LanguageModelError` for bad options, bad ids, an empty prompt, or a prompt whose length plus
    ///   `maximumNewTokens` exceeds `contextLength`.
    public func generate<G: RandomNumberGenerator>(prompts: TokenBatch, options: GenerationOptions,
                                                   using generator: inout G) throws -> GenerationResult {
        try generate(prompts: prompts, options: options) { _ in generator.nextUniformDouble() }
    }

    /// Generates responses with one generator per row: row b draws its uniforms from `rowGenerators[b]` only, so
    /// a row's response does not depend on which other rows share its batch (data-parallel ranks sample the
    /// tokens one process would, when each row's generator is seeded from the run, the step and the row's global
    /// index).
    ///
    /// - Throws: as `generate(prompts:options:using:)`, and `LanguageModelError.invalid` when the number
    ///   of generators is not the number of rows.
    public func generate(prompts: TokenBatch, options: GenerationOptions,
                         rowGenerators: inout [SeededGenerator]) throws -> GenerationResult {
        guard rowGenerators.count == prompts.batchSize else {
            throw LanguageModelError.invalid(.countMismatch(what: "rowGenerators", expected: prompts.batchSize, found: rowGenerators.count,
                                                            fix: "pass one generator per prompt row"))
        }
        return try generate(prompts: prompts, options: options) { b in rowGenerators[b].nextUniformDouble() }
    }

    /// The sampler; `uniform(b)` draws row b's next uniform number (called in row order, once per unfinished row
    /// and step, never in greedy mode).
    private func generate(prompts: TokenBatch, options: GenerationOptions, uniform draw: (Int) -> Double) throws -> GenerationResult {
        try options.validate()
        try validate(prompts)
        let B = prompts.batchSize, P = prompts.length, V = config.vocabularySize
        let realLengths = prompts.realLengths
        if let empty = realLengths.firstIndex(of: 0) {
            throw LanguageModelError.invalid(.emptyInput(what: "prompts row \(empty)", fix: "give every prompt at least one token (e.g. BOS)"))
        }
        let longest = realLengths.max() ?? 0
        if longest + options.maximumNewTokens > config.contextLength {
            throw LanguageModelError.promptTooLong(promptLength: longest, maximumNewTokens: options.maximumNewTokens,
                                                   contextLength: config.contextLength)
        }
        let maxNew = options.maximumNewTokens
        return withoutGradients {
            // The engine reads plain weights: with enabled adapters, sample from the merged model (same outputs).
            let plain = lora?.isEnabled == true ? mergingLoRA(requiresGrad: false) : self
            let engine = KVCacheEngine(model: plain, batchSize: B, capacity: P + maxNew, maxChunk: P)
            let promptMask = prompts.mask.scalars
            var ids = prompts.tokens
            for i in 0..<ids.count where promptMask[i] == 0 { ids[i] = 0 }
            var logits = engine.append(tokens: ids, mask: promptMask, positions: prompts.positions, n: P)

            var nextPosition = realLengths.map(Int32.init)
            var finished = [Bool](repeating: false, count: B)
            var outTokens = [[Int32]](repeating: [], count: B)
            var outLogProbs = [[Float]](repeating: [], count: B)
            let stop = Set(options.stopTokens)
            let invT = 1 / options.temperature
            let sampled = min(options.sampledVocabularySize ?? V, V)
            // Per-row scratch, so rows are warped and sampled in parallel. The uniform numbers are drawn first,
            // in row order, so results do not depend on the thread count.
            let rows = UnsafeMutablePointer<Float>.allocate(capacity: B * V)
            let scratches = UnsafeMutablePointer<Float>.allocate(capacity: B * V)
            let weightRows = UnsafeMutablePointer<Float>.allocate(capacity: B * V)
            let orders = UnsafeMutablePointer<Int32>.allocate(capacity: B * V)
            let chosen = UnsafeMutablePointer<Int>.allocate(capacity: B)
            let chosenLogProbs = UnsafeMutablePointer<Float>.allocate(capacity: B)
            defer {
                rows.deallocate(); scratches.deallocate(); weightRows.deallocate(); orders.deallocate()
                chosen.deallocate(); chosenLogProbs.deallocate()
            }
            var stepTokens = [Int32](repeating: 0, count: B), stepMask = [Float](repeating: 0, count: B)
            var uniforms = [Double](repeating: 0, count: B)

            for step in 0..<maxNew {
                for b in 0..<B where !finished[b] && !options.greedy { uniforms[b] = draw(b) }
                let masking = step < options.minimumNewTokens && !options.stopTokens.isEmpty
                let currentLogits = logits, active = finished.map { !$0 }
                uniforms.withUnsafeBufferPointer { u in
                    Compute.parallelFor(B, costPerItem: 8 * V, minimumWork: 1 << 15) { range in
                        for b in range where active[b] {
                            chosen[b] = GPT.sampleRow(
                                logits: currentLogits + b * V, sampled, invT: invT, options: options, masking: masking,
                                uniform: u[b], row: rows + b * V, weights: weightRows + b * V,
                                scratch: scratches + b * V, order: orders + b * V, logProbability: chosenLogProbs + b)
                        }
                    }
                }
                for b in 0..<B {
                    if finished[b] {
                        outTokens[b].append(options.padToken)
                        outLogProbs[b].append(0)
                        stepTokens[b] = 0
                        stepMask[b] = 0
                        continue
                    }
                    let token = chosen[b]
                    outTokens[b].append(Int32(token))
                    outLogProbs[b].append(chosenLogProbs[b])
                    stepTokens[b] = Int32(token)
                    stepMask[b] = 1
                    if stop.contains(Int32(token)) { finished[b] = true }
                }
                if step == maxNew - 1 || finished.allSatisfy({ $0 }) { break }
                let positions = nextPosition
                for b in 0..<B where stepMask[b] != 0 { nextPosition[b] += 1 }
                logits = engine.append(tokens: stepTokens, mask: stepMask, positions: positions.enumerated().map { stepMask[$0.offset] != 0 ? $0.element : 0 }, n: 1)
            }
            let N = outTokens[0].count
            // Rows already end at their stop token: finished rows appended PAD (mask 0) from then on.
            let flatTokens = outTokens.flatMap { $0 }
            let flatLogProbs = outLogProbs.flatMap { $0 }
            var flatMask = [Float](repeating: 1, count: B * N)
            for b in 0..<B {
                if let stopAt = outTokens[b].firstIndex(where: { stop.contains($0) }) {
                    for t in (stopAt + 1)..<max(N, stopAt + 1) { flatMask[b * N + t] = 0 }
                }
            }
            let mask = Tensor(shape: [B, N], scalars: flatMask)
            return GenerationResult(
                responses: TokenBatch(tokens: flatTokens, batchSize: B, length: N, mask: mask),
                logProbabilities: Tensor(shape: [B, N], scalars: flatLogProbs))
        }
    }
}

extension GPT {
    /// Warps and samples one row of logits; writes log softmax(ℓ/τ) of the chosen token (over the tokens the
    /// minimum-length mask leaves) to `logProbability`.
    static func sampleRow(logits l: UnsafePointer<Float>, _ V: Int, invT: Float, options: GenerationOptions,
                          masking: Bool, uniform: Double, row: UnsafeMutablePointer<Float>,
                          weights: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                          order: UnsafeMutablePointer<Int32>, logProbability: UnsafeMutablePointer<Float>) -> Int {
        // z = ℓ/τ; the returned log-prob is log softmax(z) at the chosen token (before warping).
        var m = -Float.infinity
        for j in 0..<V {
            row[j] = l[j] * invT
            if row[j] > m { m = row[j] }
        }
        // FastMath's exp vectorises; libm's is one call per entry (about a tenth of a decode step at V = 4096).
        for j in 0..<V { weights[j] = FastMath.exp(row[j] - m) }
        var total = FastMath.sum(weights, count: V)
        if masking {
            // The masked stop tokens leave the distribution, and its normaliser (a repeated token subtracts 0).
            for s in options.stopTokens where s >= 0 && Int(s) < V {
                row[Int(s)] = -.infinity
                total -= weights[Int(s)]
                weights[Int(s)] = 0
            }
            total = Swift.max(total, .leastNormalMagnitude)
        }
        let logNormaliser = m + Foundation.log(total)
        let token: Int
        if options.greedy {
            token = LogitsWarping.argmax(row, V)
        } else if options.topK == 0 && options.topP >= 1 && !masking {
            // Plain sampling: reuse the exponentials computed for the normaliser.
            token = LogitsWarping.sample(weights: weights, V, total: total, uniform: uniform)
        } else {
            LogitsWarping.applyTopK(row, V, k: options.topK, scratch: scratch)
            LogitsWarping.applyTopP(row, V, p: options.topP, probabilities: scratch, order: order)
            token = LogitsWarping.sample(row, V, uniform: uniform)
        }
        logProbability.pointee = l[token] * invT - logNormaliser
        return token
    }
}

extension PolicyWithValue {
    /// Generates with the policy (see `GPT.generate`).
    public func generate<G: RandomNumberGenerator>(prompts: TokenBatch, options: GenerationOptions,
                                                   using generator: inout G) throws -> GenerationResult {
        try policy.generate(prompts: prompts, options: options, using: &generator)
    }
}

extension Kernels {
    static func logSumExp(_ row: UnsafePointer<Float>, _ n: Int) -> Float {
        var m = -Float.infinity
        for j in 0..<n where row[j] > m { m = row[j] }
        if m == -.infinity { return m }
        var s: Float = 0
        for j in 0..<n { s += Foundation.exp(row[j] - m) }
        return m + Foundation.log(s)
    }
}
