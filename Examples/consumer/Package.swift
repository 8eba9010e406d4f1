// swift-tools-version: 5.9
// A minimal package that uses RLFineTuning as a dependency, the way a user's own package would. `make test` builds
// and runs it, so a change that breaks the public API fails the test command.
import Foundation
import PackageDescription

// A path dependency's identity is its directory's name (the repository's checkout folder), not its package name.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized

let package = Package(
    name: "consumer",
    dependencies: [
        // In your own package: .package(url: "https://github.com/<owner>/RLFineTuning.git", branch: "main")
        .package(path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "consumer",
            dependencies: [.product(name: "RLFineTuning", package: root.lastPathComponent)]
        ),
    ]
)
