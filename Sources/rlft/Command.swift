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

extension CommandLineArguments {
    /// For commands whose options are not a configuration struct: the options of `--config FILE.json` (a JSON
    /// object of option names to values) filled in wherever the command line does not give them, and the rest
    /// checked against `allowed`.
    ///
    /// - Throws: `ConfigurationError` for an unreadable file, a value that is not a string, number or boolean, or
    ///   an option (on the command line or in the file) the command does not take.
    func resolvingConfigFile(allowed: [String]) throws -> CommandLineArguments {
        var resolved = self
        if let path = options["config"] {
            for (key, value) in try ConfigurationFile.object(at: path).sorted(by: { $0.key < $1.key }) where resolved.options[key] == nil {
                let text: String
                switch value {
                case let string as String: text = string
                // JSON true/false arrive as NSNumber with the Objective-C type "c" (char).
                case let number as NSNumber: text = String(cString: number.objCType) == "c" ? (number.boolValue ? "true" : "false") : "\(number)"
                default: throw ConfigurationError.badValue(field: key, value: "\(value)", expected: "a string, number or boolean in \(path)")
                }
                resolved.options[key] = text
                resolved.order.append(key)
            }
            resolved.options["config"] = nil
            resolved.order.removeAll { $0 == "config" }
        }
        if let first = resolved.order.first(where: { !allowed.contains($0) && $0 != "quiet" }) {
            throw ConfigurationError.unknownField(name: first, allowed: allowed + ["config"])
        }
        return resolved
    }
}

extension CommandLineArguments {
    /// These arguments with the option `former` renamed to `current` (a note says so when it was given), so that
    /// every command takes its model as `--model` while `--policy` keeps working.
    func renamingOption(_ former: String, to current: String) -> CommandLineArguments {
        guard let value = options[former] else { return self }
        var renamed = self
        renamed.options[former] = nil
        if renamed.options[current] == nil {
            renamed.options[current] = value
            DeprecationNotes.report("note: --\(former) is now --\(current); the old name still works for now")
        }
        renamed.order = renamed.order.map { $0 == former ? current : $0 }
        return renamed
    }
}
