// swift-tools-version: 5.9
// RLFineTuning: reinforcement-learning fine-tuning of language models, on the CPU, in Swift.
import Foundation
import PackageDescription

/// Every library target, bottom up, with its dependencies: exactly the package modules it imports, which
/// `Scripts/check_dependencies.py` (run by `make test`) checks. Each is also a library product, and the
/// `RLFineTuning` umbrella re-exports them all.
let libraries: [(name: String, dependencies: [Target.Dependency])] = [
    // Core
    ("TensorCore", ["COpenBLAS", "CPUInfo"]),
    ("NeuralNetworks", ["TensorCore"]),
    ("Tokenizers", []),
    ("LanguageModels", ["TensorCore", "NeuralNetworks", "Tokenizers"]),
    // Data, metrics and the built-in task (Foundation only: usable without the model)
    ("TrainingData", []),
    ("Evaluation", []),
    ("Tasks", ["TrainingData", "Evaluation"]),
    // Training infrastructure
    ("TrainingCore", ["TensorCore", "NeuralNetworks"]),
    ("Runs", ["TrainingCore"]),
    ("Pretraining", ["LanguageModels", "Tokenizers", "TrainingCore", "TrainingData", "NeuralNetworks", "TensorCore", "Runs"]),
    // Algorithms
    ("SFT", ["TensorCore", "NeuralNetworks", "LanguageModels", "Tokenizers", "TrainingData", "TrainingCore"]),
    ("RewardModeling", ["TensorCore", "NeuralNetworks", "LanguageModels", "Tokenizers", "TrainingData", "TrainingCore", "Evaluation"]),
    ("BestOfN", ["TensorCore", "LanguageModels", "TrainingCore", "Evaluation"]),
    ("PPO", ["LanguageModels", "TrainingCore", "Tokenizers", "NeuralNetworks", "TensorCore"]),
    // Beyond the papers: offline preference losses and critic-free RL
    ("DirectPreference", ["TensorCore", "NeuralNetworks", "LanguageModels", "Tokenizers", "TrainingData", "TrainingCore"]),
    ("CriticFreeRL", ["PPO", "LanguageModels", "TrainingCore", "Tokenizers", "NeuralNetworks", "TensorCore"]),
    // The InstructGPT pipeline (the main job)
    ("Pipeline", ["Pretraining", "SFT", "RewardModeling", "BestOfN", "PPO", "Tasks", "Evaluation", "Runs", "DirectPreference", "CriticFreeRL",
                   "LanguageModels", "NeuralNetworks", "TensorCore", "Tokenizers", "TrainingCore", "TrainingData"]),
    // Quark (quantized reward conditioning), its review world and its three experiments
    ("Quark", ["LanguageModels", "TrainingCore", "NeuralNetworks", "TensorCore", "Tokenizers"]),
    ("ReviewWorld", []),
    ("QuarkExperiments", ["Quark", "ReviewWorld", "Pretraining", "RewardModeling", "PPO", "Evaluation", "Runs", "LanguageModels",
                          "Tokenizers", "TrainingCore", "TensorCore", "NeuralNetworks"]),
    // RLP (reward learning on policy): the algorithm, and its experiment on the built-in instruction task
    ("RLP", ["RewardModeling", "LanguageModels", "NeuralNetworks", "TensorCore", "Tokenizers", "TrainingCore", "TrainingData", "Evaluation"]),
    ("RLPExperiments", ["RLP", "Pretraining", "SFT", "RewardModeling", "BestOfN", "PPO", "Tasks", "Evaluation", "Runs", "LanguageModels",
                        "TensorCore", "Tokenizers", "TrainingCore", "TrainingData"]),
    // Rainier: a knowledge introspector trained by imitation, then PPO against a fixed QA model
    ("CommonsenseWorld", ["Evaluation", "TrainingData"]),
    ("Rainier", ["SFT", "PPO", "LanguageModels", "Tokenizers", "TrainingCore", "TrainingData", "TensorCore"]),
    ("RainierExperiments", ["Rainier", "CommonsenseWorld", "SFT", "LanguageModels", "Tokenizers", "TrainingCore", "TrainingData", "TensorCore",
                            "Evaluation", "Runs"]),
]

/// Test targets and what they import (`Scripts/check_dependencies.py` checks that the two agree).
let tests: [(name: String, dependencies: [Target.Dependency])] = [
    ("TensorCoreTests", ["TensorCore", "TestSupport"]),
    ("NeuralNetworksTests", ["NeuralNetworks", "TensorCore"]),
    ("TrainingDataTests", ["TrainingData", "Evaluation"]),
    ("EvaluationTests", ["Evaluation"]),
    ("TasksTests", ["Tasks", "TrainingData", "Evaluation"]),
    ("TrainingCoreTests", ["TrainingCore", "TensorCore"]),
    ("RunsTests", ["Runs"]),
    ("TokenizersTests", ["Tokenizers", "Evaluation"]),
    ("LanguageModelsTests", ["LanguageModels", "NeuralNetworks", "TensorCore", "TestSupport"]),
    ("PretrainingTests", ["Pretraining", "LanguageModels", "Tokenizers", "TensorCore", "TrainingCore", "Runs"]),
    ("SFTTests", ["SFT", "Runs", "Evaluation", "Tasks", "LanguageModels", "Tokenizers", "TrainingCore", "TensorCore", "TestSupport"]),
    ("RewardModelingTests", ["RewardModeling", "LanguageModels", "Tokenizers", "TrainingCore", "TensorCore", "Evaluation", "TestSupport"]),
    ("BestOfNTests", ["BestOfN", "LanguageModels", "Tokenizers", "TrainingCore", "TensorCore"]),
    ("PipelineTests", ["Pipeline", "Runs", "TestSupport"]),
    ("PPOTests", ["PPO", "LanguageModels", "TrainingCore", "Tokenizers", "TensorCore", "TestSupport"]),
    ("DirectPreferenceTests", ["DirectPreference", "LanguageModels", "TrainingCore", "Tokenizers", "TensorCore", "TestSupport"]),
    ("CriticFreeRLTests", ["CriticFreeRL", "PPO", "LanguageModels", "TrainingCore", "Tokenizers", "TensorCore", "TestSupport"]),
    ("QuarkTests", ["Quark", "ReviewWorld", "QuarkExperiments", "LanguageModels", "TrainingCore", "TensorCore", "Runs", "TestSupport"]),
    ("RLPTests", ["RLP", "RLPExperiments", "RewardModeling", "Tasks", "LanguageModels", "Tokenizers", "TrainingData", "TrainingCore", "TensorCore", "NeuralNetworks", "Runs", "TestSupport"]),
    // The Swift examples of README.md and the DocC articles (Scripts/doc_examples.py writes them), compiled.
    ("DocumentationExamplesTests", ["RLFineTuning"]),
    ("RainierTests", ["Rainier", "RainierExperiments", "CommonsenseWorld", "TrainingData", "LanguageModels", "Tokenizers", "TrainingCore", "TensorCore", "Runs", "TestSupport"]),
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
        // CPUID in C (Swift has no intrinsic for it): which vector extensions this processor executes.
        .target(name: "CPUInfo"),
    ]
        // MARK: Libraries
        + libraries.map { .target(name: $0.name, dependencies: $0.dependencies) }
        + [
            // MARK: Umbrella
            .target(name: "RLFineTuning", dependencies: libraries.map { .target(name: $0.name) }),

            // MARK: Tools
            .executableTarget(name: "rlft", dependencies: ["RLFineTuning", "BestOfN", "CriticFreeRL", "DirectPreference", "Evaluation",
                                                  "LanguageModels", "PPO", "Pipeline", "Pretraining", "QuarkExperiments", "RLPExperiments",
                                                  "RainierExperiments", "RewardModeling", "Runs", "SFT", "Tasks", "TensorCore", "Tokenizers",
                                                  "TrainingCore", "TrainingData"],
                              path: "Sources/rlft"),
            .executableTarget(name: "rlft-bench", dependencies: ["LanguageModels", "NeuralNetworks", "PPO", "TensorCore"], path: "Sources/rlft-bench"),

            // MARK: Examples
            .executableTarget(name: "instruction-tuning",
                              dependencies: ["BestOfN", "Evaluation", "LanguageModels", "NeuralNetworks", "RewardModeling", "Runs", "SFT",
                                             "Tasks", "TensorCore", "Tokenizers", "TrainingCore", "TrainingData"],
                              path: "Examples/instruction-tuning"),
            .executableTarget(name: "quark", dependencies: ["RLFineTuning"], path: "Examples/quark"),
            .executableTarget(name: "rlp", dependencies: ["RLFineTuning"], path: "Examples/rlp"),
            .executableTarget(name: "rainier", dependencies: ["RLFineTuning"], path: "Examples/rainier"),

            // MARK: Test support (not public API)
            .target(name: "TestSupport", dependencies: ["TensorCore", "Runs"]),
        ]
        // MARK: Tests
        + tests.map { .testTarget(name: $0.name, dependencies: $0.dependencies, exclude: excludedTestFolders($0.name)) }
)
