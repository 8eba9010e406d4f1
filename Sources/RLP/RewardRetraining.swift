// RLP's reward retraining (Lang et al. 2024, arXiv 2403.19279, §4.1 eq. 1, Algorithm 1 line 4): a reward model
// trained again on the human comparisons, with either the multi-view loss on the policy's samples (UML) or synthetic
// comparisons made from them (SPG).
import Foundation
import LanguageModels
import NeuralNetworks
import RewardModeling
import TensorCore
import Tokenizers
import TrainingCore
import TrainingData

/// The reward model's representation of each row: the last real token's final hidden state (the vector its head
/// reads), `[B, C]`, differentiable into the trunk.
public func lastTokenRepresentations(_ model: RewardModel, _ batch: TokenBatch) throws -> Variable {
    let hidden = try model.trunk.hiddenStates(batch)
    let b = batch.batchSize, t = batch.length, c = model.trunk.config.embeddingSize
    let rows = try batch.lastRealIndices().enumerated().map { Int32($0.offset * t + $0.element) }
    return try hidden.reshaped([b * t, c]).embedding(rows, shape: [b])
}

/// What a reward retraining produced.
public struct RewardRetrainingResult {
    /// The retrained, normalised reward model.
    public var reward: RewardModelFunction
    /// The trainer (its `model`, `step`, evaluation).
    public var trainer: RewardModelTrainer
    public var training: RewardModelResult
    /// SPG's synthetic comparisons and per-prompt decisions (nil for UML).
    public var synthetic: SyntheticPreferences?
    /// Synthetic comparisons actually trained on (those that fit the context).
    public var syntheticPairCount: Int
    /// UML's encoder and critic (nil for SPG).
    public var multiView: MultiViewInformationBottleneck?
}

/// Retrains a reward model the RLP way.
///
/// ```swift
/// let retrainer = RewardRetrainer(config: RLPConfig(), rewardConfig: rmConfig, tokenizer: tokenizer, padToken: pad)
/// let uml = try retrainer.retrain(.uml, sft: sft, previous: reward, human: comparisons, policySamples: samples,
///                                 references: referenceRows)
/// let spg = try retrainer.retrain(.spg, sft: sft, previous: reward, human: comparisons, policySamples: samples,
///                                 references: referenceRows,
///                                 equivalent: { prompt, a, b in try task.statesSameAnswer(prompt: prompt, a, b) })
/// ```
///
/// Metrics (through `progress`): the reward trainer's `reward/…` keys; with UML also `rlp/mutual_information`,
/// `rlp/symmetrized_kl`, `reward/auxiliary_loss` (= λ·L_M) and `rlp/view_prompts` (the unlabelled prompts, two policy
/// samples each, that the step's multi-view term saw).
public struct RewardRetrainer {
    public var config: RLPConfig
    /// The reward-model training settings (the same as the first reward model's, typically).
    public var rewardConfig: RewardModelConfig
    public var tokenizer: any Tokenizer
    public var padToken: Int32

    /// - Throws: `ConfigurationError` for a bad configuration.
    public init(config: RLPConfig, rewardConfig: RewardModelConfig, tokenizer: any Tokenizer, padToken: Int32) throws {
        try config.validate()
        try rewardConfig.validate()
        self.config = config
        self.rewardConfig = rewardConfig
        self.tokenizer = tokenizer
        self.padToken = padToken
    }

    /// Retrains: a new reward model (from the SFT model or the previous reward model, per `config.initialization`)
    /// trained with Bradley–Terry on `human` (SPG: plus the synthetic comparisons) and, for UML,
    /// `λ·(−Î + β·SKL)` on two views per prompt of `policySamples`, then normalised on `references` as the
    /// reward config says.
    ///
    /// - Parameters:
    ///   - variant: UML or SPG.
    ///   - sft: The supervised model (the fresh reward model's trunk is a copy).
    ///   - previous: The first reward model: SPG ranks the largest cluster with it.
    ///   - human: The human comparisons D.
    ///   - policySamples: P, n responses per unlabelled prompt from the PPO policy.
    ///   - references: `prompt ‖ reference` token rows for the normalisation.
    ///   - validation: Held-out comparisons evaluated after training (optional).
    ///   - equivalent: SPG's semantic equivalence of two responses to a prompt (unused by UML).
    /// - Throws: `TrainingError` for empty or ill-fitting data; what `equivalent` throws.
    public func retrain(_ variant: RLPVariant, sft: GPT, previous: RewardModelFunction, human: [PreferenceRecord],
                        policySamples: [PolicySampleGroup], references: [[Int32]], validation: [ComparisonGroup] = [],
                        progress: TrainingProgress = { _ in .continue },
                        equivalent: (_ prompt: String, _ a: String, _ b: String) throws -> Bool = { _, a, b in a == b })
        throws -> RewardRetrainingResult {
        let context = sft.config.contextLength
        var rng = SeededGenerator(seed: config.seed)
        var headRNG = SeededGenerator(seed: rewardConfig.seed)
        let model: RewardModel
        switch config.initialization {
        case .fromSFT: model = RewardModel(trunk: sft.copy(), using: &headRNG)
        case .fromPreviousRewardModel: model = previous.model.copy()
        }
        var records = human
        var synthetic: SyntheticPreferences?
        var syntheticCount = 0
        if variant == .spg {
            let flatPrompts = policySamples.flatMap { g in Array(repeating: g.prompt, count: g.responses.count) }
            let flatScores = try previous.scores(prompts: flatPrompts, completions: policySamples.flatMap(\.responses))
            var offset = 0
            let rewards = policySamples.map { g -> [Float] in
                defer { offset += g.responses.count }
                return Array(flatScores[offset..<(offset + g.responses.count)])
            }
            let made = try generateSyntheticPreferences(policySamples, rewards: rewards, threshold: config.confidenceThreshold,
                                                        using: &rng, equivalent: equivalent)
            let fitting = try made.pairs.filter { try fits($0, context: context) }
            syntheticCount = fitting.count
            records += fitting
            synthetic = made
        }
        let groups = try ComparisonGroup.encode(records, tokenizer: tokenizer, contextLength: context)
        var multiView: MultiViewInformationBottleneck?
        var auxiliary: [(String, Variable)] = []
        if variant == .uml && config.multiViewWeight > 0 {
            let mib = MultiViewInformationBottleneck(inputSize: sft.config.embeddingSize, hiddenSize: config.encoderHiddenSize,
                                                     codeSize: config.codeSize, beta: Float(config.symmetrizedKLWeight), using: &rng)
            multiView = mib
            auxiliary = mib.namedParameters()
        }
        let trainer = try RewardModelTrainer(model: model, config: rewardConfig, padToken: padToken, training: groups,
                                             validation: validation, auxiliaryParameters: auxiliary)
        if let mib = multiView {
            let views = try viewRows(policySamples, context: context)
            guard views.count >= 2 else {
                throw TrainingError.emptyData(what: "policy-sample prompts with two different responses for UML's views (found \(views.count); need 2)")
            }
            let weight = Float(config.multiViewWeight), batchSize = min(config.viewBatchSize, views.count), pad = padToken
            var viewRNG = SeededGenerator(seed: config.seed &+ 1)
            trainer.auxiliaryLoss = { _ in
                // B distinct prompts, two distinct responses each: rows 0..<B are view 1, B..<2B view 2.
                var order = Array(views.indices)
                order.shuffle(using: &viewRNG)
                var first: [[Int32]] = [], second: [[Int32]] = []
                for v in order.prefix(batchSize) {
                    let rows = views[v]
                    let a = Int.random(in: 0..<rows.count, using: &viewRNG)
                    var b = Int.random(in: 0..<(rows.count - 1), using: &viewRNG)
                    if b >= a { b += 1 }
                    first.append(rows[a])
                    second.append(rows[b])
                }
                let h = try lastTokenRepresentations(model, TokenBatch(rightPadding: first + second, padToken: pad))
                let terms = try mib.loss(h.slice(axis: 0, 0..<batchSize), h.slice(axis: 0, batchSize..<(2 * batchSize)),
                                         using: &viewRNG)
                return (terms.loss * weight, ["rlp/mutual_information": terms.mutualInformation,
                                              "rlp/symmetrized_kl": terms.symmetrizedKL, "rlp/view_prompts": Double(batchSize)])
            }
        }
        let training = try trainer.train(progress: progress)
        let normalizer = try trainer.fitNormalizer(references: references)
        return RewardRetrainingResult(reward: RewardModelFunction(model: model, tokenizer: tokenizer, normalizer: normalizer, padToken: padToken),
                                      trainer: trainer, training: training, synthetic: synthetic,
                                      syntheticPairCount: syntheticCount, multiView: multiView)
    }

    /// Whether both sides of a comparison fit the context once tokenised.
    func fits(_ record: PreferenceRecord, context: Int) throws -> Bool {
        let prompt = try tokenizer.encode(record.prompt).count
        let longest = max(try tokenizer.encode(record.chosen).count, try tokenizer.encode(record.rejected).count)
        return prompt > 0 && longest > 0 && prompt + longest <= context
    }

    /// For each prompt with at least two distinct responses, its distinct `prompt ‖ response` rows (cut to the
    /// context). Identical responses would make identical views, which carry no multi-view signal.
    func viewRows(_ groups: [PolicySampleGroup], context: Int) throws -> [[[Int32]]] {
        try groups.compactMap { group -> [[Int32]]? in
            let prompt = try tokenizer.encode(group.prompt)
            var seen = Set<[Int32]>(), rows: [[Int32]] = []
            for response in group.responses {
                var row = prompt + (try tokenizer.encode(response))
                if row.count > context { row.removeLast(row.count - context) }
                if seen.insert(row).inserted { rows.append(row) }
            }
            return rows.count >= 2 ? rows : nil
        }
    }
}
