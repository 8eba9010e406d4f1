// The configuration types of the commands, in one list for the tests.
import BestOfN
import CriticFreeRL
import DirectPreference
import PPO
import Pipeline
import Pretraining
import QuarkExperiments
import RLPExperiments
import RainierExperiments
import RewardModeling
import Runs
import SFT
import Tasks

/// The configuration of every command that reads one with `--config FILE.json` and `--key value` overrides, in
/// `rlft --help` order; the tests check each one's documented keys against its JSON keys, and that its defaults
/// validate. A command with a new configuration type adds it here.
public let documentedConfigurations: [any DocumentedConfiguration.Type] = [
    InstructionTaskConfig.self, PretrainingConfig.self, GenerateSettings.self, SFTConfig.self, RewardModelConfig.self,
    BestOfNConfig.self, PPOConfig.self, PipelineConfig.self, RLPExperimentConfig.self, EvalConfig.self,
    DirectPreferenceConfig.self, RLOOConfig.self, GRPOConfig.self, QuarkExperimentConfig.self, RainierExperimentConfig.self,
]
