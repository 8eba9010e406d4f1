// Configuration files with `--key value` overrides and self-documenting `--help`, for every command. Their errors are
// Validation's `ConfigurationError` (re-exported: every command reports bad input with it).
@_exported import Validation
import Foundation

/// A configuration that documents its fields for `--help` and validates itself.
public protocol DocumentedConfiguration: Codable {
    /// A configuration with every default.
    init()
    /// One line of documentation per field, in display order: (JSON key, description).
    static var fieldDocumentation: [(name: String, description: String)] { get }
    /// Throws a `ConfigurationError` naming the bad field, its value and the fix.
    func validate() throws
    /// Former field names and their current ones; both JSON files and options still accept the former, with a
    /// deprecation note.
    static var renamedFields: [String: String] { get }
}

extension DocumentedConfiguration {
    public static var renamedFields: [String: String] { [:] }
}

/// The training arguments every trainer spells the same way (as TRL's and transformers' trainers share theirs);
/// `--help` lists them first.
public let sharedTrainingFields: Set<String> = [
    "learningRate", "steps", "epochs", "iterations", "batchSize", "warmupSteps", "weightDecay", "maximumGradientNorm",
    "evaluationInterval", "seed",
]

/// A `--config FILE.json`: one JSON object of option or field names to values.
public enum ConfigurationFile {
    /// The file's object.
    ///
    /// - Throws: `ConfigurationError.unreadableFile` when it cannot be read or is not a JSON object.
    public static func object(at path: String) throws -> [String: Any] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ConfigurationError.unreadableFile(path: path, reason: "\(error.localizedDescription)")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ConfigurationError.unreadableFile(path: path, reason: "it is not a JSON object")
        }
        return object
    }
}

extension DocumentedConfiguration {
    /// The configuration from `defaults` (`Self()` unless a command has defaults of its own, such as per-task
    /// settings), then the JSON file at `--config PATH` (if given), then each `--key value` override whose key is a
    /// field. Keys in `reserved` (e.g. `out`, `config`) are skipped.
    ///
    /// - Throws: `ConfigurationError` naming the field, the value and what is allowed; then whatever
    ///   `validate()` throws.
    public static func load(arguments: CommandLineArguments, reserved: Set<String> = [], defaults: Self = Self()) throws -> Self {
        var object = try jsonObject(of: defaults)
        if let path = arguments.options["config"] {
            for (given, value) in try ConfigurationFile.object(at: path) {
                var key = given
                if let renamed = renamedFields[given] {
                    DeprecationNotes.report("note: \"\(given)\" in \(path) is now \"\(renamed)\"; the old name still works for now")
                    key = renamed
                }
                guard object[key] != nil else {
                    throw ConfigurationError.unknownField(name: key, allowed: fieldDocumentation.map(\.name))
                }
                object[key] = value
            }
        }
        let skip = reserved.union(["config", "help", "h", "quiet", "overwrite"])
        for option in arguments.order where !skip.contains(option) {
            // --learning-rate names the field learningRate; --learningRate and renamed fields still work, with a note.
            var key = OptionSpelling.camel(option)
            if let renamed = renamedFields[key] {
                DeprecationNotes.report("note: --\(option) is now --\(OptionSpelling.kebab(renamed)); the old name still works for now")
                key = renamed
            } else if key == option && key != OptionSpelling.kebab(key) && object[key] != nil {
                DeprecationNotes.report("note: --\(option) is now spelled --\(OptionSpelling.kebab(key)); the old spelling still works for now")
            }
            guard let current = object[key] else {
                throw ConfigurationError.unknownField(name: option, allowed: fieldDocumentation.map(\.name) + skip.sorted().filter { $0 != "h" })
            }
            let text = arguments.options[option]!
            let wholeNumber = ConfigurationError.badValue(field: key, value: text, expected: "a whole number, such as \(render(current))")
            do {
                object[key] = try coerce(text, like: current, field: key)
            } catch ConfigurationError.badValue where isWholeNumberField(key, in: object) {
                throw wholeNumber
            }
            if Int(text) == nil, object[key] is Double, isWholeNumberField(key, in: object) { throw wholeNumber }
        }
        let data = try JSONSerialization.data(withJSONObject: object)
        let configuration: Self
        do { configuration = try JSONDecoder().decode(Self.self, from: data) } catch let error as DecodingError {
            var described = describe(error, object: object)
            if case .badValue(let field, _, _) = described, field == "(configuration)" {
                // The decoder did not say which field failed: find the override whose default value decodes.
                let defaultObject = try jsonObject(of: defaults)
                for option in arguments.order {
                    let camel = OptionSpelling.camel(option)
                    let key = renamedFields[camel] ?? camel
                    guard object[key] != nil, let original = defaultObject[key] else { continue }
                    var trial = object
                    trial[key] = original
                    if let data = try? JSONSerialization.data(withJSONObject: trial), (try? JSONDecoder().decode(Self.self, from: data)) != nil {
                        described = .badValue(field: key, value: arguments.options[option] ?? "", expected: "like its default \(render(original)) (see --help)")
                        break
                    }
                }
            }
            throw described
        }
        try configuration.validate()
        return configuration
    }

    /// Whether `key` holds an integer: the configuration decodes with 1 there but not with 0.5.
    static func isWholeNumberField(_ key: String, in object: [String: Any]) -> Bool {
        func decodes(_ value: Any) -> Bool {
            var trial = object
            trial[key] = value
            guard let data = try? JSONSerialization.data(withJSONObject: trial) else { return false }
            return (try? JSONDecoder().decode(Self.self, from: data)) != nil
        }
        return decodes(1) && !decodes(0.5)
    }

    /// Names the field a decoding error is about, with its value.
    static func describe(_ error: DecodingError, object: [String: Any]) -> ConfigurationError {
        let path: [CodingKey]
        let detail: String
        switch error {
        case .typeMismatch(let type, let context): path = context.codingPath; detail = "a value of type \(type)"
        case .valueNotFound(let type, let context): path = context.codingPath; detail = "a value of type \(type)"
        case .keyNotFound(let key, let context): path = context.codingPath + [key]; detail = "present"
        case .dataCorrupted(let context): path = context.codingPath; detail = context.debugDescription
        @unknown default: path = []; detail = "valid"
        }
        let field = path.first?.stringValue ?? "(configuration)"
        return .badValue(field: field, value: object[field].map { render($0) } ?? "missing", expected: detail)
    }

    /// `--help` text: the training arguments every trainer names alike first, then the command's own fields,
    /// then its data and run options, each field with its default and description.
    public static func helpText(command: String, summary: String, extraOptions: [(String, String)] = []) -> String {
        let defaults = (try? jsonObject(of: Self())) ?? [:]
        var lines = ["rlft \(command): \(summary)", "", "Usage: rlft \(command) [--config FILE.json] [--option value ...]"]
        func field(_ field: (name: String, description: String)) -> String {
            let value = defaults[field.name].map { render($0) } ?? "—"
            return "  --\(OptionSpelling.kebab(field.name)) (default \(value))\n      \(field.description)"
        }
        let shared = fieldDocumentation.filter { sharedTrainingFields.contains($0.name) }
        let own = fieldDocumentation.filter { !sharedTrainingFields.contains($0.name) }
        if !shared.isEmpty {
            lines += ["", "Training arguments (named alike in every trainer):"] + shared.map(field)
        }
        if !own.isEmpty { lines += ["", shared.isEmpty ? "Options:" : "Options of rlft \(command):"] + own.map(field) }
        lines += ["", "Data and run options:"]
        for (name, text) in extraOptions { lines.append("  --\(name)\n      \(text)") }
        if !extraOptions.contains(where: { $0.0 == "quiet" }) {
            lines.append("  --quiet\n      no progress lines (results, warnings and errors still print)")
        }
        lines.append("  --config FILE.json\n      the fields above as a JSON object (camelCase keys, e.g. {\"learningRate\": 0.001}); options given on the command line win")
        return lines.joined(separator: "\n")
    }

    /// This configuration as pretty JSON (keys sorted), for the run directory.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    static func jsonObject(of value: Self) throws -> [String: Any] {
        let data = try JSONEncoder().encode(value)
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    static func render(_ value: Any) -> String {
        if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) {
            return String(decoding: data, as: UTF8.self)
        }
        return "\(value)"
    }

    /// Converts override text to the JSON type of the field's current value.
    static func coerce(_ text: String, like current: Any, field: String) throws -> Any {
        if current is NSNull { return text }
        let rendered = render(current)
        if rendered == "true" || rendered == "false" {
            switch text.lowercased() {
            case "true", "yes", "1": return true
            case "false", "no", "0": return false
            default: throw ConfigurationError.badValue(field: field, value: text, expected: "true or false")
            }
        }
        if current is NSNumber || Double(rendered) != nil {
            if let i = Int(text) { return i }
            guard let d = Double(text), d.isFinite else {
                let example = Int(rendered) != nil ? "a number such as \(rendered)" : "a finite number, such as \(rendered)"
                throw ConfigurationError.badValue(field: field, value: text, expected: example)
            }
            return d
        }
        if current is String { return text }
        // Arrays and objects: the override must be JSON.
        guard let data = text.data(using: .utf8),
              let parsed = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            throw ConfigurationError.badValue(field: field, value: text, expected: "JSON like \(render(current))")
        }
        return parsed
    }
}
