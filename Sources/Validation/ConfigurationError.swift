// One vocabulary for bad input, below every other target: a configuration field or option whose value cannot work,
// inputs whose counts, lengths or shapes do not fit, and the parsing of configuration files and `--key value`
// overrides. Every message names the field or input, shows the value and says how to fix it.
import Foundation

/// What is wrong with a configuration, an option or an input, as typed cases that carry the field, the value and
/// the shapes.
public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    /// A field or option holds a value that cannot work. `requirement` says what is allowed and how to fix it,
    /// written to follow "but" (e.g. "it must be at least 1, such as 8").
    case invalidValue(field: String, value: String, requirement: String)
    /// Two inputs that must agree in shape do not.
    case shapeMismatch(what: String, expected: [Int], found: [Int])
    /// A number of items that must equal another does not (e.g. one reward per episode).
    case countMismatch(what: String, expected: Int, found: Int, fix: String)
    /// An input is longer than the context it must fit in.
    case tooLong(what: String, length: Int, limit: Int, fix: String)
    /// An input that needs content has none.
    case emptyInput(what: String, fix: String)
    /// Something the input needs is absent (a tokenizer, a special token).
    case missing(what: String, fix: String)
    /// A command-line option without its value.
    case missingValue(option: String)
    /// An option or file key that names no field.
    case unknownField(name: String, allowed: [String])
    /// An option's text does not parse as the field's type.
    case badValue(field: String, value: String, expected: String)
    /// A configuration file that cannot be read or is not a JSON object.
    case unreadableFile(path: String, reason: String)
    /// A required option was not given.
    case missingRequired(option: String, hint: String)

    /// The field or option the error names, when it names one.
    public var field: String? {
        switch self {
        case .invalidValue(let field, _, _), .badValue(let field, _, _): return field
        case .unknownField(let name, _): return name
        case .missingValue(let option), .missingRequired(let option, _): return option
        case .shapeMismatch, .countMismatch, .tooLong, .emptyInput, .missing, .unreadableFile: return nil
        }
    }

    public var description: String {
        switch self {
        case .invalidValue(let field, let value, let requirement):
            return "`\(field)` is \(value), but \(requirement)"
        case .shapeMismatch(let what, let expected, let found):
            return "\(what): expected shape \(expected) but found \(found)"
        case .countMismatch(let what, let expected, let found, let fix):
            return "\(what): \(found) where \(expected) are needed; \(fix)"
        case .tooLong(let what, let length, let limit, let fix):
            return "\(what) is \(length) tokens, more than the context of \(limit); \(fix)"
        case .emptyInput(let what, let fix):
            return "\(what) is empty; \(fix)"
        case .missing(let what, let fix):
            return "\(what) is missing; \(fix)"
        case .missingValue(let option):
            return "\(option) needs a value, e.g. \(option) 10 or \(option)=10"
        case .unknownField(let name, let allowed):
            let spelled = allowed.map(OptionSpelling.kebab)
            let hint = ConfigurationError.suggestions(for: OptionSpelling.kebab(name), among: spelled).map { " Did you mean \($0)?" } ?? ""
            return "unknown option --\(name).\(hint) Allowed: \(spelled.joined(separator: ", "))"
        case .badValue(let field, let value, let expected):
            return "--\(OptionSpelling.kebab(field)) has value '\(value)', but it must be \(expected)"
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

/// Throws ``ConfigurationError/invalidValue(field:value:requirement:)`` unless `condition` holds.
///
/// - Parameters:
///   - condition: whether the value works.
///   - field: the field's name as configuration files spell it.
///   - value: the offending value (shown with string interpolation).
///   - requirement: what is allowed and how to fix it, written to follow "but" ("it must be ≥ 0, such as 5").
@inlinable
public func require(_ condition: Bool, _ field: String, _ value: Any, _ requirement: String) throws(ConfigurationError) {
    if !condition { throw .invalidValue(field: field, value: "\(value)", requirement: requirement) }
}
