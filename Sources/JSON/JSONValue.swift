// The package's one JSON value: what the safetensors header, the tokenizer files and every JSONL line parse into.

/// A parsed JSON value (RFC 8259).
///
/// Objects keep their members in the order written, duplicates included, and their keys exactly as written (no
/// Unicode normalisation): a checkpoint reader must see a duplicated key, and a vocabulary file must keep tokens that
/// differ only in their normal form apart. Booleans and numbers are kept apart: `1` is never `true`.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// An object with the members of `dictionary`, in sorted key order.
    public static func object(_ dictionary: [String: JSONValue]) -> JSONValue { .object(JSONObject(dictionary)) }

    // MARK: - Reading a value

    /// The text of a string, else `nil`.
    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    /// The value of a boolean, else `nil`.
    public var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    /// The value of a number, else `nil`.
    public var double: Double? { if case .number(let x) = self { return x } else { return nil } }
    /// The elements of an array, else `nil`.
    public var array: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    /// The members of an object, else `nil`.
    public var object: JSONObject? { if case .object(let o) = self { return o } else { return nil } }
    /// Whether the value is `null`.
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    /// A number that is an integer of at most 2^53 in magnitude (so exactly what was written), else `nil`.
    public var integer: Int? {
        guard case .number(let x) = self, x == x.rounded(), abs(x) <= 9_007_199_254_740_992 else { return nil }
        return Int(x)
    }

    /// The last member named `key` of an object (as Python's `json` keeps the last of duplicated keys), else `nil`.
    public subscript(key: String) -> JSONValue? { object?[key] }

    // MARK: - Describing a value in messages

    /// The JSON type name used in error messages: "null", "boolean", "number", "string", "array" or "object".
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// A short description of the value for error messages, such as `number 3` or `string ""`.
    public var summary: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return "boolean \(b)"
        case .number: return "number \(serialized())"
        case .string(let s):
            let shown = s.count > 40 ? String(s.prefix(40)) + "…" : s
            return "string \(JSONValue.quote(shown))"
        case .array(let a): return "array of \(a.count) element\(a.count == 1 ? "" : "s")"
        case .object(let o): return "object with keys \(o.keys.sorted())"
        }
    }
}

/// The members of a JSON object, in the order written, duplicated keys included.
///
/// Two objects are equal when they have as many members and map each key to equal values (the last member of a
/// duplicated key counting), in any order: JSON objects are unordered.
public struct JSONObject: Equatable, Sendable, RandomAccessCollection, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: JSONValue)

    /// The members in the order written.
    public var members: [Element]

    /// An object with these members, in this order.
    public init(_ members: [Element] = []) { self.members = members }

    /// An object with the members of `dictionary`, in sorted key order.
    public init(_ dictionary: [String: JSONValue]) {
        members = dictionary.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        members = elements.map { (key: $0.0, value: $0.1) }
    }

    public var startIndex: Int { members.startIndex }
    public var endIndex: Int { members.endIndex }
    public subscript(position: Int) -> Element { members[position] }

    /// The value of the last member named `key`, else `nil`.
    public subscript(key: String) -> JSONValue? { members.last { $0.key == key }?.value }

    /// The keys in the order written.
    public var keys: [String] { members.map(\.key) }

    /// The members as a dictionary; of duplicated keys, the last member counts.
    public var dictionary: [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        result.reserveCapacity(members.count)
        for (key, value) in members { result[key] = value }
        return result
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.count == rhs.members.count && lhs.dictionary == rhs.dictionary
    }
}
