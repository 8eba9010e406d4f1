// Sampling and scoring for the Quark tables: 25 nucleus samples per prompt from any method, fluency under the
// evaluator LM, dist-n, and bootstrap intervals over prompts.
import Evaluation
import Foundation
import LanguageModels
import Quark
import TensorCore

/// A method under evaluation: a plain model, or a Quark policy conditioned on a reward token.
enum EvaluatedModel {
    case plain(GPT)
    case quark(QuarkPolicy, quantile: Int)

    /// Samples for each prompt row (one output per input row).
    func generate(_ rows: [[Int32]], options: GenerationOptions, using rng: inout SeededGenerator) throws -> [[Int32]] {
        try withoutGradients {
            var out: [[Int32]] = []
            for start in stride(from: 0, to: rows.count, by: 200) {
                let chunk = Array(rows[start..<min(start + 200, rows.count)])
                switch self {
                case .plain(let model):
                    let result = try model.generate(prompts: TokenBatch(leftPadding: chunk, padToken: options.padToken), options: options, using: &rng)
                    out += (0..<chunk.count).map { result.responses.realTokens(row: $0) }
                case .quark(let policy, let quantile):
                    out += try policy.generate(prompts: chunk, conditionedOn: quantile, options: options, using: &rng)
                }
            }
            return out
        }
    }

    /// Token log-probabilities of `texts` (whole sequences, each starting with EOT) under this method
    /// (Quark methods with their reward token prepended), for perplexity and next-token accuracy.
    func tokenStatistics(_ rows: [[Int32]], pad: Int32) throws -> (logProbabilities: [Double], correct: Int, count: Int) {
        try withoutGradients {
            var logs: [Double] = [], correct = 0, count = 0
            for start in stride(from: 0, to: rows.count, by: 64) {
                let chunk = Array(rows[start..<min(start + 64, rows.count)])
                let model: GPT
                var prefix: [Int32] = [], originalV = 0
                switch self {
                case .plain(let m):
                    model = m
                    originalV = m.config.vocabularySize
                case .quark(let policy, let q):
                    model = policy.model
                    prefix = [policy.rewardToken(q)]
                    originalV = policy.originalVocabularySize
                }
                let prompts = TokenBatch(leftPadding: chunk.map { prefix + [$0[0]] }, padToken: pad)
                let responses = TokenBatch(rightPadding: chunk.map { Array($0.dropFirst()) }, padToken: pad)
                let logits = try QuarkPolicy.responseLogits(model: model, prompts: prompts, responses: responses).value
                let v = logits.shape.last!, R = responses.length
                logits.withUnsafeBufferPointer { l in
                    for b in 0..<chunk.count {
                        for t in 0..<(chunk[b].count - 1) {
                            let row = l.baseAddress! + (b * R + t) * v
                            // Over the original vocabulary (reward tokens are never text).
                            let lse = Tensor.logSumExp(row, originalV)
                            let target = Int(responses.tokens[b * R + t])
                            logs.append(Double(row[target] - lse))
                            var best = 0
                            for j in 1..<originalV where row[j] > row[best] { best = j }
                            if best == target { correct += 1 }
                            count += 1
                        }
                    }
                }
            }
            return (logs, correct, count)
        }
    }
}

/// Per-prompt generations of one method.
struct MethodSamples {
    var method: String
    var prompts: [String]
    var kinds: [String]
    /// `[prompt][sample]` token ids and texts.
    var ids: [[[Int32]]]
    var texts: [[String]]
}

enum ExperimentEvaluation {
    /// `count` samples for every prompt.
    static func sample(_ model: EvaluatedModel, method: String, prompts: [(text: String, kind: String)], tokens: ExperimentTokens,
                       count: Int, options: GenerationOptions, seed: UInt64) throws -> MethodSamples {
        var rng = SeededGenerator(seed: seed)
        let rows = try prompts.flatMap { p in Array(repeating: try tokens.prompt(p.text), count: count) }
        let generated = try model.generate(rows, options: options, using: &rng)
        var ids: [[[Int32]]] = [], texts: [[String]] = []
        for i in prompts.indices {
            let mine = Array(generated[(i * count)..<((i + 1) * count)])
            ids.append(mine)
            texts.append(try mine.map { try tokens.text($0) })
        }
        return MethodSamples(method: method, prompts: prompts.map(\.text), kinds: prompts.map(\.kind), ids: ids, texts: texts)
    }

    /// Mean conditional perplexity of the samples under the evaluator (generations with ppl ≥ 1e4 or no token left out).
    static func fluency(_ samples: MethodSamples, evaluator: GPT, tokens: ExperimentTokens) throws -> [Double] {
        var perGeneration: [Double] = []
        try withoutGradients {
            for (i, prompt) in samples.prompts.enumerated() {
                let promptIds = try tokens.prompt(prompt)
                let generations = samples.ids[i].filter { !$0.isEmpty }
                guard !generations.isEmpty else { continue }
                let scores = try evaluator.scoreResponses(
                    prompts: TokenBatch(leftPadding: Array(repeating: promptIds, count: generations.count), padToken: tokens.pad),
                    responses: TokenBatch(rightPadding: generations, padToken: tokens.pad), computeEntropies: false)
                let lp = scores.logProbabilities.value.scalars, R = scores.logProbabilities.shape[1]
                for (g, generation) in generations.enumerated() {
                    let mean = (0..<generation.count).reduce(0.0) { $0 + Double(lp[g * R + $1]) } / Double(generation.count)
                    let ppl = exp(-mean)
                    if ppl < 1e4 { perGeneration.append(ppl) }
                }
            }
        }
        return perGeneration
    }

    /// dist-n over each prompt's samples, averaged over prompts (Quark's definition).
    static func distinct(_ samples: MethodSamples, n: Int) -> Double {
        (try? distinctness(generationsByPrompt: samples.texts, n: n)) ?? .nan
    }

    /// The mean of per-item values with a 95 % bootstrap interval.
    static func interval(_ values: [Double], resamples: Int, seed: UInt64) -> ConfidenceInterval {
        var rng = SplitMix64(seed: seed)
        guard !values.isEmpty, let ci = try? bootstrapConfidenceInterval(values: values, resamples: resamples, using: &rng) else {
            return ConfidenceInterval(estimate: .nan, lower: .nan, upper: .nan)
        }
        return ci
    }

    /// Mean completion length in whitespace-separated words (the brevity check).
    static func meanWords(_ samples: MethodSamples) -> Double {
        mean(samples.texts.flatMap { $0 }.map { Double($0.split(whereSeparator: \.isWhitespace).count) })
    }

    static func mean(_ values: [Double]) -> Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }
}
