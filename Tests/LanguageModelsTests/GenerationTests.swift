// Generation: sampling log-probs agree with the teacher-forced pass, the KV cache agrees with full forward
// passes, and the warpers, minimum length and stop tokens behave as specified.
import LanguageModels
import TensorCore
import XCTest

final class GenerationTests: XCTestCase {
    let prompts = TokenBatch(leftPadding: [[1, 2, 3, 4, 5], [6, 7], [8, 9, 10]], padToken: 0)

    func testTeacherForcedLogProbabilitiesEqualSamplingLogProbabilities() throws {
        let model = makeTinyModel()
        for (tau, topK, topP) in [(Float(0.7), 0, Float(1)), (1.3, 5, 0.9)] {
            var rng = SeededGenerator(seed: 11)
            let options = GenerationOptions(maximumNewTokens: 10, minimumNewTokens: 2, temperature: tau, topK: topK,
                                            topP: topP, stopTokens: [3, 17], padToken: 0)
            let result = try model.generate(prompts: prompts, options: options, using: &rng)
            let scores = try model.scoreResponses(prompts: prompts, responses: result.responses, temperature: tau,
                                                  minimumNewTokens: 2, stopTokens: [3, 17])
            let mask = result.responses.mask.scalars
            let teacher = zip(scores.logProbabilities.value.scalars, mask).map { $0 * $1 }
            assertClose(teacher, result.logProbabilities.scalars, tolerance: 1e-4, "τ \(tau)")
            // Per-sequence sums (what the algorithms use) agree too.
            let n = result.responses.length
            for b in 0..<3 {
                let s1 = teacher[(b * n)..<((b + 1) * n)].reduce(0, +)
                let s2 = result.logProbabilities.scalars[(b * n)..<((b + 1) * n)].reduce(0, +)
                XCTAssertEqual(s1, s2, accuracy: 1e-4)
            }
        }
    }

    /// The same at a width where decode steps cut the MLP and vocabulary products into several column blocks
    /// (16 rows: 16 · 512 · 128 > 10⁶ multiply-adds), with a vocabulary that leaves a narrower last block.
    func testTeacherForcedLogProbabilitiesEqualSamplingLogProbabilitiesWithBlockedProducts() throws {
        let config = GPTConfig(layerCount: 1, headCount: 4, embeddingSize: 128, contextLength: 32, vocabularySize: 520)
        let model = makeTinyModel(seed: 3, config: config, scale: 2)
        let rows = (0..<16).map { b in (0..<(1 + b % 5)).map { Int32((7 * b + 3 * $0) % 500 + 1) } }
        let prompts = TokenBatch(leftPadding: rows, padToken: 0)
        var rng = SeededGenerator(seed: 12)
        let options = GenerationOptions(maximumNewTokens: 6, temperature: 0.9)
        let result = try model.generate(prompts: prompts, options: options, using: &rng)
        let scores = try model.scoreResponses(prompts: prompts, responses: result.responses, temperature: 0.9)
        let teacher = zip(scores.logProbabilities.value.scalars, result.responses.mask.scalars).map { $0 * $1 }
        assertClose(teacher, result.logProbabilities.scalars, tolerance: 1e-4)
    }

    /// `sampledVocabularySize` keeps every sampled id below it (Quark's reward tokens are never text), the
    /// log-probabilities are over those ids (they sum to at most 1 per step), and a limit below 1 is rejected.
    func testSampledVocabularySizeSamplesOnlyTheIdsBelowIt() throws {
        let model = makeTinyModel(seed: 4)
        let limit = model.config.vocabularySize - 5
        var rng = SeededGenerator(seed: 13)
        let options = GenerationOptions(maximumNewTokens: 16, temperature: 3, padToken: 0, sampledVocabularySize: limit)
        let rows = TokenBatch(leftPadding: Array(repeating: [1, 2, 3], count: 64), padToken: 0)
        let result = try model.generate(prompts: rows, options: options, using: &rng)
        XCTAssertTrue(result.responses.tokens.allSatisfy { Int($0) < limit })
        var unrestricted = options
        unrestricted.sampledVocabularySize = nil
        var again = SeededGenerator(seed: 13)
        let free = try model.generate(prompts: rows, options: unrestricted, using: &again)
        XCTAssertTrue(free.responses.tokens.contains { Int($0) >= limit }, "at τ = 3 the unrestricted sampler reaches the last ids")
        var bad = options
        bad.sampledVocabularySize = 0
        XCTAssertThrowsError(try model.generate(prompts: rows, options: bad, using: &rng)) {
            XCTAssertTrue("\($0)".contains("sampledVocabularySize"), "\($0)")
        }
    }

    /// Greedy decoding with the cache equals greedy decoding by repeated full forward passes.
    func testKVCacheGreedyEqualsFullForwardGreedy() throws {
        let model = makeTinyModel(seed: 2)
        var rng = SeededGenerator(seed: 0)
        let steps = 12
        let cached = try model.generate(prompts: prompts, options: GenerationOptions(maximumNewTokens: steps, greedy: true),
                                        using: &rng)
        XCTAssertEqual(cached.responses.length, steps)
        var generated = [[Int32]](repeating: [], count: 3)
        for _ in 0..<steps {
            let batch = prompts.concatenated(with: TokenBatch(rightPadding: generated, padToken: 0))
            let logits = try model.forward(batch).logits.value
            for b in 0..<3 {
                var best = 0
                for v in 1..<40 where logits[b, batch.length - 1, v] > logits[b, batch.length - 1, best] { best = v }
                generated[b].append(Int32(best))
            }
        }
        XCTAssertEqual(cached.responses.tokens, generated.flatMap { $0 })
        XCTAssertEqual(cached.responses.mask.scalars, [Float](repeating: 1, count: 3 * steps))
    }

    func testTopKOneAndTopPZeroAreGreedy() throws {
        let model = makeTinyModel(seed: 3)
        var rng = SeededGenerator(seed: 1)
        let greedy = try model.generate(prompts: prompts, options: GenerationOptions(maximumNewTokens: 6, greedy: true), using: &rng)
        let k1 = try model.generate(prompts: prompts, options: GenerationOptions(maximumNewTokens: 6, topK: 1), using: &rng)
        let p0 = try model.generate(prompts: prompts, options: GenerationOptions(maximumNewTokens: 6, topP: 0), using: &rng)
        XCTAssertEqual(k1.responses.tokens, greedy.responses.tokens)
        XCTAssertEqual(p0.responses.tokens, greedy.responses.tokens)
    }

    func testSamplingIsReproducibleWithTheSameSeed() throws {
        let model = makeTinyModel()
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42)
        let options = GenerationOptions(maximumNewTokens: 8, temperature: 1.5)
        let first = try model.generate(prompts: prompts, options: options, using: &a)
        let second = try model.generate(prompts: prompts, options: options, using: &b)
        XCTAssertEqual(first.responses.tokens, second.responses.tokens)
    }

    func testSamplingDoesNotDependOnThreadCount() throws {
        let model = makeTinyModel()
        let saved = Compute.threadCount
        defer { Compute.threadCount = saved }
        var results = [[Int32]]()
        for threads in [1, 2] {
            Compute.threadCount = threads
            var rng = SeededGenerator(seed: 5)
            let options = GenerationOptions(maximumNewTokens: 8, temperature: 1.2, topK: 10, topP: 0.9)
            results.append(try model.generate(prompts: prompts, options: options, using: &rng).responses.tokens)
        }
        XCTAssertEqual(results[0], results[1])
    }

    func testStopTokensEndRowsAndMinimumLengthMasksThem() throws {
        let model = makeTinyModel(seed: 2)
        var rng = SeededGenerator(seed: 0)
        let free = try model.generate(prompts: prompts, options: GenerationOptions(maximumNewTokens: 6, greedy: true), using: &rng)
        let firstOfRow0 = free.responses.tokens[0]
        // Row 0 stops at once; the stop token itself is real (mask 1), then PAD with mask 0.
        let stopped = try model.generate(
            prompts: prompts, options: GenerationOptions(maximumNewTokens: 6, greedy: true, stopTokens: [firstOfRow0], padToken: 39),
            using: &rng)
        let n = stopped.responses.length
        XCTAssertEqual(Array(stopped.responses.tokens[0..<n]), [firstOfRow0] + [Int32](repeating: 39, count: n - 1))
        XCTAssertEqual(Array(stopped.responses.mask.scalars[0..<n]), [1] + [Float](repeating: 0, count: n - 1))
        XCTAssertEqual(Array(stopped.logProbabilities.scalars[1..<n]), [Float](repeating: 0, count: n - 1))
        // With a minimum of 3 new tokens, the stop token cannot appear among the first 3.
        let atLeast3 = try model.generate(
            prompts: prompts,
            options: GenerationOptions(maximumNewTokens: 6, minimumNewTokens: 3, greedy: true, stopTokens: [firstOfRow0], padToken: 39),
            using: &rng)
        let m = atLeast3.responses.length
        XCTAssertFalse(atLeast3.responses.tokens[0..<3].contains(firstOfRow0))
        XCTAssertEqual(Array(atLeast3.responses.mask.scalars[0..<3]), [1, 1, 1])
        XCTAssertGreaterThanOrEqual(m, 3)
        // When every row has stopped, generation ends early.
        let single = TokenBatch(leftPadding: [[1, 2, 3, 4, 5]], padToken: 0)
        let early = try model.generate(prompts: single, options: GenerationOptions(maximumNewTokens: 6, greedy: true, stopTokens: [firstOfRow0]),
                                       using: &rng)
        XCTAssertEqual(early.responses.length, 1)
    }

    /// Under a minimum length, the sampler's log-probabilities are those of the masked distribution, and the
    /// teacher-forced scores given the same minimum and stop tokens equal them (without the mask they differ).
    func testMinimumLengthLogProbabilitiesMatchMaskedScoring() throws {
        let model = makeTinyModel(seed: 4)
        var rng = SeededGenerator(seed: 1)
        let stop: [Int32] = [5, 9]
        let options = GenerationOptions(maximumNewTokens: 6, minimumNewTokens: 3, temperature: 1.3, stopTokens: stop, padToken: 39)
        let generated = try model.generate(prompts: prompts, options: options, using: &rng)
        let masked = try model.scoreResponses(prompts: prompts, responses: generated.responses, temperature: 1.3,
                                              minimumNewTokens: 3, stopTokens: stop)
        assertClose(masked.logProbabilities.value.scalars, generated.logProbabilities.scalars, tolerance: 1e-4, "masked scoring")
        let unmasked = try model.scoreResponses(prompts: prompts, responses: generated.responses, temperature: 1.3)
        let width = generated.responses.length
        let early = (0..<generated.responses.batchSize).flatMap { b in (0..<min(3, width)).map { b * width + $0 } }
        XCTAssertTrue(early.allSatisfy { unmasked.logProbabilities.value.scalars[$0] < masked.logProbabilities.value.scalars[$0] },
                      "without the mask the stop tokens keep their share, so every early token is less likely")
    }

    func testTopKKeepsTheKLargestAndTies() {
        let ninf = -Float.infinity
        XCTAssertEqual(LogitsWarping.topK([1, 3, 2, 5, 4], k: 2), [ninf, ninf, ninf, 5, 4])
        XCTAssertEqual(LogitsWarping.topK([1, 2, 2, 0], k: 2), [ninf, 2, 2, ninf])
        XCTAssertEqual(LogitsWarping.topK([1, 2, 3], k: 0), [1, 2, 3])
        XCTAssertEqual(LogitsWarping.topK([1, 2, 3], k: 5), [1, 2, 3])
    }

    func testTopPFollowsHuggingFace() {
        let ninf = -Float.infinity
        // Probabilities 0.5, 0.3, 0.15, 0.05: ascending cumulative 0.05, 0.2, 0.5, 1.0.
        let logits = [0.5, 0.05, 0.3, 0.15].map { Float(Foundation.log($0)) }
        XCTAssertEqual(LogitsWarping.topP(logits, p: 0.75), [logits[0], ninf, logits[2], ninf])   // removes cum ≤ 0.25
        XCTAssertEqual(LogitsWarping.topP(logits, p: 0.9), [logits[0], ninf, logits[2], logits[3]])  // removes cum ≤ 0.1
        XCTAssertEqual(LogitsWarping.topP(logits, p: 0.3), [logits[0], ninf, ninf, ninf])
        XCTAssertEqual(LogitsWarping.topP(logits, p: 0), [logits[0], ninf, ninf, ninf])            // min tokens to keep = 1
        XCTAssertEqual(LogitsWarping.topP(logits, p: 1), logits)
        // Temperature → top-k → top-p: top-k first renormalises what top-p sees.
        let afterK = LogitsWarping.topK(logits, k: 3)   // 0.5, 0.3, 0.15 → renormalised 0.526, 0.316, 0.158
        XCTAssertEqual(LogitsWarping.topP(afterK, p: 0.8), [logits[0], ninf, logits[2], ninf])   // removes cum ≤ 0.2 (0.158)
    }
}
