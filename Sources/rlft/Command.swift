// The shape of an `rlft` subcommand. Each command lives in its own file and is listed in main.swift.
import Foundation
import Runs

/// One `rlft <name>` subcommand.
protocol Command {
    /// The word after `rlft`.
    static var name: String { get }
    /// One line for `rlft --help`.
    static var summary: String { get }
    /// The full `--help` text.
    static var help: String { get }
    /// Runs the command. Errors are printed by main with their description.
    static func run(_ arguments: CommandLineArguments) throws
}

/// A usage error for commands that take options outside a configuration struct.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

extension CommandLineArguments {
    /// The value of a required option, or a usage error that names it and says how to give it.
    func required(_ key: String, _ hint: String) throws -> String {
        guard let value = options[key], !value.isEmpty else {
            throw ConfigurationError.missingRequired(option: "--\(key)", hint: hint)
        }
        return value
    }
}
