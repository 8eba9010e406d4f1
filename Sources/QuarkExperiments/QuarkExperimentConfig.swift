// The settings of the three Quark experiments (toxicity, sentiment, repetition) on the review world, scaled so
// that each runs in at most ~10 minutes on two cores.
import Foundation
import LanguageModels
import Runs
import TrainingCore

/// A sentiment of the sentiment experiment (Quark, arXiv 2205.13636, §4.2): the one to steer away from, or its
/// opposite, the target.
public enum ReviewSentiment: String, ConfigurationChoice {
    /// Negative reviews.
    case negative
    /// Positive reviews.
    case positive

    /// The other sentiment.
    public var opposite: ReviewSentiment { self == .negative ? .positive : .negative }
}

/// Which prompts a toxicity or sentiment table is computed on.
public enum QuarkEvaluationSplit: String, ConfigurationChoice {
    /// The test prompts (the first of each prompt stream): the reported tables.
    case test
    /// The validation prompts (after the test prompts, disjoint from them and from the training prompts): for
    /// choosing hyper-parameters, never the test prompts.
    case validation
}

/// Which Quark table to reproduce.
public enum QuarkExperimentTask: String, Codable, CaseIterable, Sendable {
    /// Unlearning toxicity: base, DAPT, PPO, Quark.
    case toxicity
    /// Unlearning a sentiment: base, DAPT, PPO, Quark (steering away from `avoid`).
    case sentiment
    /// Unlearning degenerate repetition: MLE, unlikelihood, Quark, Quark + unlikelihood.
    case repetition
}

/// Every knob of a Quark experiment. Each field decodes with its default when missing.
public struct QuarkExperimentConfig: Codable, Equatable, Sendable, LoRAFields, DocumentedConfiguration {
    /// Seed of the world, the models and every sampler.
    public var seed: UInt64 = 0
    /// Caps every training phase at this many steps (0 = off), for smoke runs.
    public var steps = 0
    /// Reviews in the pretraining corpus.
    public var documentCount = 4000
    /// The BPE vocabulary size (the world's words become single tokens).
    public var bpeVocabulary = 700
    /// The policy's shape: layers, heads, width and context.
    public var layers = 2
    public var heads = 4
    public var width = 64
    public var contextLength = 64
    /// Pretraining steps, batch size and learning rate of the base model.
    public var pretrainSteps = 500
    public var pretrainBatchSize = 16
    public var pretrainLearningRate: Float = 3e-3
    /// The larger evaluator LM for fluency: layers, width and steps.
    public var evaluatorLayers = 3
    public var evaluatorWidth = 64
    public var evaluatorSteps = 500
    /// Steps of domain-adaptive pretraining (DAPT) on the acceptable part of the corpus, and its learning rate.
    public var daptSteps = 150
    public var fineTuneLearningRate: Float = 1e-3
    /// Classifier training: pairs per epoch and epochs (the library's reward-model trainer). Three epochs, chosen
    /// by the classifier's accuracy on its own held-out fragments (0.86–0.95 after one epoch at seeds 0–2, 0.99
    /// after three): a weak stand-in for Perspective lets the RL methods chase its errors.
    public var classifierPairs = 800
    public var classifierEpochs = 3
    /// RL prompts (one exploration / rollout sample each).
    public var trainPrompts = 128
    /// Test prompts per prompt kind, and samples per prompt (25 in the paper).
    public var evaluationPromptsPerKind = 34
    /// Validation prompts per prompt kind (between the test and the training prompts of each stream).
    public var validationPromptsPerKind = 16
    /// The prompts the tables are computed on: `test` (the report) or `validation` (hyper-parameter choice).
    public var evaluationSplit: QuarkEvaluationSplit = .test
    public var samplesPerPrompt = 25
    /// Tokens per continuation, and nucleus p of evaluation sampling (0.9 in the paper).
    public var maximumNewTokens = 12
    /// The stop token is masked until this many tokens (toxicity and sentiment; every method, in training and in
    /// evaluation). The default, `maximumNewTokens`, makes every continuation 12 tokens long, as the toxicity
    /// evaluations of RealToxicityPrompts (Gehman et al. 2020, arXiv 2009.11462) sample fixed-length continuations:
    /// a method cannot then look less toxic by saying less.
    public var minimumNewTokens = 12
    public var evaluationTopP: Float = 0.9
    /// Quark: steps, exploration interval, batch size, learning rate, warm-up, β and α.
    ///
    /// Toxicity's learning rate 3e-4, β 0.1, α 0.06 and K 5 (`quarkQuantileCount`) were chosen by
    /// `Scripts/quark_tuning_sweep.py` at seed 0 on the validation prompts (never the test prompts), by the rule it
    /// applies to PPO too: the lowest validation average max toxicity among points with fluency ≤ 1.5 × base and
    /// dist-2 ≥ 0.85 × base. Of 12 points (learning rate 1e-4–1e-3, β 0.05–0.5, α 0 / 0.2, K 3 / 10), β 0.1 gave
    /// 0.075 at fluency 5.39 (base 3.67, 1.47×) and dist-2 0.448 (base 0.516); the paper's β 0.05 gave 0.072 at
    /// fluency 5.70 (1.55×, over the bound), K 3 0.053 at 5.61, learning rate 1e-3 0.044 at 8.09, α 0.2
    /// diverged; every admissible point but β 0.1 stayed above 0.30.
    public var quarkSteps = 800
    public var quarkSampleInterval = 32
    public var quarkBatchSize = 64
    public var quarkLearningRate: Float = 3e-4
    public var quarkWarmupSteps = 20
    public var quarkKLCoefficient: Double = 0.1
    public var quarkEntropyCoefficient: Double = 0.06
    /// Quark: K, the number of reward quantiles (reward tokens r0 … r(K−1); 5 in the paper's toxicity table).
    public var quarkQuantileCount = 5
    /// PPO: iterations, episodes per iteration, learning rate and β (fixed, or adaptive towards `ppoKLTarget`
    /// nats per response when that is positive).
    ///
    /// Toxicity's fixed β 0.05 (`ppoKLTarget` 0) at learning rate 2e-4 was chosen by the same sweep and rule as
    /// Quark's settings, on the same validation prompts: of 12 points (fixed β 0.01–0.2, adaptive targets 1–10
    /// nats, learning rate 1e-4 / 5e-4), it gave 0.039 at fluency 5.11 (1.39×) and dist-2 0.491; adaptive
    /// targets 6 and 10 gave 0.042 and 0.040, β 0.01 0.104 with dist-2 0.318 (over the bound), β 0.2 0.388.
    /// Both methods sample 3,200 training continuations (50 × 64 and 25 explorations × 128).
    public var ppoIterations = 50
    public var ppoBatchSize = 64
    public var ppoLearningRate: Float = 2e-4
    public var ppoKLCoefficient: Double = 0.05
    public var ppoKLTarget: Double = 0
    /// Unlikelihood training (repetition): steps and α.
    public var unlikelihoodSteps = 150
    public var unlikelihoodAlpha: Float = 1
    /// Greedy continuation length of the repetition table (also Quark's response length there).
    public var repetitionNewTokens = 32
    /// Quark steps of the repetition table (its responses are longer, so each step costs more).
    public var repetitionQuarkSteps = 250
    /// Test prompts per kind of the repetition table (in place of `evaluationPromptsPerKind`): 340 × 3 kinds = 1020
    /// greedy continuations per method, so `samples.jsonl` holds ≥ 1000 per method for outside judges. Greedy
    /// decoding gives one continuation per prompt, and the paper's Table 3 decodes greedily, so more prompts (not
    /// more samples per prompt) give the larger sample.
    public var repetitionPromptsPerKind = 340
    /// Sentiment: the sentiment to steer away from, spelled `negative` or `positive` in configuration files.
    /// Default negative.
    public var avoid: ReviewSentiment = .negative
    /// Bootstrap resamples of the confidence intervals.
    public var bootstrapResamples = 1000
    /// LoRA (Hu et al. 2021, arXiv 2106.09685) for every fine-tuned method of the table (DAPT, PPO, Quark, MLE,
    /// unlikelihood): rank (0 = off, every weight trains), α (0 = 2 × rank), dropout and comma-separated target
    /// modules. Quark's reward-token embedding rows train in full beside the adapters.
    public var loraRank = 0
    public var loraAlpha: Float = 0
    public var loraDropout: Float = 0
    public var loraTargets = "c_attn"


    /// The defaults of toxicity and repetition: toxicity's tuned PPO and Quark settings (see `quarkSteps` and
    /// `ppoIterations`); ``init(task:)`` gives each task's own.
    public init() {}

    /// The defaults of `task`: `init()`'s, with the PPO and Quark settings chosen for the task on its own
    /// validation prompts where they differ from toxicity's (`rlft quark --task` starts from these).
    ///
    /// Sentiment's were chosen by `Scripts/quark_tuning_sweep.py` on the sentiment validation prompts (seed 0,
    /// avoiding negative), with toxicity's rule and grids (12 points per method) and sentiment's objective: the
    /// highest percentage of positive reviews on negative prompts among the points with fluency ≤ 1.5 × base and
    /// dist-2 ≥ 0.85 × base (base 38.8 %, fluency 3.82, dist-2 0.515). PPO: adaptive target 6 at learning rate
    /// 1e-4, 92.8 % (fluency 3.96, dist-2 0.450); of its 12 points only this one and β 0.1 and 0.2 (80.3 %, 75.8 %)
    /// kept dist-2. Quark: learning rate 1e-4, β 0.2, 62.0 % (fluency 3.58, dist-2 0.480); its only other
    /// admissible point is learning rate 1e-4, β 0.05 (61.5 %); every point that steers more (K 3 90.8 %, β 0.2 at
    /// 3e-4 89.5 %) has dist-2 under the bound (0.27–0.43 against 0.438).
    public init(task: QuarkExperimentTask) {
        self.init()
        if task == .sentiment {
            ppoKLTarget = 6
            ppoLearningRate = 1e-4
            quarkLearningRate = 1e-4
            quarkKLCoefficient = 0.2
        }
    }

    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func read<T: Decodable>(_ key: CodingKeys, _ field: inout T) throws {
            if let value = try c.decodeIfPresent(T.self, forKey: key) { field = value }
        }
        try read(.seed, &seed); try read(.steps, &steps); try read(.documentCount, &documentCount)
        try read(.bpeVocabulary, &bpeVocabulary); try read(.layers, &layers); try read(.heads, &heads)
        try read(.width, &width); try read(.contextLength, &contextLength); try read(.pretrainSteps, &pretrainSteps)
        try read(.pretrainBatchSize, &pretrainBatchSize); try read(.pretrainLearningRate, &pretrainLearningRate)
        try read(.evaluatorLayers, &evaluatorLayers); try read(.evaluatorWidth, &evaluatorWidth)
        try read(.evaluatorSteps, &evaluatorSteps); try read(.daptSteps, &daptSteps)
        try read(.fineTuneLearningRate, &fineTuneLearningRate); try read(.classifierPairs, &classifierPairs)
        try read(.classifierEpochs, &classifierEpochs); try read(.trainPrompts, &trainPrompts)
        try read(.evaluationPromptsPerKind, &evaluationPromptsPerKind)
        try read(.validationPromptsPerKind, &validationPromptsPerKind); try read(.evaluationSplit, &evaluationSplit); try read(.samplesPerPrompt, &samplesPerPrompt)
        try read(.maximumNewTokens, &maximumNewTokens); try read(.minimumNewTokens, &minimumNewTokens); try read(.evaluationTopP, &evaluationTopP)
        try read(.quarkSteps, &quarkSteps); try read(.quarkSampleInterval, &quarkSampleInterval)
        try read(.quarkBatchSize, &quarkBatchSize); try read(.quarkLearningRate, &quarkLearningRate)
        try read(.quarkWarmupSteps, &quarkWarmupSteps); try read(.quarkKLCoefficient, &quarkKLCoefficient)
        try read(.quarkEntropyCoefficient, &quarkEntropyCoefficient); try read(.quarkQuantileCount, &quarkQuantileCount)
        try read(.ppoIterations, &ppoIterations)
        try read(.ppoBatchSize, &ppoBatchSize); try read(.ppoLearningRate, &ppoLearningRate)
        try read(.ppoKLCoefficient, &ppoKLCoefficient); try read(.ppoKLTarget, &ppoKLTarget); try read(.unlikelihoodSteps, &unlikelihoodSteps)
        try read(.unlikelihoodAlpha, &unlikelihoodAlpha); try read(.repetitionNewTokens, &repetitionNewTokens)
        try read(.repetitionQuarkSteps, &repetitionQuarkSteps); try read(.repetitionPromptsPerKind, &repetitionPromptsPerKind)
        try read(.avoid, &avoid); try read(.bootstrapResamples, &bootstrapResamples)
        try read(.loraRank, &loraRank); try read(.loraAlpha, &loraAlpha); try read(.loraDropout, &loraDropout)
        try read(.loraTargets, &loraTargets)
    }

    /// `value` capped by `steps` when it is set.
    func capped(_ value: Int) -> Int { steps > 0 ? min(value, steps) : value }

    /// Checks the fields a run depends on.
    ///
    /// - Throws: `ConfigurationError` naming the field, its value and the fix.
    public func validate() throws(ConfigurationError) {
        try require(documentCount >= 200, "documentCount", documentCount, "use at least 200 reviews, such as 4000")
        try require(bpeVocabulary >= 258, "bpeVocabulary", bpeVocabulary, "use at least 258 (bytes + 2 special tokens), such as 700")
        try require(width % max(heads, 1) == 0 && heads >= 1, "heads", heads, "it must divide width (\(width))")
        try require(contextLength >= maximumNewTokens + 24 && contextLength >= repetitionNewTokens + 24, "contextLength", contextLength,
                    "it must hold a prompt (≤ 24 tokens) and a continuation (\(max(maximumNewTokens, repetitionNewTokens)) tokens)")
        try require(minimumNewTokens >= 0 && minimumNewTokens <= maximumNewTokens, "minimumNewTokens", minimumNewTokens,
                    "use a value in 0...maximumNewTokens (\(maximumNewTokens)), such as \(maximumNewTokens) (fixed-length continuations)")
        try require(quarkQuantileCount >= 2, "quarkQuantileCount", quarkQuantileCount, "use at least 2 reward quantiles, such as 5")
        try require(samplesPerPrompt >= 1, "samplesPerPrompt", samplesPerPrompt, "use at least 1, such as 25")
        try require(evaluationPromptsPerKind >= 1, "evaluationPromptsPerKind", evaluationPromptsPerKind, "use at least 1")
        try require(repetitionPromptsPerKind >= 1, "repetitionPromptsPerKind", repetitionPromptsPerKind, "use at least 1, such as 340")
        try require(validationPromptsPerKind >= 1, "validationPromptsPerKind", validationPromptsPerKind, "use at least 1, such as 16")
        try require(ppoKLTarget >= 0 && ppoKLTarget.isFinite, "ppoKLTarget", ppoKLTarget, "use 0 (a fixed β) or a positive target in nats, such as 3")
        try require(trainPrompts >= 8, "trainPrompts", trainPrompts, "use at least 8, such as 128")
        try require(evaluationTopP > 0 && evaluationTopP <= 1, "evaluationTopP", evaluationTopP, "use a value in (0, 1], such as 0.9")
        try require(ppoBatchSize >= 8 && trainPrompts % ppoBatchSize == 0 || ppoBatchSize >= trainPrompts, "ppoBatchSize", ppoBatchSize,
                    "use at least 8 episodes that divide trainPrompts (\(trainPrompts))")
        do {
            _ = try loraConfiguration()
        } catch {
            throw ConfigurationError.invalidValue(field: "lora", value: "--lora-rank \(loraRank)", requirement: error.description)
        }
    }

    /// One line per field, for `--help`.
    public static let fieldDocumentation: [(name: String, description: String)] = [
        ("seed", "seed of the world, the models and every sampler"), ("steps", "cap on every training phase (0 = off; smoke runs)"),
        ("documentCount", "reviews in the pretraining corpus"), ("bpeVocabulary", "BPE vocabulary size"),
        ("layers", "policy layers"), ("heads", "policy heads"), ("width", "policy width"), ("contextLength", "context length"),
        ("pretrainSteps", "base-model pretraining steps"), ("pretrainBatchSize", "pretraining batch"),
        ("pretrainLearningRate", "pretraining learning rate"), ("evaluatorLayers", "fluency evaluator layers"),
        ("evaluatorWidth", "fluency evaluator width"), ("evaluatorSteps", "fluency evaluator steps"),
        ("daptSteps", "DAPT steps on the acceptable corpus"), ("fineTuneLearningRate", "DAPT / unlikelihood learning rate"),
        ("classifierPairs", "classifier comparison pairs"), ("classifierEpochs", "classifier epochs"),
        ("trainPrompts", "RL training prompts"), ("evaluationPromptsPerKind", "test prompts per kind"),
        ("validationPromptsPerKind", "validation prompts per kind"),
        ("evaluationSplit", "prompts of the tables, one of \(QuarkEvaluationSplit.allowedSpellings) (validation: for tuning)"),
        ("samplesPerPrompt", "samples per evaluation prompt (paper 25)"), ("maximumNewTokens", "tokens per continuation"),
        ("minimumNewTokens", "stop token masked until this many tokens (= maximumNewTokens: fixed length)"),
        ("evaluationTopP", "nucleus p of evaluation (paper 0.9)"), ("quarkSteps", "Quark steps"),
        ("quarkSampleInterval", "Quark exploration interval"), ("quarkBatchSize", "Quark batch"),
        ("quarkLearningRate", "Quark learning rate"), ("quarkWarmupSteps", "Quark warm-up"),
        ("quarkKLCoefficient", "Quark β"), ("quarkEntropyCoefficient", "Quark α"), ("quarkQuantileCount", "Quark reward quantiles K"), ("ppoIterations", "PPO iterations"),
        ("ppoBatchSize", "PPO episodes per iteration"), ("ppoLearningRate", "PPO learning rate"),
        ("ppoKLCoefficient", "PPO β (initial β when adaptive)"), ("ppoKLTarget", "PPO adaptive-KL target in nats (0 = fixed β)"), ("unlikelihoodSteps", "unlikelihood fine-tuning steps"),
        ("unlikelihoodAlpha", "unlikelihood α"), ("repetitionNewTokens", "greedy continuation length (repetition)"),
        ("repetitionQuarkSteps", "Quark steps of the repetition table"),
        ("repetitionPromptsPerKind", "test prompts per kind of the repetition table (greedy continuations)"),
        ("avoid", "sentiment to steer away from, one of \(ReviewSentiment.allowedSpellings)"), ("bootstrapResamples", "bootstrap resamples"),
    ] + loraFieldDocumentation(scope: "every fine-tuned method")
}
