// swift-tools-version: 5.9
// RLFineTuning: reinforcement-learning fine-tuning of language models, on the CPU, in Swift.
import PackageDescription

let package = Package(
    name: "RLFineTuning",
    products: [
        .library(name: "RLFineTuning", targets: ["RLFineTuning"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "NeuralNetworks", targets: ["NeuralNetworks"]),
        .library(name: "TrainingCore", targets: ["TrainingCore"]),
        .library(name: "Runs", targets: ["Runs"]),
        .executable(name: "rlft", targets: ["rlft"]),
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

        // MARK: Training
        .target(name: "TrainingCore", dependencies: ["TensorCore", "NeuralNetworks"]),
        .target(name: "Runs"),

        // MARK: Umbrella
        .target(name: "RLFineTuning", dependencies: ["TensorCore", "NeuralNetworks", "TrainingCore", "Runs"]),

        // MARK: Tools
        .executableTarget(name: "rlft", dependencies: ["RLFineTuning"], path: "Sources/rlft"),
        .executableTarget(name: "rlft-bench", dependencies: ["TensorCore", "COpenBLAS"], path: "Sources/rlft-bench"),

        // MARK: Tests
        .target(name: "TestSupport", dependencies: ["TensorCore"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport"]),
        .testTarget(name: "NeuralNetworksTests", dependencies: ["NeuralNetworks", "TestSupport"]),
        .testTarget(name: "TrainingCoreTests", dependencies: ["TrainingCore", "TestSupport"]),
        .testTarget(name: "RunsTests", dependencies: ["Runs"]),
    ]
)
