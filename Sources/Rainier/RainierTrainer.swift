// Rainier's training (Liu et al. 2022, arXiv 2210.03078): stage I imitates silver knowledge with SFT; the reward is
// then normalised on stage-I samples; stage II is PPO against the fixed QA model with a KL penalty to stage I.
import Foundation
import LanguageModels
import PPO
import SFT
import TensorCore
import TrainingCore
import TrainingData

/// Trains a knowledge introspector in two stages against a fixed question-answering model.
///
/// ```swift
/// let trainer = try RainierTrainer(config: RainierConfig(), introspector: introspector, questionAnswering: qa,
///                                  questions: world.questions(.training))
/// try trainer.imitate(silver: silver)            // stage I
/// try trainer.calibrateReward()                  // gain and bias on stage-I samples
/// try trainer.reinforce()                        // stage II
/// let statements = try trainer.introspector.sample(testQuestions, count: 10, options: trainer.inferenceOptions, using: &rng)
/// ```
///
/// The introspector's model is trained in place; ``stageIModel`` keeps a frozen copy of it after stage I (the
/// PPO reference). Metrics: stage I reports SFT's (`sft/*`), stage II PPO's (`objective/*`, …).
public final class RainierTrainer {
    public let config: RainierConfig
    public let introspector: KnowledgeIntrospector
    public let reward: KnowledgeReward
    /// The training questions (PPO prompts and calibration questions).
    public let questions: [MultipleChoiceQuestion]
    /// A frozen copy of the introspector after stage I (nil before ``imitate(silver:progress:)``).
    public private(set) var stageIModel: GPT?
    /// The stage-II trainer (nil before ``reinforce(progress:)``).
    public private(set) var ppo: PPOTrainer?
    /// The raw rewards of the calibration samples (empty before ``calibrateReward()``).
    public private(set) var calibrationRewards: [Double] = []
    /// Blocks of the introspector's pretraining text, for the pretraining mix of stage I
    /// (`imitationPtxCoefficient`) and stage II (`ppo.ptxCoefficient`); required when either is positive. Each
    /// stage reads them from the first block on, whether or not the other ran in this process (so a resumed run
    /// sees the same blocks).
    public var pretraining: PretrainingBlocks?

    /// A fresh stream over ``pretraining``'s blocks, from the first.
    func pretrainingFromStart() throws -> PretrainingBlocks? {
        try pretraining.map { try PretrainingBlocks(blocks: $0.blocks, padToken: $0.padToken) }
    }

    /// - Throws: `ConfigurationError` for bad settings, `TrainingError.emptyData` for no questions.
    public init(config: RainierConfig, introspector: KnowledgeIntrospector, questionAnswering: any QuestionAnsweringModel,
                questions: [MultipleChoiceQuestion]) throws {
        try config.validate()
        guard !questions.isEmpty else { throw TrainingError.emptyData(what: "the Rainier training questions") }
        self.config = config
        self.introspector = introspector
        self.questions = questions
        reward = KnowledgeReward(questionAnswering: questionAnswering, questions: questions)
    }

    /// The sampling options of inference: τ = 1, top-p `inferenceTopP`, `ppo.maximumNewTokens` tokens.
    public var inferenceOptions: GenerationOptions {
        GenerationOptions(maximumNewTokens: config.ppo.maximumNewTokens, temperature: 1, topP: config.inferenceTopP)
    }

    /// The sampling options of PPO rollouts and of the calibration samples: τ, top-k and top-p of `ppo`.
    public var rolloutOptions: GenerationOptions {
        GenerationOptions(maximumNewTokens: config.ppo.maximumNewTokens, temperature: config.ppo.temperature,
                          topK: config.ppo.topK, topP: config.ppo.topP)
    }

    /// Stage I: supervised fine-tuning on every (question, silver statement) pair, then a frozen copy of the result.
    ///
    /// - Parameters:
    ///   - silver: per training question (same order as `questions`), its silver statements.
    ///   - progress: SFT's events.
    /// - Throws: SFT's errors.
    @discardableResult
    public func imitate(silver: [[String]], progress: TrainingProgress = { _ in .continue }) throws -> SFTResult {
        let examples = try introspector.imitationExamples(questions: questions, knowledge: silver)
        var sft = SFTConfig()
        sft.steps = config.imitationSteps
        sft.batchSize = config.imitationBatchSize
        sft.learningRate = config.imitationLearningRate
        sft.warmupSteps = min(10, config.imitationSteps)
        sft.seed = config.seed
        sft.validationFraction = 0
        sft.keepBestCheckpoint = false
        sft.evaluationInterval = max(config.imitationSteps, 1)
        sft.ptxCoefficient = config.imitationPtxCoefficient
        let trainer = try SFTTrainer(model: introspector.model, config: sft, padToken: introspector.tokens.padToken,
                                     training: examples, validation: [], pretraining: try pretrainingFromStart())
        let result = try trainer.train(progress: progress)
        stageIModel = introspector.model.frozenCopy()
        return result
    }

    /// Samples one statement per training question from the current (stage-I) introspector with the rollout
    /// options and fits the reward's gain and bias so their raw rewards have mean 0 and standard deviation 1.
    ///
    /// - Returns: the normaliser (also installed in ``reward``).
    @discardableResult
    public func calibrateReward() throws -> RewardNormalizer {
        var rng = SeededGenerator(seed: config.seed &+ 0xCA1B)
        let samples = try introspector.sample(questions, count: 1, options: rolloutOptions, using: &rng).map { $0[0] }
        let (normalizer, raw) = try reward.calibrate(questions: questions, knowledge: samples)
        calibrationRewards = raw
        return normalizer
    }

    /// Stage II: PPO on the training questions' prompts against ``reward``, with the KL penalty to
    /// ``stageIModel`` (taken now if ``imitate(silver:progress:)`` was skipped), and a separate value model
    /// initialised from the stage-I model (or, with `separateValueModel` false, a value head on the policy).
    ///
    /// - Throws: PPO's errors.
    public func reinforce(progress: TrainingProgress = { _ in .continue }) throws {
        try stageII().train(prompts: stageIIPrompts, progress: progress)
    }

    /// The prompts of stage II: one per training question.
    public var stageIIPrompts: [String] { questions.map(KnowledgeIntrospector.prompt(for:)) }

    /// The stage-II PPO trainer, built on first use (``reinforce(progress:)`` trains it; a run that checkpoints
    /// or resumes stage II trains it itself with `stageIIPrompts`).
    public func stageII() throws -> PPOTrainer {
        if let ppo { return ppo }
        let reference = stageIModel ?? introspector.model.frozenCopy()
        stageIModel = reference
        let critic: PPOCritic = config.separateValueModel ? .separate(ValueModel(policy: introspector.model)) : .sharedHead(for: introspector.model)
        let trainer = try PPOTrainer(config: config.ppo, policy: introspector.model, reference: reference, critic: critic, reward: .function(reward),
                                     tokenizer: introspector.tokenizer, tokens: introspector.tokens, pretraining: try pretrainingFromStart())
        ppo = trainer
        return trainer
    }
}
