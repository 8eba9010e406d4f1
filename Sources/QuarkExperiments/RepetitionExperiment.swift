// Table 3 of Quark in miniature: unlearning degenerate repetition. MLE (the base model, trained on reviews that
// often repeat a sentence), token-level unlikelihood training, Quark with the diversity reward, and Quark started
// from the unlikelihood model — judged by perplexity and next-token accuracy on held-out reviews and by rep-2,
// rep-3 and diversity of greedy continuations.
import Evaluation
import Foundation
import LanguageModels
import Quark
import ReviewWorld
import TensorCore

extension QuarkExperiment {
    func runRepetition() throws -> String {
        let s = try setup()
        let tokens = s.tokens
        let length = config.repetitionNewTokens
        let unlikelihood = try modelPhase("unlikelihood training", file: "unlikelihood") { () throws -> GPT in
            let model = try trainable(s.base)
            try ExperimentModels.fineTune(model, documents: s.documents, tokens: tokens, steps: config.capped(config.unlikelihoodSteps),
                                          learningRate: config.fineTuneLearningRate, batchSize: config.pretrainBatchSize,
                                          unlikelihoodAlpha: config.unlikelihoodAlpha, seed: config.seed &+ 4)
            return model
        }
        // The reward: diversity Π_{n=2..4}(1 − rep-n) of the response tokens: SimCTG's diversity metric (Su et al.
        // 2022, arXiv 2202.06417), this library's choice of reward (see the QuarkExperiments article).
        let reward = QuarkReward.tokens { _, responses in responses.map { Float(diversity($0)) } }
        let prompts = try trainingPrompts(kinds: ["neutral", "positive", "negative"], tokens: tokens)
        let quark = try trainQuark(phase: "Quark", name: "quark", base: s.base, reward: reward, prompts: prompts, tokens: tokens,
                                   responseLength: length, steps: config.repetitionQuarkSteps, stop: false)
        let quarkUL = try trainQuark(phase: "Quark + unlikelihood", name: "quark_ul", base: unlikelihood, reward: reward, prompts: prompts,
                                     tokens: tokens, responseLength: length, steps: config.repetitionQuarkSteps, stop: false)

        let evaluation = evaluationPrompts(kinds: ["neutral", "positive", "negative"])
        let greedy = samplingOptions(tokens, topP: 1, greedy: true, length: length, stop: false)
        let heldOut = try world.heldOutDocuments(count: 200).map { Array((try tokens.prompt($0)).prefix(config.contextLength - 1)) }.filter { $0.count >= 2 }
        let methods: [(String, EvaluatedModel)] = [("MLE", .plain(s.base)), ("unlikelihood", .plain(unlikelihood)),
                                                    ("Quark", .quark(quark, quantile: 0)), ("Quark + UL", .quark(quarkUL, quantile: 0))]
        var table = ResultTable(columns: ["method", "perplexity", "next-token acc.", "rep-2", "rep-3", "diversity"])
        var summary: [String: [String: Double]] = [:]
        try beginEvaluation()
        try phase("evaluate (\(evaluation.count) greedy continuations of \(length) tokens, \(heldOut.count) held-out reviews)") {
            for (index, (name, model)) in methods.enumerated() {
                let samples = try ExperimentEvaluation.sample(model, method: name, prompts: evaluation, tokens: tokens, count: 1,
                                                              options: greedy, seed: config.seed &+ 100)
                var rep2: [Double] = [], rep3: [Double] = [], div: [Double] = []
                for (i, ids) in samples.ids.enumerated() {
                    let continuation = ids[0]
                    let r2 = try repetitionRate(continuation, n: 2), r3 = try repetitionRate(continuation, n: 3), d = diversity(continuation)
                    rep2.append(r2); rep3.append(r3); div.append(d)
                    try directory.appendSample(method: name, prompt: samples.prompts[i], completion: samples.texts[i][0],
                                         scores: ["rep2": r2, "rep3": r3, "diversity": d])
                }
                let lm = try model.tokenStatistics(heldOut, pad: tokens.pad)
                let row: [String: Double] = [
                    "perplexity": exp(-ExperimentEvaluation.mean(lm.logProbabilities)),
                    "next_token_accuracy": Double(lm.correct) / Double(max(lm.count, 1)),
                    "rep2": ExperimentEvaluation.mean(rep2), "rep3": ExperimentEvaluation.mean(rep3), "diversity": ExperimentEvaluation.mean(div),
                ]
                summary[name] = row
                try directory.appendMetrics(step: 0, phase: "evaluation", row.reduce(into: [String: Double]()) { $0["eval/\(name)/\($1.key)"] = $1.value })
                let seed = config.seed &+ UInt64(10 * index)
                try table.addRow([.text(name), .number(row["perplexity"]!, decimals: 2), .number(row["next_token_accuracy"]!),
                                  .interval(ExperimentEvaluation.interval(rep2, resamples: config.bootstrapResamples, seed: seed)),
                                  .interval(ExperimentEvaluation.interval(rep3, resamples: config.bootstrapResamples, seed: seed &+ 1)),
                                  .interval(ExperimentEvaluation.interval(div, resamples: config.bootstrapResamples, seed: seed &+ 2))])
            }
        }
        measurements = summary
        claims = QuarkClaims.repetition(summary)
        var report = """
        # Quark: unlearning degenerate repetition (review world)

        MLE = the base model (\(s.base.parameterCount) parameters) pretrained on reviews of which \(Int(100 * ReviewWorldConfig().repetitionRate)) % \
        repeat a sentence; unlikelihood = MLE fine-tuned \(config.capped(config.unlikelihoodSteps)) steps with token-level unlikelihood \
        (α = \(config.unlikelihoodAlpha)); Quark's reward is the diversity Π(1 − rep-n), n = 2…4, of its \(length)-token responses; \
        Quark + UL starts Quark from the unlikelihood model. rep-n and diversity are over the token ids of greedy \(length)-token \
        continuations of \(evaluation.count) prompts (95 % bootstrap intervals over prompts); perplexity and next-token accuracy on \
        \(heldOut.count) held-out reviews (Quark conditioned on r_0, over the original vocabulary).

        \(table.markdown())

        """
        report += "\nPaper shape (Quark, arXiv 2205.13636, Table 3):\n\n" + claims.map { "- " + $0.line }.joined(separator: "\n") + "\n"
        return report
    }
}
