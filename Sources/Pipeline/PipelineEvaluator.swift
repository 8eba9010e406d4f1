// Evaluation of one system on the evaluation prompts: samples, judges (training and held-out annotators), the
// measured KL from the SFT model, the reward-model score and the held-out language-modelling loss.
import Foundation
import BestOfN
import Evaluation
import LanguageModels
import RewardModeling
import Tasks
import Runs
import TensorCore
import Tokenizers
import TrainingCore

struct PipelineEvaluator {
    let config: PipelineConfig
    let data: PipelineData
    let tokenizer: any Tokenizer
    let sft: GPT
    let reward: RewardModelFunction
    let heldOutText: [TokenBatch]
    let padToken: Int32
    let stopTokens: [Int32]
    let run: RunDirectory
    /// Skills of the pretraining corpus the reward does not ask for (empty for the user's own data).
    let probes: [CorpusProbe]

    var prompts: [String] { data.evaluation.map(\.prompt) }

    var options: GenerationOptions {
        GenerationOptions(maximumNewTokens: config.maximumNewTokens, temperature: 1, stopTokens: stopTokens, padToken: padToken)
    }

    /// Samples one completion per evaluation prompt (temperature 1) and measures each sample's sequence
    /// log-ratio log π(y|x) − log π_SFT(y|x), whose mean over prompts estimates KL(π ‖ π_SFT).
    func sample(_ model: GPT, seed: UInt64) throws -> (completions: [String], logRatios: [Double]) {
        var rng = SeededGenerator(seed: seed)
        var completions: [String] = [], ratios: [Double] = []
        for start in stride(from: 0, to: prompts.count, by: 64) {
            let chunk = Array(prompts[start..<Swift.min(start + 64, prompts.count)])
            let batch = TokenBatch(leftPadding: try chunk.map { try tokenizer.encode($0) }, padToken: padToken)
            let generated = try withoutGradients { try model.generate(prompts: batch, options: options, using: &rng) }
            let reference = try withoutGradients {
                try sft.scoreResponses(prompts: batch, responses: generated.responses, temperature: 1).logProbabilities.value
            }
            let mask = generated.responses.mask
            let width = generated.responses.length
            let sampled = generated.logProbabilities.scalars, referenceValues = reference.scalars, m = mask.scalars
            for row in 0..<chunk.count {
                var ratio = 0.0
                for t in 0..<width where m[row * width + t] != 0 {
                    ratio += Double(sampled[row * width + t]) - Double(referenceValues[row * width + t])
                }
                ratios.append(ratio)
                completions.append(try tokenizer.decode(generated.responses.realTokens(row: row), skipSpecialTokens: true))
            }
        }
        return (completions, ratios)
    }

    /// Multiple-choice accuracy of `model` on the corpus probes, each choice scored by its mean log-likelihood per
    /// token after the context (the length-normalised score, lm-evaluation-harness's `acc_norm`: with byte tokens,
    /// per byte), so a longer choice is not penalised for its length; nil without probes.
    func probeAccuracy(_ model: GPT) throws -> Double? {
        guard !probes.isEmpty else { return nil }
        var prompts: [[Int32]] = [], completions: [[Int32]] = []
        for probe in probes {
            let context = try tokenizer.encode(probe.context)
            for choice in probe.choices { prompts.append(context); completions.append(try tokenizer.encode(choice)) }
        }
        let sums = try sequenceLogProbabilityValues(model, prompts: prompts, completions: completions, padToken: padToken)
        var offset = 0, correct = 0
        for probe in probes {
            let scores = (offset..<(offset + probe.choices.count)).map { Double(sums[$0]) / Double(completions[$0].count) }
            if scores.firstIndex(of: scores.max()!) == probe.answer { correct += 1 }
            offset += probe.choices.count
        }
        return Double(correct) / Double(probes.count)
    }

    /// Token-mean NLL of `model` on held-out pretraining text.
    func heldOutLoss(_ model: GPT) throws -> Double? {
        guard !heldOutText.isEmpty else { return nil }
        var total = 0.0
        for batch in heldOutText { total += Double(try withoutGradients { try model.languageModelLoss(batch) }.value.item) }
        return total / Double(heldOutText.count)
    }

    func interval(_ values: [Double], seed: UInt64) throws -> ConfidenceInterval {
        var rng = SeededGenerator(seed: seed)
        return try bootstrapConfidenceInterval(values: values, resamples: config.bootstrapResamples, using: &rng)
    }

    /// Judges completions by both annotator groups and records them in samples.jsonl.
    func judged(_ name: String, _ completions: [String], klFromSFT: ConfidenceInterval?, klBound: Double?,
                heldOutLoss: Double?, probeAccuracy: Double?) throws -> PipelineRow {
        let scores = try reward.scores(prompts: prompts, completions: completions).map(Double.init)
        var row = PipelineRow(system: name, klFromSFT: klFromSFT, klBound: klBound,
                              rewardModelScore: scores.reduce(0, +) / Double(Swift.max(scores.count, 1)),
                              heldOutLanguageModelLoss: heldOutLoss, probeAccuracy: probeAccuracy)
        var gold: [Double] = []
        if let training = data.trainingJudge, let heldOut = data.heldOutJudge {
            var trainingBootstrap = SeededGenerator(seed: config.seed &+ 21), heldOutBootstrap = SeededGenerator(seed: config.seed &+ 22)
            let t = try scoreCompletions(prompts: prompts, completions: completions, judge: training,
                                         resamples: config.bootstrapResamples, using: &trainingBootstrap)
            let h = try scoreCompletions(prompts: prompts, completions: completions, judge: heldOut,
                                         resamples: config.bootstrapResamples, using: &heldOutBootstrap)
            (row.winRateTraining, row.winRateHeldOut, row.gold) = (t.winRate, h.winRate, t.gold)
            (row.goldScores, row.winCreditsTraining, row.winCreditsHeldOut) = (t.goldScores, t.winCredits, h.winCredits)
            gold = t.goldScores
        }
        for (i, (prompt, completion)) in zip(prompts, completions).enumerated() {
            var values = ["reward_model": scores[i]]
            if i < gold.count { values["gold"] = gold[i] }
            try run.appendSample(method: name, prompt: prompt, completion: completion, scores: values)
        }
        return row
    }

    /// A policy's row: samples, measured KL from SFT, held-out loss.
    func evaluate(_ name: String, _ model: GPT) throws -> PipelineRow {
        let (completions, ratios) = try sample(model, seed: config.seed &+ 31)
        return try judged(name, completions, klFromSFT: try interval(ratios, seed: config.seed &+ 23), klBound: nil,
                          heldOutLoss: try heldOutLoss(model), probeAccuracy: try probeAccuracy(model))
    }

    /// Best-of-n from the SFT model with the reward model, for each n of the configuration.
    func evaluateBestOfN() throws -> [PipelineRow] {
        var c = BestOfNConfig()
        (c.ns, c.seed, c.maximumNewTokens, c.bootstrapResamples) = (config.bestOfN, config.seed &+ 41, config.maximumNewTokens, config.bootstrapResamples)
        let sampler = try BestOfNSampler(policy: TextPolicy(model: sft, tokenizer: tokenizer, padToken: padToken, stopTokens: stopTokens),
                                         reward: reward, config: c)
        let samples = try sampler.sample(prompts: prompts)
        let loss = try heldOutLoss(sft), accuracy = try probeAccuracy(sft)
        return try config.bestOfN.map { n in
            try judged("best-of-\(n)", samples.best(n: n), klFromSFT: nil, klBound: bestOfNKLBound(n), heldOutLoss: loss,
                       probeAccuracy: accuracy)
        }
    }
}
