// The pipeline's optional stages beyond the papers (`methods`): DPO, IPO, KTO and ORPO from the SFT model on the
// reward model's own comparisons (offline), and RLOO and GRPO from the SFT model against the same reward model
// (online, with PPO's learning rate, missing-stop penalty and 4 updates per batch). Each is one timed stage and one
// row of the table, evaluated like PPO.
import Foundation
import CriticFreeRL
import DirectPreference
import LanguageModels
import PPO
import RewardModeling
import Tokenizers
import TrainingCore
import TrainingData

/// The methods `PipelineConfig.methods` may list, in table order.
public let pipelineAdditionalMethods = ["dpo", "ipo", "kto", "orpo", "rloo", "grpo"]

extension InstructGPTPipeline {
    /// Trains every method of `config.methods` from the SFT model; returns (table name, model) in table order.
    ///
    /// - Parameter comparisons: the reward model's training comparisons (the task's and the labelled SFT-sample
    ///   pairs), so that the offline methods learn from exactly the preferences the reward model saw.
    func runAdditionalMethods(data: PipelineData, comparisons records: [PreferenceRecord], sft: GPT, reward: RewardModelFunction,
                              tokenizer: any Tokenizer, tokens: TokenConventions) throws -> [(String, GPT)] {
        let wanted = pipelineAdditionalMethods.filter { config.methods.contains($0) }
        guard !wanted.isEmpty else { return [] }
        var comparisons = try PreferencePair.encode(records, tokenizer: tokenizer, contextLength: config.contextLength)
        let heldOut = try PreferencePair.encode(data.heldOutComparisons, tokenizer: tokenizer, contextLength: config.contextLength)
        if config.maximumSteps > 0 { comparisons = Array(comparisons.prefix(config.maximumSteps * 16)) }
        var out: [(String, GPT)] = []
        for method in wanted {
            let name = method.uppercased()
            let model = try clock.resumable(name, restore: { _ in try self.loadModel(method) }) { () throws -> GPT in
                try run.removeMetrics { $0["phase"] as? String == name }   // an interrupted method starts over
                let policy = try sft.fineTunable(lora: lora, seed: config.seed)
                switch method {
                case "rloo", "grpo":
                    let generations = method == "rloo" ? 4 : 8
                    let algorithm: CriticFreeAlgorithm
                    if method == "rloo" {
                        var c = RLOOConfig()
                        (c.iterations, c.generations, c.promptsPerIteration) = (config.capped(config.methodIterations), generations, Swift.max(1, config.ppoBatchSize / generations))
                        (c.learningRate, c.maximumNewTokens, c.seed) = (config.ppoLearningRate, config.maximumNewTokens, config.seed)
                        (c.epochs, c.missingStopPenalty) = (4, -1)   // PPO's update budget and stop penalty
                        algorithm = .rloo(c)
                    } else {
                        var c = GRPOConfig()
                        (c.iterations, c.generations, c.promptsPerIteration) = (config.capped(config.methodIterations), generations, Swift.max(1, config.ppoBatchSize / generations))
                        (c.learningRate, c.maximumNewTokens, c.seed) = (config.ppoLearningRate, config.maximumNewTokens, config.seed)
                        (c.epochs, c.missingStopPenalty) = (4, -1)   // PPO's update budget and stop penalty
                        algorithm = .grpo(c)
                    }
                    let trainer = try CriticFreeTrainer(algorithm: algorithm, policy: policy, reference: sft.frozenReference(lora: lora),
                                                        reward: .rewardModel(reward.normalizedModel()), tokenizer: tokenizer, tokens: tokens)
                    try trainer.train(prompts: data.rlPrompts) { event in
                        if case .step(let step, let total, let metrics) = event, step % 10 == 0 || step == total {
                            self.log(String(format: "%@ iteration %d/%d: reward %.3f, KL %.3f, zero-variance groups %.2f", name, step, total ?? 0,
                                            metrics["objective/reward"] ?? .nan, metrics["objective/kl"] ?? .nan,
                                            metrics["objective/zero_std_fraction"] ?? .nan))
                        }
                        return self.record(event, phase: name)
                    }
                default:
                    var c = DirectPreferenceConfig()
                    (c.epochs, c.learningRate, c.batchSize, c.seed) = (config.methodEpochs, Double(config.methodLearningRate), 16, config.seed)
                    let kind: DirectPreferenceMethod = method == "kto" ? .kto : (method == "orpo" ? .orpo : .dpo)
                    if method == "ipo" { c.loss = .ipo }
                    let trainer = try DirectPreferenceTrainer(method: kind, config: c, policy: policy, reference: sft.frozenReference(lora: lora),
                                                              padToken: tokens.padToken, training: .paired(comparisons), validation: heldOut)
                    if let initial = try trainer.evaluate() { _ = self.record(.evaluation(step: 0, metrics: initial), phase: name) }
                    try trainer.train { event in
                        if case .evaluation(_, let metrics) = event {
                            self.log(String(format: "%@: held-out implicit-reward accuracy %.3f, margin %.3f", name,
                                            metrics["eval/rewards/accuracy"] ?? .nan, metrics["eval/rewards/margin"] ?? .nan))
                        }
                        return self.record(event, phase: name)
                    }
                }
                try clock.stopIfRequested(during: name)
                return try save(policy, tokenizer, method)
            }
            out.append((name, model))
        }
        return out
    }
}

extension PipelineConfig {
    /// Checks `methods` and the settings of the extra methods.
    func validateAdditionalMethods() throws {
        if let unknown = methods.first(where: { !pipelineAdditionalMethods.contains($0) }) {
            throw ConfigurationError.invalidValue(field: "methods", value: unknown, requirement: "each entry must be one of \(pipelineAdditionalMethods.joined(separator: ", "))")
        }
        try require(methodEpochs >= 1, "methodEpochs", methodEpochs, "it must be at least 1")
        try require(methodIterations >= 1, "methodIterations", methodIterations, "it must be at least 1")
        try require(methodLearningRate > 0 && methodLearningRate.isFinite, "methodLearningRate", methodLearningRate, "it must be positive, such as 1e-5")
        try require(ppoBatchSize >= 8 || methods.allSatisfy { !["rloo", "grpo"].contains($0) }, "ppoBatchSize", ppoBatchSize,
                    "RLOO and GRPO need at least 8 episodes per iteration")
    }
}
