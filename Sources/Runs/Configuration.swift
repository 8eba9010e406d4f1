// Configuration files with `--key value` overrides and self-documenting `--help`, for every command.
import Foundation

/// A configuration that documents its fields for `--help` and validates itself.
public protocol DocumentedConfiguration: Codable {
    /// A configuration with every default.
    init()
    /// One line of documentation per field, in display order: (JSON key, description).
    static var fieldDocumentation: [(name: String, description: String)] { get }
    /// Throws a `ConfigError`-like error naming the bad field.
    func validate() throws
}

/// What is wrong with a configuration file or an override.
public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case missingValue(option: String)
    case unknownField(name: String, allowed: [String])
    case badValue(field: String, value: String, expected: String)
    case unreadableFile(path: String, reason: String)
    case missingRequired(option: String, hint: String)

    public var description: String {
        switch self {
        case .missingValue(let option):
            return "\(option) needs a value, e.g. \(option) 10 or \(option)=10"
        case .unknownField(let name, let allowed):
            let hint = ConfigurationError.suggestions(for: name, among: allowed).map { " Did you mean \($0)?" } ?? ""
            return "unknown option --\(name).\(hint) Allowed: \(allowed.joined(separator: ", "))"
        case .badValue(let field, let value, let expected):
            return "--\(field) has value '\(value)', but it must be \(expected)"
        case .unreadableFile(let path, let reason):
            return "cannot read configuration \(path): \(reason)"
        case .missingRequired(let option, let hint):
            return "\(option) is required: \(hint)"
        }
    }

    /// The allowed options a mistyped `name` most likely meant: those within two edits (a swapped pair of
    /// letters counts as one, so `stpes` finds `steps`), else those sharing its first three letters.
    static func suggestions(for name: String, among allowed: [String]) -> String? {
        let typed = Array(name.lowercased())
        let scored = allowed.map { ($0, editDistance(typed, Array($0.lowercased()))) }
        let best = scored.map(\.1).min() ?? .max
        var close = best <= min(2, max(1, typed.count / 3)) ? scored.filter { $0.1 == best }.map(\.0) : []
        if close.isEmpty { close = allowed.filter { $0.lowercased().hasPrefix(String(name.lowercased().prefix(3))) } }
        return close.isEmpty ? nil : close.map { "--\($0)" }.joined(separator: " or ")
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previous2[j - 2] + 1)
                }
            }
            previous2 = previous
            previous = current
        }
        return previous[b.count]
    }
}

extension DocumentedConfiguration {
    /// The configuration from defaults, then the JSON file at `--config PATH` (if given), then each
    /// `--key value` override whose key is a field. Keys in `reserved` (e.g. `out`, `config`) are skipped.
    ///
    /// - Throws: `ConfigurationError` naming the field, the value and what is allowed; then whatever
    ///   `validate()` throws.
    public static func load(arguments: CommandLineArguments, reserved: Set<String> = []) throws -> Self {
        var object = try jsonObject(of: Self())
        if let path = arguments.options["config"] {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
                throw ConfigurationError.unreadableFile(path: path, reason: "\(error.localizedDescription)")
            }
            guard let file = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw ConfigurationError.unreadableFile(path: path, reason: "it is not a JSON object")
            }
            for (key, value) in file {
                guard object[key] != nil else {
                    throw ConfigurationError.unknownField(name: key, allowed: fieldDocumentation.map(\.name))
                }
                object[key] = value
            }
        }
        let skip = reserved.union(["config", "help", "h", "quiet"])
        for key in arguments.order where !skip.contains(key) {
            guard let current = object[key] else {
                throw ConfigurationError.unknownField(name: key, allowed: fieldDocumentation.map(\.name) + skip.sorted().filter { $0 != "h" })
            }
            let text = arguments.options[key]!
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
                let defaults = try jsonObject(of: Self())
                for key in arguments.order where object[key] != nil {
                    var trial = object
                    trial[key] = defaults[key]
                    if let data = try? JSONSerialization.data(withJSONObject: trial), (try? JSONDecoder().decode(Self.self, from: data)) != nil {
                        described = .badValue(field: key, value: arguments.options[key] ?? "", expected: "like its default \(render(defaults[key]!)) (see --help)")
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

    /// `--help` text: each field with its default and description.
    public static func helpText(command: String, summary: String, extraOptions: [(String, String)] = []) -> String {
        let defaults = (try? jsonObject(of: Self())) ?? [:]
        var lines = ["rlft \(command): \(summary)", "", "Usage: rlft \(command) [--config FILE.json] [--key value ...]", "", "Options:"]
        for (name, text) in extraOptions { lines.append("  --\(name)\n      \(text)") }
        if !extraOptions.contains(where: { $0.0 == "quiet" }) {
            lines.append("  --quiet\n      no progress lines (results, warnings and errors still print)")
        }
        for field in fieldDocumentation {
            let value = defaults[field.name].map { render($0) } ?? "—"
            lines.append("  --\(field.name) (default \(value))\n      \(field.description)")
        }
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
