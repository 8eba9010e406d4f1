// libFuzzer target: the command line (`--key value` arguments, NUL-separated, after a `--config` file given as the
// first part) must parse and load into a configuration or throw a ConfigurationError (or the configuration's own
// validation error). Never a crash or trap. Built by Scripts/fuzz.sh together with the Runs sources.
import Foundation

/// A configuration with every kind of field a command has.
private struct FuzzConfig: DocumentedConfiguration, Equatable {
    var steps = 100
    var learningRate = 0.001
    var useCache = true
    var name = "fuzz"
    var sizes = [1, 2]
    var maximumGradientNorm = 1.0
    static let fieldDocumentation: [(name: String, description: String)] = [
        ("steps", "s"), ("learningRate", "l"), ("useCache", "u"), ("name", "n"), ("sizes", "z"), ("maximumGradientNorm", "m"),
    ]
    static let renamedFields = ["gradientClipNorm": "maximumGradientNorm"]
    func validate() throws {
        guard steps >= 0, learningRate.isFinite else { throw ConfigurationError.badValue(field: "steps", value: "\(steps)", expected: "≥ 0") }
    }
}

private let configFile = FileManager.default.temporaryDirectory
    .appendingPathComponent("fuzz-arguments-\(ProcessInfo.processInfo.processIdentifier).json")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArguments(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let parts = UnsafeBufferPointer(start: data, count: size).split(separator: 0, omittingEmptySubsequences: false)
    guard let file = parts.first else { return 0 }
    try? Data(file).write(to: configFile)
    let words = parts.dropFirst().map { String(decoding: $0, as: UTF8.self) }
    for arguments in [["x"] + words, ["x", "--config", configFile.path] + words] {
        do {
            let parsed = try CommandLineArguments(arguments)
            _ = try FuzzConfig.load(arguments: parsed, reserved: ["out"])
            _ = FuzzConfig.helpText(command: "x", summary: "fuzz")
        } catch is ConfigurationError {
        } catch {
            preconditionFailure("not a ConfigurationError: \(error)")
        }
    }
    return 0
}
