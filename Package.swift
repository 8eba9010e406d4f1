// swift-tools-version: 5.9
// RLFineTuning: reinforcement-learning fine-tuning of language models, on the CPU, in Swift.
import Foundation
import PackageDescription

/// Every library target, bottom up, with its dependencies. Each is also a library product, and the
/// `RLFineTuning` umbrella re-exports them all.
let libraries: [(name: String, dependencies: [Target.Dependency])] = [
    // Core
    ("TensorCore", ["COpenBLAS"]),
    ("NeuralNetworks", ["TensorCore"]),
    ("Tokenizers", []),
    ("LanguageModels", ["TensorCore", "NeuralNetworks"]),
    // Data, metrics and the built-in task (Foundation only: usable without the model)
    ("TrainingData", []),
    ("Evaluation", []),
    ("Tasks", ["TrainingData", "Evaluation"]),
    // Training infrastructure
    ("TrainingCore", ["TensorCore", "NeuralNetworks", "Runs"]),
    ("Runs", []),
    ("Pretraining", ["LanguageModels", "Tokenizers", "TrainingCore", "TrainingData", "NeuralNetworks", "TensorCore", "Runs"]),
    // Algorithms
    ("SFT", ["TensorCore", "NeuralNetworks", "LanguageModels", "Tokenizers", "TrainingData", "TrainingCore"]),
    ("RewardModeling", ["TensorCore", "NeuralNetworks", "LanguageModels", "Tokenizers", "TrainingData", "TrainingCore", "Evaluation"]),
    ("BestOfN", ["TensorCore", "LanguageModels", "Tokenizers", "TrainingCore", "Evaluation", "Tasks"]),
    ("PPO", ["LanguageModels", "TrainingCore", "Tokenizers", "NeuralNetworks", "TensorCore", "TrainingData"]),
    // Beyond the papers: offline preference losses and critic-free RL
    ("DirectPreference", ["TensorCore", "NeuralNetworks", "LanguageModels", "Tokenizers", "TrainingData", "TrainingCore"]),
    ("CriticFreeRL", ["PPO", "LanguageModels", "TrainingCore", "Tokenizers", "NeuralNetworks", "TensorCore"]),
    // The InstructGPT pipeline (the main job)
    ("Pipeline", ["Pretraining", "SFT", "RewardModeling", "BestOfN", "PPO", "Tasks", "Evaluation", "Runs", "DirectPreference", "CriticFreeRL"]),
    // Quark (quantized reward conditioning), its review world and its three experiments
    ("Quark", ["LanguageModels", "TrainingCore", "NeuralNetworks", "TensorCore", "Tokenizers"]),
    ("ReviewWorld", []),
    ("QuarkExperiments", ["Quark", "ReviewWorld", "Pretraining", "RewardModeling", "PPO", "Evaluation", "Runs", "LanguageModels",
                          "Tokenizers", "TrainingCore", "TensorCore", "NeuralNetworks"]),
    ("RLP", ["Pretraining", "SFT", "RewardModeling", "BestOfN", "PPO", "Tasks", "Evaluation", "Runs", "LanguageModels", "NeuralNetworks", "TensorCore", "Tokenizers", "TrainingCore", "TrainingData"]),
    // Rainier: a knowledge introspector trained by imitation, then PPO against a fixed QA model
    ("CommonsenseWorld", ["Evaluation"]),
    ("Rainier", ["CommonsenseWorld", "SFT", "PPO", "LanguageModels", "Tokenizers", "TrainingCore", "TrainingData", "TensorCore", "NeuralNetworks", "Evaluation", "Runs"]),
]

/// Test targets and what they import.
let tests: [(name: String, dependencies: [Target.Dependency])] = [
    ("TensorCoreTests", ["TensorCore", "TestSupport"]),
    ("NeuralNetworksTests", ["NeuralNetworks", "TestSupport"]),
    ("TrainingDataTests", ["TrainingData", "Evaluation"]),
    ("EvaluationTests", ["Evaluation"]),
    ("TasksTests", ["Tasks", "TrainingData", "Evaluation"]),
    ("TrainingCoreTests", ["TrainingCore", "TensorCore", "TestSupport"]),
    ("RunsTests", ["Runs"]),
    ("TokenizersTests", ["Tokenizers", "Evaluation"]),
    ("LanguageModelsTests", ["LanguageModels", "TestSupport"]),
    ("PretrainingTests", ["Pretraining", "LanguageModels", "Tokenizers", "TensorCore", "Runs"]),
    ("SFTTests", ["SFT", "Runs", "BestOfN", "Tasks", "LanguageModels", "Tokenizers", "TrainingData", "TrainingCore", "TensorCore", "NeuralNetworks", "TestSupport"]),
    ("RewardModelingTests", ["RewardModeling", "SFT", "Tasks", "LanguageModels", "Tokenizers", "TrainingData", "TrainingCore", "TensorCore", "Evaluation", "TestSupport"]),
    ("BestOfNTests", ["BestOfN", "Tasks", "LanguageModels", "Tokenizers", "TrainingCore", "TensorCore"]),
    ("PipelineTests", ["Pipeline", "Runs", "TestSupport"]),
    ("PPOTests", ["PPO", "LanguageModels", "TrainingCore", "Tokenizers", "NeuralNetworks", "TensorCore", "TestSupport"]),
    ("DirectPreferenceTests", ["DirectPreference", "LanguageModels", "TrainingCore", "TrainingData", "Tokenizers", "TensorCore", "TestSupport"]),
    ("CriticFreeRLTests", ["CriticFreeRL", "PPO", "LanguageModels", "TrainingCore", "Tokenizers", "TensorCore", "TestSupport"]),
    ("QuarkTests", ["Quark", "ReviewWorld", "QuarkExperiments", "LanguageModels", "TrainingCore", "Tokenizers", "NeuralNetworks", "TensorCore", "TestSupport"]),
    ("RLPTests", ["RLP", "RewardModeling", "BestOfN", "Tasks", "LanguageModels", "Tokenizers", "TrainingData", "TrainingCore", "TensorCore", "NeuralNetworks", "TestSupport"]),
    ("RainierTests", ["Rainier", "CommonsenseWorld", "PPO", "LanguageModels", "Tokenizers", "TrainingCore", "TensorCore", "TestSupport"]),
]

/// A test target's `Fixtures` folder holds data and the Python scripts that made it, not Swift sources.
func excludedTestFolders(_ name: String) -> [String] {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    let fixtures = root.appendingPathComponent("Tests/\(name)/Fixtures").path
    return FileManager.default.fileExists(atPath: fixtures) ? ["Fixtures"] : []
}

let package = Package(
    name: "RLFineTuning",
    products: [.library(name: "RLFineTuning", targets: ["RLFineTuning"])]
        + libraries.map { .library(name: $0.name, targets: [$0.name]) }
        + [
            .executable(name: "rlft", targets: ["rlft"]),
            .executable(name: "rlft-bench", targets: ["rlft-bench"]),
        ],
    targets: [
        // MARK: System
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]
        ),
    ]
        // MARK: Libraries
        + libraries.map { .target(name: $0.name, dependencies: $0.dependencies) }
        + [
            // MARK: Umbrella
            .target(name: "RLFineTuning", dependencies: libraries.map { .target(name: $0.name) }),

            // MARK: Tools
            .executableTarget(name: "rlft", dependencies: ["RLFineTuning"], path: "Sources/rlft"),
            .executableTarget(name: "rlft-bench", dependencies: ["RLFineTuning"], path: "Sources/rlft-bench"),

            // MARK: Examples
            .executableTarget(name: "instruction-tuning", dependencies: ["RLFineTuning"], path: "Examples/instruction-tuning"),
            .executableTarget(name: "quark", dependencies: ["RLFineTuning"], path: "Examples/quark"),
            .executableTarget(name: "rlp", dependencies: ["RLFineTuning"], path: "Examples/rlp"),
            .executableTarget(name: "rainier", dependencies: ["RLFineTuning"], path: "Examples/rainier"),

            // MARK: Test support (not public API)
            .target(name: "TestSupport", dependencies: ["TensorCore", "Runs"]),
        ]
        // MARK: Tests
        + tests.map { .testTarget(name: $0.name, dependencies: $0.dependencies, exclude: excludedTestFolders($0.name)) }
)
