// Where the sequence score of an episode comes from, for every on-policy method (PPO, RLOO, GRPO, Rainier's stage II).
import Foundation
import LanguageModels
import TrainingCore

/// Where the sequence score of an episode comes from.
public enum RolloutReward {
    /// Any reward function on text: prompts and decoded completions (a rule, a gold score, a reward model
    /// behind its own tokenizer).
    case function(any RewardFunction)
    /// A reward model that shares the policy's tokenizer, read on `[prompt | response]` token ids directly
    /// (no decoding and re-encoding).
    case rewardModel(RewardModel)
}
