// Parsing of `rlft <command> [--key value | --key=value | --flag] ...` without any dependency.
import Foundation
import Validation

/// A command line split into the command, its `--key value` options and positional arguments.
public struct CommandLineArguments: Equatable {
    /// The first positional word (e.g. `sft`), or nil.
    public var command: String?
    /// Options by key without the leading dashes, in order of appearance; later ones win.
    public var options: [String: String]
    /// Keys in the order they appeared.
    public var order: [String]
    /// Positional arguments after the command.
    public var positional: [String]

    /// Flags that take no value (`--help`).
    public static let booleanFlags: Set<String> = ["help", "h", "quiet", "overwrite", "resume-latest"]

    /// Parses arguments (without the program name).
    ///
    /// - Throws: `ConfigurationError.missingValue` for a trailing option with no value.
    public init(_ arguments: [String]) throws {
        command = nil
        options = [:]
        order = []
        positional = []
        var i = 0
        while i < arguments.count {
            let arg = arguments[i]
            if arg.hasPrefix("--") || (arg.hasPrefix("-") && arg.count == 2 && !arg.dropFirst().allSatisfy(\.isNumber)) {
                let body = arg.drop(while: { $0 == "-" })
                if let eq = body.firstIndex(of: "=") {
                    set(String(body[..<eq]), String(body[body.index(after: eq)...]))
                } else if CommandLineArguments.booleanFlags.contains(String(body)) {
                    set(String(body), "true")
                } else {
                    guard i + 1 < arguments.count else { throw ConfigurationError.missingValue(option: "--\(body)") }
                    i += 1
                    set(String(body), arguments[i])
                }
            } else if command == nil {
                command = arg
            } else {
                positional.append(arg)
            }
            i += 1
        }
    }

    private mutating func set(_ key: String, _ value: String) {
        if options[key] == nil { order.append(key) }
        options[key] = value
    }

    /// Whether `--help` or `-h` was given.
    public var wantsHelp: Bool { options["help"] != nil || options["h"] != nil }
}
