// The package's one JSON writer: compact, deterministic text that every JSON reader (and every JSONL reader) reads
// back to the same value.

extension JSONValue {
    /// The compact JSON text of this value: no insignificant whitespace, non-ASCII written as raw UTF-8, control
    /// characters, DEL and the line separators U+2028 and U+2029 escaped, so the text is one line for any JSONL
    /// reader. Integral numbers below 10^15 in magnitude are written without a fraction; NaN and infinities, which
    /// JSON cannot write, as `null`.
    ///
    /// - Parameter sortingKeys: Whether object members are written in sorted key order (the default: the same value
    ///   gives the same text) or in their stored order.
    /// - Returns: One line of JSON (never containing a raw newline).
    public func serialized(sortingKeys: Bool = true) -> String {
        var out = ""
        write(into: &out, sortingKeys: sortingKeys)
        return out
    }

    /// `text` as a JSON string literal, escaped as ``serialized(sortingKeys:)`` escapes strings.
    public static func quote(_ text: String) -> String {
        var out = ""
        writeString(text, into: &out)
        return out
    }

    private func write(into out: inout String, sortingKeys: Bool) {
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
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                v.write(into: &out, sortingKeys: sortingKeys)
            }
            out += "]"
        case .object(let o):
            out += "{"
            let members = sortingKeys ? o.members.enumerated().sorted {
                $0.element.key != $1.element.key ? $0.element.key < $1.element.key : $0.offset < $1.offset
            }.map(\.element) : o.members
            for (i, member) in members.enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(member.key, into: &out)
                out += ":"
                member.value.write(into: &out, sortingKeys: sortingKeys)
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
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
