// swift-tools-version: 5.9
// RLFineTuning: reinforcement-learning fine-tuning of language models, on the CPU, in Swift.
import PackageDescription

let package = Package(
    name: "RLFineTuning",
    products: [
        .library(name: "RLFineTuning", targets: ["RLFineTuning"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "NeuralNetworks", targets: ["NeuralNetworks"]),
        .library(name: "LanguageModels", targets: ["LanguageModels"]),
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

        // MARK: Models
        .target(name: "LanguageModels", dependencies: ["TensorCore", "NeuralNetworks"]),

        // MARK: Umbrella
        .target(name: "RLFineTuning", dependencies: ["TensorCore", "NeuralNetworks", "LanguageModels"]),

        // MARK: Tools
        .executableTarget(name: "rlft-bench", dependencies: ["TensorCore", "COpenBLAS"], path: "Sources/rlft-bench"),

        // MARK: Tests
        .target(name: "TestSupport", dependencies: ["TensorCore"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport"]),
        .testTarget(name: "NeuralNetworksTests", dependencies: ["NeuralNetworks", "TestSupport"]),
        .testTarget(
            name: "LanguageModelsTests", dependencies: ["LanguageModels", "TestSupport"],
            exclude: ["Fixtures"]
        ),
    ]
)
