// The settings of `rlft rainier` and the `rainier` example: world, models, the QA model's training, both Rainier
// stages and inference, sized to finish in about ten minutes on two cores.
import CommonsenseWorld
import Foundation
import Rainier
import Runs
import TrainingCore

/// Settings of the Rainier experiment on the built-in commonsense world (flat, so every field is a `--key value`).
public struct RainierExperimentConfig: Codable, Equatable, Sendable, DocumentedConfiguration {
    /// Seed of every random choice. Default 0.
    public var seed: UInt64 = 0
    /// Threads for the kernels (0 = all cores). Default 0.
    public var threads = 0
    /// Entities per category (animals, tools, foods; 2 to 48). Default 48.
    public var entitiesPerCategory = 48
    /// Fraction of each category's entities held out for testing (never named in training). Default 0.5.
    public var testEntityFraction = 0.5
    /// Choices per question. Default 4.
    public var choiceCount = 4
    /// Fraction of facts the QA model is taught without knowledge. Default 0.4.
    public var knownFraction = 0.4
    /// Fraction of silver statements that are true and relevant. Default 0.5.
    public var silverCorrectFraction = 0.5
    /// Fraction of silver statements that state a wrong value of the asked relation (the rest are irrelevant). Default 0.25.
    public var silverWrongFraction = 0.25
    /// Silver statements per training question for stage I. Default 5.
    public var silverPerQuestion = 5
    /// Training questions per fact of a seen family. Default 4.
    public var trainingVariants = 4
    /// Test questions per fact and family. Default 5.
    public var testVariants = 5
    /// BPE vocabulary size of the world's tokenizer (large enough that every word is one token). Default 800.
    public var vocabularySize = 800
    /// Transformer layers of both models. Default 2.
    public var layers = 2
    /// Embedding width of both models. Default 64.
    public var width = 64
    /// Attention heads. Default 4.
    public var heads = 4
    /// Context length in tokens. Default 96.
    public var contextLength = 96
    /// Pretraining updates of the introspector's base model on the world's statements (every fact, no question).
    /// Default 1500.
    public var pretrainingSteps = 1500
    /// Blocks per pretraining update. Default 32.
    public var pretrainingBatchSize = 32
    /// Pretraining peak learning rate (cosine decay). Default 3e-3.
    public var pretrainingLearningRate: Float = 3e-3
    /// Times each fact's statement occurs in the pretraining corpus. Default 20.
    public var pretrainingRepeats = 20
    /// Rounds of reading lessons per training question (each round draws new stated values). Default 4.
    public var readingRounds = 4
    /// Probability that an unknown fact's reading lesson is repeated with a scrambled question stem (teaches the QA
    /// model to read whatever the wording). Default 0.5.
    public var scrambledStemFraction = 0.5
    /// Training steps of the QA model. Default 1500.
    public var qaSteps = 1500
    /// QA model examples per step. Default 32.
    public var qaBatchSize = 32
    /// QA model learning rate. Default 2e-3.
    public var qaLearningRate = 2e-3
    /// Stage-I (imitation) steps. Default 800.
    public var imitationSteps = 800
    /// Stage-I examples per step. Default 32.
    public var imitationBatchSize = 32
    /// Stage-I learning rate. Default 3e-3.
    public var imitationLearningRate = 3e-3
    /// Weight of the language-modelling loss on the pretraining corpus mixed into every stage-I update (0 = none):
    /// it keeps the held-out entities' names and facts alive while imitation trains on the others. Default 1.
    public var imitationPtxCoefficient = 1.0
    /// Weight of the same pretraining mix in stage II (PPO-ptx's γ; 0 = plain PPO). Default 1.
    public var ppoPtxCoefficient: Float = 1
    /// Stage-II PPO iterations. Default 60.
    public var ppoIterations = 60
    /// Questions per PPO iteration. Default 64.
    public var ppoBatchSize = 64
    /// PPO learning rate (linear decay). Default 5e-4.
    public var ppoLearningRate: Float = 5e-4
    /// KL coefficient β (fixed). Default 0.2.
    public var klCoefficient = 0.2
    /// Rollout temperature τ. Default 0.7.
    public var ppoTemperature: Float = 0.7
    /// Most tokens per knowledge statement. Default 16.
    public var maximumKnowledgeTokens = 16
    /// Statements M sampled per test question. Default 10.
    public var knowledgeSamples = 10
    /// Top-p of inference sampling. Default 0.5.
    public var inferenceTopP: Float = 0.5
    /// How the QA model's answers with each statement combine, spelled `max`, `mean`, `product` or `majority` in
    /// configuration files. Default max (Rainier's).
    public var aggregation: KnowledgeAggregation = .max
    /// Bootstrap resamples of every confidence interval. Default 1000.
    public var bootstrapResamples = 1000

    public init() {}

    public static let fieldDocumentation: [(name: String, description: String)] = [
        ("seed", "seed of every random choice"),
        ("threads", "threads for the kernels (0 = all cores)"),
        ("entitiesPerCategory", "entities per category (animals, tools, foods; 2-48)"),
        ("testEntityFraction", "fraction of each category's entities held out for testing (never named in training)"),
        ("choiceCount", "choices per question (2-5)"),
        ("knownFraction", "fraction of facts the QA model is taught without knowledge"),
        ("silverCorrectFraction", "fraction of silver statements that are true and relevant"),
        ("silverWrongFraction", "fraction of silver statements with a wrong value (the rest are irrelevant)"),
        ("silverPerQuestion", "silver statements per training question (stage I)"),
        ("trainingVariants", "training questions per fact of a seen family"),
        ("testVariants", "test questions per fact and family"),
        ("vocabularySize", "BPE vocabulary size of the world's tokenizer"),
        ("layers", "transformer layers of both models"),
        ("width", "embedding width of both models"),
        ("heads", "attention heads"),
        ("contextLength", "context length in tokens"),
        ("pretrainingSteps", "pretraining updates of the introspector's base model on the world's statements"),
        ("pretrainingBatchSize", "blocks per pretraining update"),
        ("pretrainingLearningRate", "pretraining peak learning rate (cosine decay)"),
        ("pretrainingRepeats", "times each fact's statement occurs in the pretraining corpus"),
        ("readingRounds", "rounds of reading lessons per training question (new stated values each round)"),
        ("scrambledStemFraction", "probability of an extra reading lesson with a scrambled question stem (unknown facts)"),
        ("qaSteps", "training steps of the QA model"),
        ("qaBatchSize", "QA model examples per step"),
        ("qaLearningRate", "QA model learning rate"),
        ("imitationSteps", "stage-I (imitation) steps"),
        ("imitationBatchSize", "stage-I examples per step"),
        ("imitationLearningRate", "stage-I learning rate"),
        ("imitationPtxCoefficient", "weight of the pretraining-corpus LM loss mixed into stage I (0 = none)"),
        ("ppoPtxCoefficient", "weight of the pretraining-corpus LM loss mixed into stage II (PPO-ptx's gamma; 0 = none)"),
        ("ppoIterations", "stage-II PPO iterations"),
        ("ppoBatchSize", "questions per PPO iteration"),
        ("ppoLearningRate", "PPO learning rate (linear decay)"),
        ("klCoefficient", "fixed KL coefficient beta (Rainier: 0.2)"),
        ("ppoTemperature", "rollout temperature (Rainier: 0.7)"),
        ("maximumKnowledgeTokens", "most tokens per knowledge statement"),
        ("knowledgeSamples", "statements M per test question (Rainier: 10)"),
        ("inferenceTopP", "top-p of inference sampling (Rainier: 0.5)"),
        ("aggregation", "one of \(KnowledgeAggregation.allowedSpellings) (Rainier: max)"),
        ("bootstrapResamples", "bootstrap resamples of every confidence interval"),
    ]

    /// The world's settings.
    public var world: CommonsenseWorldConfig {
        var c = CommonsenseWorldConfig()
        c.seed = seed
        c.entitiesPerCategory = entitiesPerCategory
        c.testEntityFraction = testEntityFraction
        c.choiceCount = choiceCount
        c.knownFraction = knownFraction
        c.silverCorrectFraction = silverCorrectFraction
        c.silverWrongFraction = silverWrongFraction
        c.trainingVariants = trainingVariants
        c.testVariants = testVariants
        return c
    }

    /// The Rainier trainer's settings.
    public var rainier: RainierConfig {
        var c = RainierConfig()
        c.seed = seed &+ 11
        c.imitationSteps = imitationSteps
        c.imitationBatchSize = imitationBatchSize
        c.imitationLearningRate = imitationLearningRate
        c.imitationPtxCoefficient = imitationPtxCoefficient
        c.ppo.ptxCoefficient = ppoPtxCoefficient
        c.ppo.seed = seed &+ 13
        c.ppo.iterations = ppoIterations
        c.ppo.batchSize = ppoBatchSize
        c.ppo.learningRate = ppoLearningRate
        c.ppo.klCoefficient = klCoefficient
        c.ppo.temperature = ppoTemperature
        c.ppo.maximumNewTokens = maximumKnowledgeTokens
        c.knowledgeSamples = knowledgeSamples
        c.inferenceTopP = inferenceTopP
        c.aggregation = aggregation
        return c
    }

    /// Checks every field.
    ///
    /// - Throws: `ConfigurationError` naming the field.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ value: Any, _ requirement: String) throws {
            if !ok { throw ConfigurationError.invalidValue(field: field, value: "\(value)", requirement: requirement) }
        }
        try world.validate()
        try check(threads >= 0, "threads", threads, "it must be 0 (all cores) or positive")
        try check(silverPerQuestion >= 1, "silverPerQuestion", silverPerQuestion, "it must be at least 1 (e.g. 5)")
        try check(vocabularySize >= 300, "vocabularySize", vocabularySize, "it must be at least 300 (256 bytes + merges), e.g. 400")
        try check(layers >= 1 && heads >= 1 && width >= heads && width % heads == 0, "width", width,
                  "it must be a positive multiple of heads (\(heads)), with layers ≥ 1")
        try check(contextLength >= 32, "contextLength", contextLength, "it must be at least 32 tokens (e.g. 64)")
        try check(pretrainingSteps >= 0, "pretrainingSteps", pretrainingSteps, "it must be 0 (no pretraining) or positive (e.g. 1500)")
        try check(pretrainingBatchSize >= 1, "pretrainingBatchSize", pretrainingBatchSize, "it must be at least 1 (e.g. 32)")
        try check(pretrainingLearningRate > 0 && pretrainingLearningRate.isFinite, "pretrainingLearningRate", pretrainingLearningRate, "it must be positive (e.g. 3e-3)")
        try check(pretrainingRepeats >= 1, "pretrainingRepeats", pretrainingRepeats, "it must be at least 1 (e.g. 20)")
        try check(readingRounds >= 1, "readingRounds", readingRounds, "it must be at least 1 (e.g. 4)")
        try check((0...1).contains(scrambledStemFraction), "scrambledStemFraction", scrambledStemFraction, "it must be a probability in [0, 1] (e.g. 0.5)")
        try check(qaSteps >= 1 && qaBatchSize >= 1, "qaSteps", qaSteps, "qaSteps and qaBatchSize must be at least 1")
        try check(qaLearningRate > 0, "qaLearningRate", qaLearningRate, "it must be positive (e.g. 2e-3)")
        try check(bootstrapResamples >= 1, "bootstrapResamples", bootstrapResamples, "it must be at least 1 (e.g. 1000)")
        try rainier.validate()
    }
}
