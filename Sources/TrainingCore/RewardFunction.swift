// The one interface through which every algorithm gets rewards: a learned reward model, a rule, a gold score.
import Foundation

/// Scores completions of prompts. Implementations: a trained reward model (RewardModeling), a task's gold
/// score, a rule, a classifier. Higher is better.
public protocol RewardFunction {
    /// One score per (prompt, completion) pair; `prompts.count == completions.count`.
    ///
    /// - Throws: when the inputs cannot be scored (e.g. too long for a reward model's context).
    func scores(prompts: [String], completions: [String]) throws -> [Float]
}

/// A reward function from a closure, for rules and tests.
public struct ClosureReward: RewardFunction {
    let body: ([String], [String]) throws -> [Float]

    public init(_ body: @escaping ([String], [String]) throws -> [Float]) { self.body = body }

    public func scores(prompts: [String], completions: [String]) throws -> [Float] {
        try body(prompts, completions)
    }
}
