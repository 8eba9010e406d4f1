// A JSON value tree with a strict parser and a deterministic (sorted-key, UTF-8) serializer, used for JSONL lines.
import Foundation

/// One parsed JSON value, as found on a line of a JSONL file.
///
/// The reader parses each line into a `JSONLValue` first and validates record fields against it, so that a
/// wrong type can be reported precisely ("`prompt` must be a string, found number 3"). Booleans and numbers are
/// kept apart: `1` is never accepted where `true` is expected.
public enum JSONLValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONLValue])
    case object([String: JSONLValue])

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
            return "string \(JSONLValue.string(shown).serialized())"
        case .array(let a): return "array of \(a.count) element\(a.count == 1 ? "" : "s")"
        case .object(let o): return "object with keys \(o.keys.sorted())"
        }
    }

    // MARK: - Serialization

    /// The compact JSON text of this value: object keys sorted, no insignificant whitespace, non-ASCII written
    /// as raw UTF-8, and control characters escaped.
    ///
    /// - Returns: One line of JSON (never containing a raw newline).
    public func serialized() -> String {
        var out = ""
        write(into: &out)
        return out
    }

    private func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let x):
            if x.isFinite, x == x.rounded(), abs(x) < 1e15 {
                out += String(Int64(x))
            } else if x.isFinite {
                out += "\(x)"
            } else {
                out += "null"  // JSON has no NaN or infinity.
            }
        case .string(let s): JSONLValue.writeString(s, into: &out)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                v.write(into: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, key) in o.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                JSONLValue.writeString(key, into: &out)
                out += ":"
                o[key]!.write(into: &out)
            }
            out += "}"
        }
    }

    private static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{2028}": out += "\\u2028"  // Line separators would split a line in some JSONL readers.
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    // MARK: - Parsing

    /// Parses one complete JSON text.
    ///
    /// - Parameter text: The JSON text (one JSONL line, without its newline).
    /// - Returns: The parsed value.
    /// - Throws: A message describing the first syntax error and its 1-based column.
    public static func parse(_ text: String) throws(JSONLSyntaxError) -> JSONLValue {
        var parser = Parser(bytes: Array(text.utf8))
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.index < parser.bytes.count {
            throw parser.error("unexpected text after the JSON value")
        }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        func error(_ message: String) -> JSONLSyntaxError {
            JSONLSyntaxError(message: message, column: index + 1)
        }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func parseValue(depth: Int) throws(JSONLSyntaxError) -> JSONLValue {
            guard depth < 512 else { throw error("nesting deeper than 512 levels") }
            guard index < bytes.count else { throw error("unexpected end of line, expected a value") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth)
            case UInt8(ascii: "["): return try parseArray(depth: depth)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
            case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
            case UInt8(ascii: "n"): try expectLiteral("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
            default:
                throw error("unexpected character '\(Character(Unicode.Scalar(bytes[index])))', expected a value")
            }
        }

        mutating func expectLiteral(_ literal: String) throws(JSONLSyntaxError) {
            let lit = Array(literal.utf8)
            guard index + lit.count <= bytes.count, Array(bytes[index..<index + lit.count]) == lit else {
                throw error("invalid literal, expected '\(literal)'")
            }
            index += lit.count
        }

        mutating func parseNumber() throws(JSONLSyntaxError) -> Double {
            let start = index
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            func digits(_ p: inout Parser) -> Int {
                let s = p.index
                while p.index < p.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(p.bytes[p.index]) {
                    p.index += 1
                }
                return p.index - s
            }
            guard digits(&self) > 0 else { throw error("invalid number") }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digits(&self) > 0 else { throw error("invalid number: digits expected after '.'") }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                    index += 1
                }
                guard digits(&self) > 0 else { throw error("invalid number: digits expected in exponent") }
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            guard let value = Double(text) else { throw error("invalid number '\(text)'") }
            return value
        }

        mutating func parseHex4() throws(JSONLSyntaxError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw error("truncated \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[index]
                let d: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
                default: throw error("invalid hex digit in \\u escape")
                }
                v = v * 16 + d
                index += 1
            }
            return v
        }

        mutating func parseString() throws(JSONLSyntaxError) -> String {
            index += 1  // opening quote
            var scalars = String.UnicodeScalarView()
            var runStart = index
            func flush(_ p: Parser, _ scalars: inout String.UnicodeScalarView, _ runStart: Int) {
                if p.index > runStart {
                    scalars.append(contentsOf: String(decoding: p.bytes[runStart..<p.index], as: UTF8.self).unicodeScalars)
                }
            }
            while true {
                guard index < bytes.count else { throw error("unterminated string") }
                let c = bytes[index]
                if c == UInt8(ascii: "\"") {
                    flush(self, &scalars, runStart)
                    index += 1
                    return String(scalars)
                } else if c == UInt8(ascii: "\\") {
                    flush(self, &scalars, runStart)
                    index += 1
                    guard index < bytes.count else { throw error("unterminated escape") }
                    let e = bytes[index]
                    index += 1
                    switch e {
                    case UInt8(ascii: "\""): scalars.append("\"")
                    case UInt8(ascii: "\\"): scalars.append("\\")
                    case UInt8(ascii: "/"): scalars.append("/")
                    case UInt8(ascii: "b"): scalars.append("\u{08}")
                    case UInt8(ascii: "f"): scalars.append("\u{0C}")
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "u"):
                        var code = try parseHex4()
                        if (0xD800...0xDBFF).contains(code) {
                            // A high surrogate must be followed by an escaped low surrogate.
                            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                                  bytes[index + 1] == UInt8(ascii: "u") else {
                                throw error("unpaired surrogate in \\u escape")
                            }
                            index += 2
                            let low = try parseHex4()
                            guard (0xDC00...0xDFFF).contains(low) else { throw error("invalid low surrogate in \\u escape") }
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else if (0xDC00...0xDFFF).contains(code) {
                            throw error("unpaired surrogate in \\u escape")
                        }
                        guard let scalar = Unicode.Scalar(code) else { throw error("invalid \\u escape") }
                        scalars.append(scalar)
                    default:
                        index -= 1
                        throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))'")
                    }
                    runStart = index
                } else if c < 0x20 {
                    throw error("unescaped control character in string")
                } else {
                    index += 1
                }
            }
        }

        mutating func parseArray(depth: Int) throws(JSONLSyntaxError) -> JSONLValue {
            index += 1
            var items: [JSONLValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            while true {
                skipWhitespace()
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard index < bytes.count else { throw error("unterminated array") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                throw error("expected ',' or ']' in array")
            }
        }

        mutating func parseObject(depth: Int) throws(JSONLSyntaxError) -> JSONLValue {
            index += 1
            var members: [String: JSONLValue] = [:]
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                    throw error("expected a quoted key in object")
                }
                let key = try parseString()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':' after key") }
                index += 1
                skipWhitespace()
                members[key] = try parseValue(depth: depth + 1)
                skipWhitespace()
                guard index < bytes.count else { throw error("unterminated object") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                throw error("expected ',' or '}' in object")
            }
        }
    }
}

/// A JSON syntax error on one line: what was wrong and the 1-based byte column where it was noticed.
public struct JSONLSyntaxError: Error, Equatable, Sendable {
    /// What is wrong, such as "unterminated string".
    public var message: String
    /// The 1-based byte column at which the parser stopped.
    public var column: Int
}
