// The models every Quark experiment needs: a BPE tokenizer and base model pretrained on the review world (the
// Pretraining target), a larger evaluator LM for fluency, further LM fine-tuning (DAPT with MLE, unlikelihood),
// and sentence classifiers trained with the reward-model trainer and calibrated into probabilities.
import Foundation
import LanguageModels
import NeuralNetworks
import Pretraining
import Quark
import RewardModeling
import TensorCore
import Tokenizers
import TrainingCore

/// A tokenizer with the review world's token conventions.
public struct ExperimentTokens {
    public let tokenizer: any Tokenizer
    /// `<|endoftext|>`: document separator, prompt start and stop token.
    public let endOfText: Int32
    public let pad: Int32

    /// `[EOT] + encode(text)`: prompts start where a document would.
    public func prompt(_ text: String) throws -> [Int32] { [endOfText] + (try tokenizer.encode(text)) }

    /// The text of generated ids (stop tokens and specials dropped).
    public func text(_ ids: [Int32]) throws -> String {
        try tokenizer.decode(ids.filter { $0 != endOfText && $0 != pad }, skipSpecialTokens: true)
    }
}

enum ExperimentModels {
    /// Pretrains a GPT on `documents` with the Pretraining target (in memory). With `tokenizerDirectory` nil, a BPE of
    /// `config.bpeVocabulary` tokens is trained on the documents.
    static func pretrain(documents: [String], layers: Int, width: Int, steps: Int, config: QuarkExperimentConfig,
                         tokenizerDirectory: URL?, seed: UInt64, log: (String) -> Void) throws -> (GPT, any Tokenizer) {
        var p = PretrainingConfig()
        p.tokenizer = tokenizerDirectory?.path ?? "bpe:\(config.bpeVocabulary)"
        p.layerCount = layers
        p.headCount = config.heads
        p.embeddingSize = width
        p.contextLength = config.contextLength
        p.blockLength = config.contextLength
        p.steps = steps
        p.batchSize = config.pretrainBatchSize
        p.learningRate = config.pretrainLearningRate
        p.warmupSteps = min(50, steps)
        p.validationFraction = 0.05
        p.validationInterval = steps
        p.validationBlocks = 16
        p.sampleInterval = 0
        p.sampleLength = config.contextLength - 1
        p.checkpointInterval = 0
        p.seed = seed
        let trainer = try PretrainingTrainer(config: p, documents: documents, outputDirectory: nil)
        try trainer.train { event in
            if case .evaluation(let step, let m) = event {
                log(String(format: "  pretrain %dL×%d step %d: validation loss %.3f", layers, width, step, m["loss/validation"] ?? .nan))
            }
            return .continue
        }
        return (trainer.model, trainer.tokenizer)
    }

    /// Continues training `model` (in place) on `documents`: MLE, or MLE + α·token-level unlikelihood.
    ///
    /// - Returns: the mean loss of the last 10 steps.
    @discardableResult
    static func fineTune(_ model: GPT, documents: [String], tokens: ExperimentTokens, steps: Int, learningRate: Float,
                         batchSize: Int, unlikelihoodAlpha: Float?, seed: UInt64) throws -> Double {
        let blocks = try TokenBlocks(documents: documents, tokenizer: tokens.tokenizer, endOfText: tokens.endOfText,
                                     blockLength: model.config.contextLength, validationFraction: 0)
        let optimizer = try AdamW(parameters: model.namedParameters(), learningRate: learningRate, betas: (0.9, 0.95), weightDecay: 0)
        let schedule = LearningRateSchedule.warmupLinear(peak: learningRate, warmupSteps: min(10, steps), totalSteps: steps, minimumRatio: 0.1)
        var rng = SeededGenerator(seed: seed)
        var recent: [Double] = []
        for step in 0..<steps {
            optimizer.learningRate = schedule(step)
            let batch = blocks.trainingBatch(batchSize: batchSize, using: &rng)
            let loss: Variable
            if let alpha = unlikelihoodAlpha {
                loss = try Unlikelihood.loss(model: model, batch: batch, alpha: alpha, ignoredCandidates: [tokens.endOfText]).loss
            } else {
                loss = try model.languageModelLoss(batch)
            }
            guard loss.value.item.isFinite else { throw TrainingError.nonFinite(quantity: "fine-tuning loss", step: step + 1) }
            try loss.backward()
            _ = clipGradientNorm(model.parameters(), maxNorm: 1)
            optimizer.step()
            optimizer.zeroGradients()
            recent.append(Double(loss.value.item))
            if recent.count > 10 { recent.removeFirst() }
        }
        return recent.reduce(0, +) / Double(max(recent.count, 1))
    }
}

/// A sentence classifier: a reward model trained with the library's Bradley–Terry trainer on (good, bad) sentence
/// pairs, then calibrated (Platt scaling on labelled sentences) so that `probabilityGood` is a probability.
///
/// As a `RewardFunction` it scores completions alone (as Perspective scores the generation) and returns
/// `probabilityGood` — for toxicity, 1 − P(toxic), Quark's reward.
public final class SentenceClassifier: RewardFunction {
    public let model: RewardModel
    public let tokens: ExperimentTokens
    /// Platt scaling: P(good) = σ(gain·s + bias) for the raw reward-model score s.
    public internal(set) var gain: Double = 1, bias: Double = 0
    /// Held-out accuracy of the calibrated classifier.
    public internal(set) var accuracy: Double = .nan

    init(model: RewardModel, tokens: ExperimentTokens) {
        self.model = model
        self.tokens = tokens
    }

    /// Trains on `good`/`bad` sentence pairs (from the base model's trunk) and calibrates on `calibration`.
    static func train(base: GPT, tokens: ExperimentTokens, good: [String], bad: [String], calibration: [(String, Bool)],
                      epochs: Int, seed: UInt64) throws -> SentenceClassifier {
        var rng = SeededGenerator(seed: seed)
        let model = RewardModel(trunk: base.copy(), using: &rng)
        let groups = try zip(good, bad).map { g, b in
            ComparisonGroup(promptTokens: [tokens.endOfText], completionTokens: [try tokens.tokenizer.encode(g), try tokens.tokenizer.encode(b)])
        }
        var config = RewardModelConfig()
        config.learningRate = 1e-3
        config.epochs = epochs
        config.batchSize = 32
        config.normalization = .none
        config.seed = seed
        let trainer = try RewardModelTrainer(model: model, config: config, padToken: tokens.pad, training: groups)
        _ = try trainer.train()
        let classifier = SentenceClassifier(model: model, tokens: tokens)
        try classifier.calibrate(calibration)
        return classifier
    }

    /// Raw scores of texts (each as `[EOT] + text`).
    public func rawScores(_ texts: [String]) throws -> [Double] {
        let context = model.trunk.config.contextLength
        let rows = try texts.map { Array((try tokens.prompt($0)).prefix(context)) }
        return try withoutGradients {
            var out: [Double] = []
            for start in stride(from: 0, to: rows.count, by: 128) {
                let chunk = Array(rows[start..<min(start + 128, rows.count)])
                out += try model.rewards(TokenBatch(rightPadding: chunk, padToken: tokens.pad)).value.scalars.map(Double.init)
            }
            return out
        }
    }

    /// P(good) of each text.
    public func probabilityGood(_ texts: [String]) throws -> [Double] {
        try rawScores(texts).map { 1 / (1 + exp(-(gain * $0 + bias))) }
    }

    public func scores(prompts: [String], completions: [String]) throws -> [Float] {
        try probabilityGood(completions).map(Float.init)
    }

    /// Fits gain and bias by ridge-penalised logistic regression (Newton's method from zero, on standardised
    /// scores) on labelled texts (true = good).
    func calibrate(_ labelled: [(String, Bool)]) throws {
        let s = try rawScores(labelled.map(\.0)), y = labelled.map { $0.1 ? 1.0 : 0.0 }
        let mu = s.reduce(0, +) / Double(max(s.count, 1))
        let sd = max((s.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(max(s.count, 1))).squareRoot(), 1e-6)
        let z = s.map { ($0 - mu) / sd }
        // Starting at a = b = 0 (p = ½ everywhere) keeps Newton's steps well-conditioned; a ridge penalty
        // ½·λ·a² (λ = 1) keeps the gain finite when the scores separate the labels.
        var a = 0.0, b = 0.0
        for _ in 0..<50 {
            var ga = a, gb = 0.0, haa = 1.0, hab = 0.0, hbb = 1e-3
            for i in z.indices {
                let p = 1 / (1 + exp(-(a * z[i] + b)))
                ga += (p - y[i]) * z[i]; gb += p - y[i]
                let w = p * (1 - p)
                haa += w * z[i] * z[i]; hab += w * z[i]; hbb += w
            }
            let det = haa * hbb - hab * hab
            guard det > 1e-12 else { break }
            a -= (hbb * ga - hab * gb) / det
            b -= (haa * gb - hab * ga) / det
        }
        gain = a / sd
        bias = b - a * mu / sd
        let p = s.map { 1 / (1 + exp(-(gain * $0 + bias))) }
        accuracy = Double(zip(p, y).filter { ($0 > 0.5) == ($1 > 0.5) }.count) / Double(max(y.count, 1))
    }
}
