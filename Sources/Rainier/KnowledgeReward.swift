// Rainier's reward (Liu et al. 2022, arXiv 2210.03078; shape 4, the default of the authors' `reward.py`) and its
// normalisation to mean 0 and standard deviation 1 on stage-I samples (the authors' `ppo.py::set_reward_norm`), as a
// RewardFunction that PPO calls with prompts and sampled knowledge.
import Foundation
import TrainingCore
import TrainingData

/// The raw reward shapes of Rainier.
public enum RainierRewardShape {
    /// The gold-versus-best-distractor margin `s(a*) − max_{c ≠ a*} s(c)` of one question's choice scores.
    public static func margin(_ scores: [Float], answer: Int) -> Double {
        precondition(scores.indices.contains(answer) && scores.count >= 2, "margin: answer \(answer) of \(scores.count) choices")
        var best = -Double.infinity
        for (i, s) in scores.enumerated() where i != answer { best = max(best, Double(s)) }
        return Double(scores[answer]) - best
    }

    /// Reward shape 4: `½·tanh(margin with knowledge) − ½·tanh(margin without)`, in (−1, 1); 0 when the knowledge
    /// leaves every score unchanged.
    public static func shape4(withKnowledge: [Float], withoutKnowledge: [Float], answer: Int) -> Double {
        0.5 * Foundation.tanh(margin(withKnowledge, answer: answer)) - 0.5 * Foundation.tanh(margin(withoutKnowledge, answer: answer))
    }
}

/// The reward of a knowledge statement for a question: how much it improves the fixed question-answering model's
/// bounded margin for the right answer (shape 4), then `gain·r + bias`.
///
/// PPO calls ``scores(prompts:completions:)`` with introspector prompts (``KnowledgeIntrospector/prompt(for:)``)
/// and sampled completions; the prompt identifies the question. Scores without knowledge are computed once per
/// question and kept.
public final class KnowledgeReward: RewardFunction {
    public let questionAnswering: any QuestionAnsweringModel
    /// The affine normalisation applied by ``scores(prompts:completions:)`` (identity until calibrated).
    public var normalizer: RewardNormalizer
    private var questionsByPrompt: [String: MultipleChoiceQuestion] = [:]
    private var withoutKnowledge: [String: [Float]] = [:]

    /// - Parameters:
    ///   - questionAnswering: the fixed QA model.
    ///   - questions: every question whose prompt PPO may send.
    ///   - normalizer: default the identity; see ``calibrate(questions:knowledge:)``.
    public init(questionAnswering: any QuestionAnsweringModel, questions: [MultipleChoiceQuestion],
                normalizer: RewardNormalizer = RewardNormalizer()) {
        self.questionAnswering = questionAnswering
        self.normalizer = normalizer
        for q in questions { questionsByPrompt[KnowledgeIntrospector.prompt(for: q)] = q }
    }

    /// Raw shape-4 rewards of knowledge statements for their questions.
    ///
    /// - Throws: whatever the QA model throws.
    public func rawRewards(questions: [MultipleChoiceQuestion], knowledge: [String]) throws -> [Double] {
        precondition(questions.count == knowledge.count, "rawRewards: \(questions.count) questions, \(knowledge.count) statements")
        // Questions not yet scored without knowledge, in order of first appearance (a deterministic batch).
        var seen = Set<String>()
        let qs = questions.filter { withoutKnowledge[$0.text] == nil && seen.insert($0.text).inserted }
        if !qs.isEmpty {
            for (q, s) in zip(qs, try questionAnswering.choiceScores(qs, knowledge: qs.map { _ in nil })) { withoutKnowledge[q.text] = s }
        }
        let with = try questionAnswering.choiceScores(questions, knowledge: knowledge.map { Optional(KnowledgeIntrospector.clean($0)) })
        return zip(questions, with).map { q, s in
            RainierRewardShape.shape4(withKnowledge: s, withoutKnowledge: withoutKnowledge[q.text]!, answer: q.answer)
        }
    }

    /// Raw rewards of completions to introspector prompts.
    ///
    /// - Throws: `ConfigurationError.invalidValue` for a prompt that is not one of the questions'.
    public func rawRewards(prompts: [String], completions: [String]) throws -> [Double] {
        let questions = try prompts.map { prompt in
            guard let q = questionsByPrompt[prompt] else {
                throw ConfigurationError.invalidValue(field: "prompt", value: prompt.debugDescription, requirement: "it must be the prompt of a question given to KnowledgeReward")
            }
            return q
        }
        return try rawRewards(questions: questions, knowledge: completions)
    }

    /// Normalised rewards `gain·r_raw + bias`.
    public func scores(prompts: [String], completions: [String]) throws -> [Float] {
        try rawRewards(prompts: prompts, completions: completions).map { Float(normalizer($0)) }
    }

    /// Fits and installs gain and bias so that the raw rewards of these (question, knowledge) pairs — stage-I samples
    /// — have mean 0 and standard deviation 1 (Ziegler et al. 2019, arXiv 1909.08593, §2; Rainier's
    /// `set_reward_norm`).
    ///
    /// - Returns: the fitted normaliser and the raw rewards it was fitted on.
    @discardableResult
    public func calibrate(questions: [MultipleChoiceQuestion], knowledge: [String]) throws -> (RewardNormalizer, [Double]) {
        let raw = try rawRewards(questions: questions, knowledge: knowledge)
        normalizer = RewardNormalizer.fit(samples: raw)
        return (normalizer, raw)
    }
}
