// swift-tools-version: 5.9
// RLFineTuning: reinforcement-learning fine-tuning of language models, on the CPU, in Swift.
import PackageDescription

let package = Package(
    name: "RLFineTuning",
    products: [
        .library(name: "RLFineTuning", targets: ["RLFineTuning"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "NeuralNetworks", targets: ["NeuralNetworks"]),
        .library(name: "TrainingData", targets: ["TrainingData"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "Tasks", targets: ["Tasks"]),
        .executable(name: "rlft-bench", targets: ["rlft-bench"]),
    ],
    targets: [
        // MARK: Core
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]
        ),
        .target(name: "TensorCore", dependencies: ["COpenBLAS"]),
        .target(name: "NeuralNetworks", dependencies: ["TensorCore"]),

        // MARK: Data, metrics and the built-in task
        .target(name: "TrainingData"),
        .target(name: "Evaluation"),
        .target(name: "Tasks", dependencies: ["TrainingData", "Evaluation"]),

        // MARK: Umbrella
        .target(name: "RLFineTuning", dependencies: ["TensorCore", "NeuralNetworks"]),

        // MARK: Tools
        .executableTarget(name: "rlft-bench", dependencies: ["TensorCore", "COpenBLAS"], path: "Sources/rlft-bench"),

        // MARK: Tests
        .target(name: "TestSupport", dependencies: ["TensorCore"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport"]),
        .testTarget(name: "NeuralNetworksTests", dependencies: ["NeuralNetworks", "TestSupport"]),
        .testTarget(name: "TrainingDataTests", dependencies: ["TrainingData"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation"]),
        .testTarget(name: "TasksTests", dependencies: ["Tasks", "TrainingData", "Evaluation"]),
    ]
)

// The umbrella also re-exports the data, metric and task libraries (added as a separate statement so the
// target list above only grows by whole lines).
package.targets.first { $0.name == "RLFineTuning" }?.dependencies += ["TrainingData", "Evaluation", "Tasks"]
