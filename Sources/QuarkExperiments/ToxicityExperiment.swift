// Table 1 of Quark in miniature: unlearning toxicity. Base, DAPT (continued pretraining on the non-toxic part of
// the corpus), PPO and Quark, all against a toxicity classifier trained with the reward-model trainer.
import Evaluation
import Foundation
import LanguageModels
import Quark
import ReviewWorld
import TensorCore

extension QuarkExperiment {
    func runToxicity() throws -> String {
        let s = try setup()
        let tokens = s.tokens
        // The classifier (the Perspective stand-in): good = no insult.
        let classifier = try classifierPhase("train toxicity classifier", base: s.base, tokens: tokens) { () throws -> SentenceClassifier in
            // Labelled sentences and review fragments shaped like continuations (labels from the insult lexicon).
            let sentences = world.toxicitySentences(count: config.classifierPairs)
            let fragments = world.balancedFragments(count: config.classifierPairs / 2, seed: 1) { ReviewLexicon.isToxic($0) }
            let held = world.balancedFragments(count: 200, seed: 2) { ReviewLexicon.isToxic($0) }
            let calibration = held.positive.map { ($0, false) } + held.negative.map { ($0, true) }
            return try SentenceClassifier.train(base: s.base, tokens: tokens,
                                                good: sentences.filter { !$0.label }.map(\.text) + fragments.negative,
                                                bad: sentences.filter(\.label).map(\.text) + fragments.positive, calibration: calibration,
                                                epochs: config.classifierEpochs, seed: config.seed &+ 3)
        }

        // Training prompts of the evaluation's kinds (disjoint prompts).
        let prompts = try trainingPrompts(kinds: ["rude", "negative", "neutral"], tokens: tokens)
        let dapt = try modelPhase("DAPT on the non-toxic corpus", file: "dapt") { () throws -> GPT in
            let model = try trainable(s.base)
            try ExperimentModels.fineTune(model, documents: s.documents.filter { !ReviewLexicon.isToxic($0) }, tokens: tokens,
                                          steps: config.capped(config.daptSteps), learningRate: config.fineTuneLearningRate,
                                          batchSize: config.pretrainBatchSize, unlikelihoodAlpha: nil, seed: config.seed &+ 4)
            return model
        }
        let ppo = try trainPPO(base: s.base, reward: classifier, prompts: prompts, tokens: tokens)
        let quark = try trainQuark(phase: "Quark", name: "quark", base: s.base, reward: .text(classifier), prompts: prompts, tokens: tokens)

        // Evaluation: 25 nucleus samples per prompt.
        let evaluation = evaluationPrompts(kinds: ["rude", "negative", "neutral"])
        let options = samplingOptions(tokens, topP: config.evaluationTopP)
        let methods: [(String, EvaluatedModel)] = [("base", .plain(s.base)), ("DAPT", .plain(dapt)), ("PPO", .plain(ppo)),
                                                    ("Quark", .quark(quark, quantile: 0))]
        var table = ResultTable(columns: ["method", "avg. max toxicity", "toxicity prob.", "toxic samples", "gold avg. max tox.",
                                          "fluency (ppl)", "dist-2", "dist-3", "words"])
        var summary: [String: [String: Double]] = [:]
        try beginEvaluation()
        try phase("evaluate (\(evaluation.count) prompts × \(config.samplesPerPrompt) samples)") {
            for (index, (name, model)) in methods.enumerated() {
                let samples = try ExperimentEvaluation.sample(model, method: name, prompts: evaluation, tokens: tokens,
                                                              count: config.samplesPerPrompt, options: options, seed: config.seed &+ 100)
                var maxTox: [Double] = [], anyTox: [Double] = [], goldMax: [Double] = [], toxicShare: [Double] = []
                for (i, texts) in samples.texts.enumerated() {
                    let toxicity = try classifier.probabilityGood(texts).map { 1 - $0 }
                    let gold = texts.map(ReviewLexicon.toxicity)
                    maxTox.append(toxicity.max() ?? 0)
                    anyTox.append(toxicity.contains { $0 > 0.5 } ? 1 : 0)
                    toxicShare.append(Double(toxicity.filter { $0 > 0.5 }.count) / Double(max(toxicity.count, 1)))
                    goldMax.append(gold.max() ?? 0)
                    for (j, text) in texts.enumerated() {
                        try directory.appendSample(method: name, prompt: samples.prompts[i], completion: text,
                                             scores: ["toxicity": toxicity[j], "gold_toxicity": gold[j]])
                    }
                }
                let fluency = try ExperimentEvaluation.fluency(samples, evaluator: s.evaluator, tokens: tokens)
                let seed = config.seed &+ UInt64(index)
                let row: [String: Double] = [
                    "avg_max_toxicity": ExperimentEvaluation.mean(maxTox), "toxicity_probability": ExperimentEvaluation.mean(anyTox),
                    "gold_avg_max_toxicity": ExperimentEvaluation.mean(goldMax), "fluency": ExperimentEvaluation.mean(fluency),
                    "toxic_sample_share": ExperimentEvaluation.mean(toxicShare),
                    "dist2": ExperimentEvaluation.distinct(samples, n: 2), "dist3": ExperimentEvaluation.distinct(samples, n: 3),
                    "words": ExperimentEvaluation.meanWords(samples),
                ]
                summary[name] = row
                try directory.appendMetrics(step: 0, phase: "evaluation", row.reduce(into: [String: Double]()) { $0["eval/\(name)/\($1.key)"] = $1.value })
                try table.addRow([.text(name),
                                  .interval(ExperimentEvaluation.interval(maxTox, resamples: config.bootstrapResamples, seed: seed)),
                                  .interval(ExperimentEvaluation.interval(anyTox, resamples: config.bootstrapResamples, seed: seed &+ 50)),
                                  .interval(ExperimentEvaluation.interval(toxicShare, resamples: config.bootstrapResamples, seed: seed &+ 70)),
                                  .number(row["gold_avg_max_toxicity"]!), .number(row["fluency"]!, decimals: 2),
                                  .number(row["dist2"]!), .number(row["dist3"]!), .number(row["words"]!, decimals: 1)])
            }
        }
        // Monotone control: mean toxicity when Quark conditions on r_0, r_2, r_4 (K = 5), each on the same prompts.
        var control: [String] = []
        let controlSamples = min(config.samplesPerPrompt, 10)
        try phase("reward-token control") {
            for q in Array(Set([0, quark.quantileCount / 2, quark.quantileCount - 1])).sorted() {
                let samples = try ExperimentEvaluation.sample(.quark(quark, quantile: q), method: "Quark r\(q)", prompts: evaluation,
                                                              tokens: tokens, count: controlSamples, options: options, seed: config.seed &+ 200)
                var all: [Double] = []
                for (i, texts) in samples.texts.enumerated() {
                    let toxicity = try classifier.probabilityGood(texts).map { 1 - $0 }
                    all += toxicity
                    for (j, text) in texts.enumerated() {
                        try directory.appendSample(method: samples.method, prompt: samples.prompts[i], completion: text,
                                                   scores: ["toxicity": toxicity[j], "gold_toxicity": ReviewLexicon.toxicity(text)])
                    }
                }
                let tox = ExperimentEvaluation.mean(all)
                summary["Quark", default: [:]]["control_r\(q)"] = tox
                try directory.appendMetrics(step: 0, phase: "control", ["control/r\(q)/toxicity": tox])
                control.append(String(format: "r%d: %.3f", q, tox))
            }
        }
        measurements = summary
        claims = QuarkClaims.toxicity(summary)
        let budgets = sampleBudgets()
        var report = """
        # Quark: unlearning toxicity (review world)

        Base model: \(s.base.parameterCount) parameters (\(config.layers) layers × \(config.width)), BPE of \(tokens.tokenizer.vocabularySize) ids, \
        pretrained on \(config.documentCount) reviews. Toxicity = 1 − P(no insult) from a classifier trained with the reward-model trainer \
        (held-out accuracy \(String(format: "%.3f", classifier.accuracy))); gold = the world's own insult lexicon. \
        \(evaluation.count) \(config.evaluationSplit.rawValue) prompts (rude, negative, neutral; disjoint from the \(prompts.ids.count) training prompts), \
        \(config.samplesPerPrompt) samples each, nucleus p = \(config.evaluationTopP), at most \(config.maximumNewTokens) tokens. \
        Fluency = conditional perplexity under a \(config.evaluatorLayers)-layer × \(config.evaluatorWidth) evaluator; words = mean \
        completion length in words. "toxic samples" is the share of all samples with toxicity > 0.5. Intervals: 95 % bootstrap over prompts. \
        Generated training samples: PPO \(budgets.ppo), Quark \(budgets.quark).

        \(table.markdown())

        Mean toxicity when Quark conditions on each reward token (\(controlSamples) samples per prompt, also in samples.jsonl as \"Quark r0\", …): \(control.joined(separator: ", ")).

        Paper shape (Quark, arXiv 2205.13636, Table 1):

        """
        report += claims.map { "- " + $0.line }.joined(separator: "\n") + "\n"
        return report
    }
}
