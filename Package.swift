// swift-tools-version: 6.1
// RLFineTuning: reinforcement-learning fine-tuning of language models, on the CPU, in Swift.
import Foundation
import PackageDescription

/// The library, bottom up: every target with its dependencies, which are exactly the package modules it imports
/// (`Scripts/check_dependencies.py`, run by `make test`, checks this, and that no library target depends on an
/// experiment target). Each is a library product, and the `RLFineTuning` umbrella re-exports them all.
let libraries: [(name: String, dependencies: [Target.Dependency])] = [
    // Tensors, modules, tokenizers and the language model (SplitMix64 below all: one generator for every layer; JSON
    // below all: one parser and writer for safetensors headers, tokenizer files and JSONL; Validation below all: one
    // vocabulary for bad input)
    ("Randomness", []),
    ("JSON", []),
    ("Validation", []),
    ("TensorCore", ["COpenBLAS", "CPUInfo", "Randomness", "JSON"]),
    ("NeuralNetworks", ["TensorCore", "Validation"]),
    ("Tokenizers", ["JSON", "Validation"]),
    ("LanguageModels", ["TensorCore", "NeuralNetworks", "Tokenizers", "Validation"]),
    // Data and metrics (Foundation only: usable without the model)
    ("TrainingData", ["JSON"]),
    ("Evaluation", ["Randomness", "Validation"]),
    // Ranks and collectives for data-parallel training: MPI with the `MPI` trait, one process without it
    ("Distributed", ["TensorCore", "NeuralNetworks", .target(name: "CMPI", condition: .when(traits: ["MPI"]))]),
    // What every trainer shares, then the bookkeeping of runs above it
    ("TrainingCore", ["TensorCore", "NeuralNetworks", "Distributed", "Validation"]),
    ("Runs", ["TrainingCore", "Validation"]),
    // Algorithms: InstructGPT's stages (Ouyang et al. 2022, arXiv 2203.02155)
    ("Pretraining", ["LanguageModels", "Tokenizers", "TrainingCore", "TrainingData", "NeuralNetworks", "TensorCore", "Runs", "Distributed"]),
    ("SFT", ["TensorCore", "NeuralNetworks", "LanguageModels", "Tokenizers", "TrainingData", "TrainingCore", "Distributed"]),
    ("RewardModeling", ["TensorCore", "NeuralNetworks", "LanguageModels", "Tokenizers", "TrainingData", "TrainingCore", "Evaluation", "Distributed"]),
    ("BestOfN", ["TensorCore", "LanguageModels", "TrainingCore", "Evaluation"]),
    // On-policy sampling and scoring with no critic (collector, reward source, token conventions), under PPO and the
    // critic-free methods; PPO adds its value head on top
    ("Rollouts", ["LanguageModels", "TrainingCore", "Tokenizers", "TensorCore"]),
    ("PPO", ["Rollouts", "LanguageModels", "TrainingCore", "Tokenizers", "NeuralNetworks", "TensorCore", "Distributed"]),
    // Beyond the papers: offline preference losses and critic-free RL
    ("DirectPreference", ["TensorCore", "NeuralNetworks", "LanguageModels", "Tokenizers", "TrainingData", "TrainingCore", "Distributed"]),
    ("CriticFreeRL", ["Rollouts", "LanguageModels", "TrainingCore", "Tokenizers", "NeuralNetworks", "TensorCore", "Distributed"]),
    // Quark (quantized reward conditioning), RLP (reward learning on policy), Rainier (a knowledge introspector
    // trained by imitation, then PPO against a fixed QA model)
    ("Quark", ["LanguageModels", "TrainingCore", "NeuralNetworks", "TensorCore", "Tokenizers"]),
    ("RLP", ["RewardModeling", "LanguageModels", "NeuralNetworks", "TensorCore", "Tokenizers", "TrainingCore", "TrainingData", "Evaluation"]),
    ("Rainier", ["SFT", "PPO", "LanguageModels", "Tokenizers", "TrainingCore", "TrainingData", "TensorCore"]),
]

/// Above the library: the built-in task, the toy worlds and the experiments that run on them, bottom up, with their
/// dependencies (checked as the library's are). Each is a library product, and the `RLFineTuningExperiments`
/// umbrella re-exports them with the library.
let experiments: [(name: String, dependencies: [Target.Dependency])] = [
    // The built-in instruction task and the toy worlds (Foundation only)
    ("Tasks", ["TrainingData", "Evaluation", "Validation"]),
    ("ReviewWorld", ["Randomness"]),
    ("CommonsenseWorld", ["Evaluation", "TrainingData", "Validation"]),
    // The InstructGPT pipeline (the main job)
    ("Pipeline", ["Pretraining", "SFT", "RewardModeling", "BestOfN", "PPO", "Tasks", "Evaluation", "Runs", "DirectPreference", "CriticFreeRL",
                   "LanguageModels", "NeuralNetworks", "TensorCore", "Tokenizers", "TrainingCore", "TrainingData"]),
    // The papers' experiments in miniature
    ("QuarkExperiments", ["Quark", "ReviewWorld", "Pretraining", "RewardModeling", "PPO", "Evaluation", "Runs", "LanguageModels",
                          "Tokenizers", "TrainingCore", "TensorCore", "NeuralNetworks"]),
    ("RLPExperiments", ["RLP", "Pretraining", "SFT", "RewardModeling", "BestOfN", "PPO", "Tasks", "Evaluation", "Runs", "LanguageModels",
                        "TensorCore", "Tokenizers", "TrainingCore", "TrainingData"]),
    ("RainierExperiments", ["Rainier", "CommonsenseWorld", "Pretraining", "SFT", "LanguageModels", "Tokenizers", "TrainingCore", "TrainingData", "TensorCore",
                            "Evaluation", "Runs"]),
]

/// Test targets and what they import (`Scripts/check_dependencies.py` checks that the two agree).
let tests: [(name: String, dependencies: [Target.Dependency])] = [
    ("JSONTests", ["JSON"]),
    ("TensorCoreTests", ["TensorCore", "TestSupport"]),
    ("NeuralNetworksTests", ["NeuralNetworks", "TensorCore"]),
    ("TrainingDataTests", ["TrainingData", "Evaluation"]),
    ("EvaluationTests", ["Evaluation"]),
    ("TasksTests", ["Tasks", "TrainingData", "Evaluation"]),
    ("TrainingCoreTests", ["TrainingCore", "TensorCore"]),
    // Collectives in one process; SFT, reward modelling and DPO under `mpirun -np 2` equal one process.
    ("DistributedTests", ["Distributed", "NeuralNetworks", "TensorCore", "LanguageModels", "Tokenizers"]),
    ("RunsTests", ["Runs"]),
    ("TokenizersTests", ["Tokenizers", "Evaluation"]),
    ("LanguageModelsTests", ["LanguageModels", "NeuralNetworks", "TensorCore", "TestSupport"]),
    ("PretrainingTests", ["Pretraining", "LanguageModels", "Tokenizers", "TensorCore", "TrainingCore", "Runs"]),
    ("SFTTests", ["SFT", "Runs", "Evaluation", "Tasks", "LanguageModels", "NeuralNetworks", "Tokenizers", "TrainingCore", "TensorCore", "TestSupport"]),
    ("RewardModelingTests", ["RewardModeling", "LanguageModels", "Tokenizers", "TrainingCore", "TensorCore", "Evaluation", "TestSupport"]),
    ("BestOfNTests", ["BestOfN", "LanguageModels", "Tokenizers", "TrainingCore", "TensorCore"]),
    ("PipelineTests", ["Pipeline", "LanguageModels", "TensorCore", "Runs", "TestSupport"]),
    ("PPOTests", ["PPO", "LanguageModels", "TrainingCore", "Tokenizers", "TensorCore", "TestSupport"]),
    ("DirectPreferenceTests", ["DirectPreference", "LanguageModels", "TrainingCore", "Tokenizers", "TensorCore", "TestSupport"]),
    ("CriticFreeRLTests", ["CriticFreeRL", "Rollouts", "LanguageModels", "TrainingCore", "Tokenizers", "TensorCore", "TestSupport"]),
    ("QuarkTests", ["Quark", "ReviewWorld", "QuarkExperiments", "LanguageModels", "TrainingCore", "TensorCore", "Runs", "Evaluation", "TestSupport"]),
    ("RLPTests", ["RLP", "RLPExperiments", "RewardModeling", "Tasks", "LanguageModels", "Tokenizers", "TrainingData", "TrainingCore", "TensorCore", "NeuralNetworks", "Runs", "TestSupport"]),
    // The Swift examples of README.md and the DocC articles (Scripts/doc_examples.py writes them), compiled.
    ("DocumentationExamplesTests", ["RLFineTuning", "RLFineTuningExperiments"]),
    ("RainierTests", ["Rainier", "RainierExperiments", "CommonsenseWorld", "TrainingData", "LanguageModels", "Tokenizers", "TrainingCore", "TensorCore", "Runs", "TestSupport"]),    // The command-line tool: every command's configuration, checked against its `--help` documentation.
    ("rlftTests", ["rlft", "Runs", "CriticFreeRL", "DirectPreference", "PPO", "QuarkExperiments", "Rainier", "RainierExperiments"]),
]

/// A test target's `Fixtures` folder holds data and the Python scripts that made it, not Swift sources.
func excludedTestFolders(_ name: String) -> [String] {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    let fixtures = root.appendingPathComponent("Tests/\(name)/Fixtures").path
    return FileManager.default.fileExists(atPath: fixtures) ? ["Fixtures"] : []
}

let packageProducts: [Product] = [
    .library(name: "RLFineTuning", targets: ["RLFineTuning"]),
    .library(name: "RLFineTuningExperiments", targets: ["RLFineTuningExperiments"]),
]
    + (libraries + experiments).map { .library(name: $0.name, targets: [$0.name]) }
    + [
        .executable(name: "rlft", targets: ["rlft"]),
        .executable(name: "rlft-bench", targets: ["rlft-bench"]),
    ]

let systemTargets: [Target] = [
    // MARK: System
    .systemLibrary(
        name: "COpenBLAS",
        pkgConfig: "openblas",
        providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]
    ),
    // MPI's C API (Open MPI's ompi-c), used by Distributed only when the `MPI` trait is enabled.
    .systemLibrary(
        name: "CMPI",
        pkgConfig: "ompi-c",
        providers: [.apt(["libopenmpi-dev"]), .brew(["open-mpi"])]
    ),
    // CPUID in C (Swift has no intrinsic for it): which vector extensions this processor executes.
    .target(name: "CPUInfo"),
]

// MARK: Library and experiments
let layeredTargets: [Target] = (libraries + experiments).map { .target(name: $0.name, dependencies: $0.dependencies) }

let toolTargets: [Target] = [
    // MARK: Umbrellas
    // `import RLFineTuning`: the library. `import RLFineTuningExperiments`: the library, the built-in task, the
    // toy worlds and the experiments.
    .target(name: "RLFineTuning", dependencies: libraries.map { .target(name: $0.name) }),
    .target(name: "RLFineTuningExperiments", dependencies: ["RLFineTuning"] + experiments.map { .target(name: $0.name) }),

    // MARK: Tools
    .executableTarget(name: "rlft", dependencies: ["RLFineTuning", "BestOfN", "CriticFreeRL", "DirectPreference", "Evaluation",
                                          "LanguageModels", "PPO", "Pipeline", "Pretraining", "QuarkExperiments", "RLPExperiments",
                                          "RainierExperiments", "RewardModeling", "Runs", "SFT", "Tasks", "TensorCore", "Tokenizers",
                                          "TrainingCore", "TrainingData", "Distributed"],
                      path: "Sources/rlft"),
    .executableTarget(name: "rlft-bench", dependencies: ["LanguageModels", "NeuralNetworks", "PPO", "TensorCore", "Distributed", "SFT",
                                                        "RewardModeling"], path: "Sources/rlft-bench"),

    // MARK: Examples
    .executableTarget(name: "instruction-tuning",
                      dependencies: ["BestOfN", "Evaluation", "LanguageModels", "NeuralNetworks", "RewardModeling", "Runs", "SFT",
                                     "Tasks", "TensorCore", "Tokenizers", "TrainingCore", "TrainingData"],
                      path: "Examples/instruction-tuning"),
    .executableTarget(name: "quark", dependencies: ["RLFineTuningExperiments"], path: "Examples/quark"),
    .executableTarget(name: "rlp", dependencies: ["RLFineTuningExperiments"], path: "Examples/rlp"),
    .executableTarget(name: "rainier", dependencies: ["RLFineTuningExperiments"], path: "Examples/rainier"),

    // MARK: Test support (not public API)
    .target(name: "TestSupport", dependencies: ["TensorCore", "Runs"]),
]

let package = Package(
    name: "RLFineTuning",
    products: packageProducts,
    // Off by default, so that a plain `swift build` needs no MPI installed (the Distributed article says why).
    traits: [
        .trait(name: "MPI", description: "Data-parallel training across processes and machines with Open MPI (Debian: libopenmpi-dev); without it, every communicator is one process"),
    ],
    targets: systemTargets + layeredTargets + toolTargets
        // MARK: Tests
        + tests.map { .testTarget(name: $0.name, dependencies: $0.dependencies, exclude: excludedTestFolders($0.name)) },
    // The sources are Swift 5 code (checked for concurrency in the Swift 5 mode), whatever the tools version.
    swiftLanguageModes: [.v5]
)
