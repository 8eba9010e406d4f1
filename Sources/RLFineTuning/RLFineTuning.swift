// The library umbrella: `import RLFineTuning` brings in every library target, from tensors to the algorithms. The
// built-in task, the toy worlds and the experiments are in the RLFineTuningExperiments umbrella.
@_exported import Randomness
@_exported import JSON
@_exported import Validation
@_exported import TensorCore
@_exported import NeuralNetworks
@_exported import Tokenizers
@_exported import LanguageModels
@_exported import TrainingData
@_exported import Evaluation
@_exported import TrainingCore
@_exported import Distributed
@_exported import Runs
@_exported import Pretraining
@_exported import SFT
@_exported import RewardModeling
@_exported import BestOfN
@_exported import Rollouts
@_exported import PPO
@_exported import DirectPreference
@_exported import CriticFreeRL
@_exported import Quark
@_exported import RLP
@_exported import Rainier

/// This package's identity, for `rlft --version` and reports.
public enum RLFineTuningPackage {
    /// The package's version (semantic versioning), raised with each release.
    public static let version = "0.1.0"
}
