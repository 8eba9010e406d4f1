// Table 2 of Quark in miniature: unlearning a sentiment. Steer away from `avoid` (negative by default): base,
// DAPT on the reviews without the avoided sentiment, PPO and Quark against a sentiment classifier.
import Evaluation
import Foundation
import LanguageModels
import Quark
import ReviewWorld
import TensorCore
import TrainingCore

extension QuarkExperiment {
    func runSentiment() throws -> String {
        let s = try setup()
        let tokens = s.tokens
        let target = config.avoid.opposite.rawValue
        // The classifier (the SST-2 stand-in): good = the target sentiment.
        let classifier = try classifierPhase("train sentiment classifier", base: s.base, tokens: tokens) { () throws -> SentenceClassifier in
            // Labelled sentences and review fragments shaped like continuations (labels from the sentiment lexicon;
            // fragments without sentiment words are left out).
            let wantPositive = target == "positive"
            func label(_ text: String) -> Bool? {
                let g = ReviewLexicon.sentiment(text)
                return g == 0 ? nil : (g > 0) == wantPositive
            }
            let sentences = world.sentimentSentences(count: config.classifierPairs)
            let fragments = world.balancedFragments(count: config.classifierPairs / 2, seed: 1, label: label)
            let held = world.balancedFragments(count: 200, seed: 2, label: label)
            let calibration = held.positive.map { ($0, true) } + held.negative.map { ($0, false) }
            return try SentenceClassifier.train(base: s.base, tokens: tokens,
                                                good: sentences.filter { $0.label == wantPositive }.map(\.text) + fragments.positive,
                                                bad: sentences.filter { $0.label != wantPositive }.map(\.text) + fragments.negative,
                                                calibration: calibration, epochs: config.classifierEpochs, seed: config.seed &+ 3)
        }

        let prompts = try trainingPrompts(kinds: ["neutral", "positive", "negative"], tokens: tokens)
        let dapt = try modelPhase("DAPT on the \(target) part of the corpus", file: "dapt") { () throws -> GPT in
            let model = try trainable(s.base)
            let kept = s.documents.filter { target == "positive" ? ReviewLexicon.sentiment($0) > 0 : ReviewLexicon.sentiment($0) < 0 }
            try ExperimentModels.fineTune(model, documents: kept, tokens: tokens, steps: config.capped(config.daptSteps),
                                          learningRate: config.fineTuneLearningRate, batchSize: config.pretrainBatchSize,
                                          unlikelihoodAlpha: nil, seed: config.seed &+ 4)
            return model
        }
        // The classifier reads the whole review, prompt and continuation: a continuation of a prompt of the avoided
        // sentiment must outweigh it (the paper's hardest column). Scoring the continuation alone saturates here
        // (base 50 %, DAPT, PPO and Quark ≈ 100 % on every kind of prompt), since a continuation is a fresh sentence.
        let judge = WholeReview(classifier: classifier)
        let ppo = try trainPPO(base: s.base, reward: judge, prompts: prompts, tokens: tokens)
        let quark = try trainQuark(phase: "Quark", name: "quark", base: s.base, reward: .text(judge), prompts: prompts, tokens: tokens)

        let kinds = ["negative", "neutral", "positive"]
        let evaluation = evaluationPrompts(kinds: kinds)
        let options = samplingOptions(tokens, topP: config.evaluationTopP)
        let methods: [(String, EvaluatedModel)] = [("base", .plain(s.base)), ("DAPT", .plain(dapt)), ("PPO", .plain(ppo)),
                                                    ("Quark", .quark(quark, quantile: 0))]
        var table = ResultTable(columns: ["method"] + kinds.map { "% \(target) · \($0) prompts" } + ["fluency (ppl)", "dist-2", "dist-3"])
        var summary: [String: [String: Double]] = [:]
        try beginEvaluation()
        try phase("evaluate (\(evaluation.count) prompts × \(config.samplesPerPrompt) samples)") {
            for (index, (name, model)) in methods.enumerated() {
                let samples = try ExperimentEvaluation.sample(model, method: name, prompts: evaluation, tokens: tokens,
                                                              count: config.samplesPerPrompt, options: options, seed: config.seed &+ 100)
                var share: [String: [Double]] = [:]
                for (i, texts) in samples.texts.enumerated() {
                    let p = try classifier.probabilityGood(texts.map { samples.prompts[i] + $0 })
                    share[samples.kinds[i], default: []].append(100 * Double(p.filter { $0 > 0.5 }.count) / Double(max(p.count, 1)))
                    for (j, text) in texts.enumerated() {
                        try directory.appendSample(method: name, prompt: samples.prompts[i], completion: text,
                                             scores: ["p_\(target)": p[j], "gold_sentiment": ReviewLexicon.sentiment(text)])
                    }
                }
                let fluency = try ExperimentEvaluation.fluency(samples, evaluator: s.evaluator, tokens: tokens)
                var row: [String: Double] = ["fluency": ExperimentEvaluation.mean(fluency),
                                             "dist2": ExperimentEvaluation.distinct(samples, n: 2), "dist3": ExperimentEvaluation.distinct(samples, n: 3)]
                var cells: [ResultCell] = [.text(name)]
                for (k, kind) in kinds.enumerated() {
                    let values = share[kind] ?? []
                    row["percent_\(target)_\(kind)"] = ExperimentEvaluation.mean(values)
                    let ci = ExperimentEvaluation.interval(values, resamples: config.bootstrapResamples, seed: config.seed &+ UInt64(10 * index + k))
                    cells.append(.interval(ci, decimals: 1))
                }
                // The hardest column: the prompts of the avoided sentiment, steered toward the target.
                row["percent_target_opposite"] = row["percent_\(target)_\(config.avoid.rawValue)"]
                cells += [.number(row["fluency"]!, decimals: 2), .number(row["dist2"]!), .number(row["dist3"]!)]
                summary[name] = row
                try directory.appendMetrics(step: 0, phase: "evaluation", row.reduce(into: [String: Double]()) { $0["eval/\(name)/\($1.key)"] = $1.value })
                try table.addRow(cells)
            }
        }
        measurements = summary
        claims = QuarkClaims.sentiment(summary)
        var report = """
        # Quark: unlearning \(config.avoid.rawValue) sentiment (review world)

        Steering away from \(config.avoid.rawValue) reviews: the reward is P(\(target)) of the whole review (prompt + continuation) from a \
        sentiment classifier trained with the reward-model trainer (held-out accuracy \(String(format: "%.3f", classifier.accuracy))). \
        Cells give the percentage of the \(config.samplesPerPrompt) \
        continuations per prompt classified \(target), averaged over \(config.evaluationPromptsPerKind) prompts of each kind (95 % bootstrap \
        interval over prompts); nucleus p = \(config.evaluationTopP), \(config.maximumNewTokens) tokens. Fluency = conditional perplexity under \
        a \(config.evaluatorLayers)-layer × \(config.evaluatorWidth) evaluator.

        \(table.markdown())

        """
        report += "\nPaper shape (Quark, arXiv 2205.13636, Table 2; the hardest column: \(config.avoid.rawValue) prompts steered \(target)):\n\n"
            + claims.map { "- " + $0.line }.joined(separator: "\n") + "\n"
        return report
    }
}

/// A classifier that judges a continuation together with its prompt, as one review.
struct WholeReview: RewardFunction {
    let classifier: SentenceClassifier

    func scores(prompts: [String], completions: [String]) throws -> [Float] {
        try classifier.probabilityGood(zip(prompts, completions).map { $0 + $1 }).map(Float.init)
    }
}
