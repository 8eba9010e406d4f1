// Stage II raises the fraction of true, relevant knowledge and the QA accuracy over stage I (Rainier's main
// result in miniature), with the scripted QA scorer of Helpers.swift.
import CommonsenseWorld
import Foundation
import LanguageModels
import Rainier
import TensorCore
import Tokenizers
import XCTest

final class RainierBehaviourTests: XCTestCase {
    /// A world of 24 facts (6 entities per category), 30 % of them misbelieved by the silver source; the scripted
    /// QA scorer knows 40 % of the facts. A 2-layer, 64-wide introspector imitates 4 silver statements per
    /// training question (400 steps), then runs 50 PPO iterations of 32 questions (β = 0.2, τ = 0.7). On the
    /// training questions (what the algorithm optimises; the experiment measures transfer to held-out entities),
    /// statements sampled from the policy (τ = 1) are true and relevant more often, and QA with M = 10 statements
    /// and max aggregation is more accurate, after stage II than after stage I, by at least 0.15 each. Measured (seed 7, two loaded cores): true & relevant 0.45 → 0.82, accuracy 0.75 → 1.00 (QA alone 0.58),
    /// normalised reward −0.01 → 0.64, 23 s.
    func testStageTwoRaisesCorrectKnowledgeAndAccuracyOverStageOne() throws {
        let start = Date()
        var worldConfig = CommonsenseWorldConfig()
        worldConfig.entitiesPerCategory = 6
        worldConfig.trainingVariants = 2
        let world = try CommonsenseWorld(config: worldConfig)
        let qa = ScriptedQuestionAnswering(world: world)
        let training = world.questions(.training)
        let measured = training
        let tokenizer = try BPETrainer(configuration: .init(vocabularySize: 800, specialTokens: ["<|endoftext|>", "<|pad|>"]))
            .train(on: world.corpus + training.map { KnowledgeIntrospector.prompt(for: $0) })
        var rng = SeededGenerator(seed: 7)
        let model = try GPT(config: GPTConfig(layerCount: 2, headCount: 4, embeddingSize: 64, contextLength: 64,
                                              vocabularySize: tokenizer.vocabularySize), using: &rng)
        let introspector = try KnowledgeIntrospector(model: model, tokenizer: tokenizer)
        var config = RainierConfig()
        config.imitationSteps = 400
        config.imitationLearningRate = 5e-3
        config.ppo.iterations = 50
        config.ppo.batchSize = 32
        config.ppo.learningRate = 5e-4
        config.ppo.maximumNewTokens = 10
        let trainer = try RainierTrainer(config: config, introspector: introspector, questionAnswering: qa, questions: training)
        var silverRNG = SplitMixForTests(seed: 5)
        try trainer.imitate(silver: training.map { world.silverKnowledge(for: $0, count: 4, using: &silverRNG) })
        try trainer.calibrateReward()
        let calibrated = trainer.calibrationRewards.map(trainer.reward.normalizer.callAsFunction)
        XCTAssertEqual(calibrated.reduce(0, +) / Double(calibrated.count), 0, accuracy: 1e-6)

        func measure(_ model: GPT) throws -> (correct: Double, accuracy: Double) {
            let sampler = try KnowledgeIntrospector(model: model, tokenizer: tokenizer)
            var rng = SeededGenerator(seed: 99)
            // The policy's own distribution (τ = 1, no top-p): what stage II changes.
            let statements = try sampler.sample(measured, count: 10, options: GenerationOptions(maximumNewTokens: 10), using: &rng)
            let judged = zip(measured, statements).flatMap { q, ks in ks.map { world.judge($0, for: q) } }
            let correct = Double(judged.filter { $0.isTrue && $0.isRelevant }.count) / Double(judged.count)
            let answers = try answerWithKnowledge(measured, knowledge: statements, questionAnswering: qa)
            let accuracy = Double(zip(answers, measured).filter { $0.prediction == $1.answer }.count) / Double(measured.count)
            return (correct, accuracy)
        }
        let before = try measure(trainer.stageIModel!)
        var rewards: [Double] = []
        try trainer.reinforce { event in
            if case .step(_, _, let m) = event { rewards.append(m["objective/raw_score"]!) }
            return .continue
        }
        let after = try measure(trainer.introspector.model)
        let alone = try answerWithKnowledge(measured, knowledge: measured.map { _ in [] }, questionAnswering: qa)
        let aloneAccuracy = Double(zip(alone, measured).filter { $0.prediction == $1.answer }.count) / Double(measured.count)
        let summary = String(format: "true & relevant %.2f → %.2f; QA accuracy alone %.2f, stage I %.2f, stage II %.2f; normalised reward %.2f → %.2f; %.1f s",
                             before.correct, after.correct, aloneAccuracy, before.accuracy, after.accuracy,
                             rewards.prefix(3).reduce(0, +) / 3, rewards.suffix(3).reduce(0, +) / 3, Date().timeIntervalSince(start))
        print("Rainier behaviour: \(summary)")
        XCTAssertGreaterThanOrEqual(after.correct - before.correct, 0.15, summary)
        XCTAssertGreaterThanOrEqual(after.accuracy - before.accuracy, 0.15, summary)
        XCTAssertGreaterThan(after.accuracy, aloneAccuracy + 0.3, summary)
    }
}
