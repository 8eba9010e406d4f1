// The package's one JSON parser: strict RFC 8259, typed errors with the byte offset, a depth limit, and fast enough
// for tokenizer files of several megabytes (GPT-2's vocabulary and merges in tokenizer.json: tens of milliseconds).

/// A JSON syntax error: what is wrong and where the parser noticed it.
public struct JSONSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong, such as "unterminated string".
    public var message: String
    /// The 0-based byte offset at which the parser stopped.
    public var offset: Int
    /// The 1-based line of `offset`.
    public var line: Int
    /// The 1-based byte column of `offset` in its line (on a one-line text, `offset + 1`).
    public var column: Int

    public init(message: String, offset: Int, line: Int, column: Int) {
        self.message = message
        self.offset = offset
        self.line = line
        self.column = column
    }

    public var description: String { "not valid JSON at line \(line), column \(column): \(message)" }
}

extension JSONValue {
    /// The nesting depth the parser accepts unless told otherwise: arrays and objects 512 deep.
    public static let defaultMaximumDepth = 512

    /// Parses one complete JSON text: a value, with only whitespace around it.
    ///
    /// - Parameters:
    ///   - text: The JSON text.
    ///   - maximumDepth: The deepest nesting of arrays and objects accepted (bounds the parser's recursion, so that
    ///     hostile input cannot exhaust the stack).
    /// - Throws: `JSONSyntaxError` for the first error: leading zeros, a lone surrogate escape, an unescaped control
    ///   character, trailing text and nesting deeper than `maximumDepth` are errors.
    public static func parse(_ text: String, maximumDepth: Int = defaultMaximumDepth) throws(JSONSyntaxError) -> JSONValue {
        try parse(utf8: text.utf8, maximumDepth: maximumDepth)
    }

    /// Parses one complete JSON text from its UTF-8 bytes (see ``parse(_:maximumDepth:)``); invalid UTF-8 inside a
    /// string is an error.
    public static func parse(utf8 bytes: some Collection<UInt8>,
                             maximumDepth: Int = defaultMaximumDepth) throws(JSONSyntaxError) -> JSONValue {
        let result = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONSyntaxError) in try parse(utf8: buffer, maximumDepth: maximumDepth) }
        } ?? Array(bytes).withUnsafeBufferPointer { buffer in
            Result { () throws(JSONSyntaxError) in try parse(utf8: buffer, maximumDepth: maximumDepth) }
        }
        return try result.get()
    }

    /// Parses one complete JSON text from a buffer of UTF-8 bytes (see ``parse(_:maximumDepth:)``).
    public static func parse(utf8 buffer: UnsafeBufferPointer<UInt8>,
                             maximumDepth: Int = defaultMaximumDepth) throws(JSONSyntaxError) -> JSONValue {
        var parser = JSONParser(bytes: buffer, maximumDepth: maximumDepth)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        if parser.position < buffer.count { throw parser.error("unexpected text after the JSON value") }
        return value
    }
}

private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let maximumDepth: Int
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    func error(_ message: String) -> JSONSyntaxError {
        var line = 1, lineStart = 0
        for k in 0..<min(position, bytes.count) where bytes[k] == 0x0A {
            line += 1
            lineStart = k + 1
        }
        return JSONSyntaxError(message: message, offset: position, line: line, column: position - lineStart + 1)
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth < maximumDepth else { throw error("nesting deeper than \(maximumDepth) levels") }
        guard position < bytes.count else { throw error("unexpected end of the text, expected a value") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        case let byte:
            let shown = byte < 0x80 ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16, uppercase: true))"
            throw error("unexpected character \(shown), expected a value")
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count,
              (0..<count).allSatisfy({ bytes[position + $0] == word.utf8Start[$0] }) else {
            throw error("invalid literal, expected '\(word)'")
        }
        position += count
    }

    mutating func object(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        position += 1
        var members: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return .object(JSONObject(members)) }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw error("expected a quoted key in object")
            }
            let key = try string()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw error("expected ':' after key") }
            position += 1
            skipWhitespace()
            members.append((key, try value(depth: depth + 1)))
            skipWhitespace()
            guard position < bytes.count else { throw error("unterminated object") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(JSONObject(members)) }
            throw error("expected ',' or '}' in object")
        }
    }

    mutating func array(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth + 1))
            skipWhitespace()
            guard position < bytes.count else { throw error("unterminated array") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
            throw error("expected ',' or ']' in array")
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`; integers of up to 15 digits without a string.
    mutating func number() throws(JSONSyntaxError) -> Double {
        let start = position
        let negative = bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        func isDigit(_ k: Int) -> Bool { k < bytes.count && bytes[k] >= 0x30 && bytes[k] <= 0x39 }
        guard isDigit(position) else { throw error("invalid number: a digit must follow '-'") }
        if bytes[position] == UInt8(ascii: "0"), isDigit(position + 1) {
            throw error("invalid number: leading zeros are not allowed")
        }
        var value = 0
        let digitsStart = position
        while isDigit(position) {
            value = value &* 10 &+ Int(bytes[position] &- 0x30)
            position += 1
        }
        var integral = position - digitsStart <= 15
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard isDigit(position) else { throw error("invalid number: digits expected after '.'") }
            while isDigit(position) { position += 1 }
            integral = false
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard isDigit(position) else { throw error("invalid number: digits expected in exponent") }
            while isDigit(position) { position += 1 }
            integral = false
        }
        if integral { return negative ? -Double(value) : Double(value) }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let double = Double(text) else { throw error("invalid number '\(text)'") }
        return double
    }

    /// A string literal starting at its opening quote.
    mutating func string() throws(JSONSyntaxError) -> String {
        position += 1
        var start = position
        // Fast path: no escapes, the bytes are the text.
        while position < bytes.count {
            let b = bytes[position]
            if b == UInt8(ascii: "\"") {
                let text = try decode(start..<position)
                position += 1
                return text
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw error("unescaped control character in string") }
            position += 1
        }
        var text = ""  // the run from `start` is appended at each escape and at the closing quote
        while true {
            guard position < bytes.count else { throw error("unterminated string") }
            let b = bytes[position]
            if b == UInt8(ascii: "\"") {
                text += try decode(start..<position)
                position += 1
                return text
            } else if b == UInt8(ascii: "\\") {
                text += try decode(start..<position)
                position += 1
                guard position < bytes.count else { throw error("unterminated escape") }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""): text += "\""
                case UInt8(ascii: "\\"): text += "\\"
                case UInt8(ascii: "/"): text += "/"
                case UInt8(ascii: "b"): text += "\u{08}"
                case UInt8(ascii: "f"): text += "\u{0C}"
                case UInt8(ascii: "n"): text += "\n"
                case UInt8(ascii: "r"): text += "\r"
                case UInt8(ascii: "t"): text += "\t"
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800...0xDBFF).contains(code) {
                        // A high surrogate must be followed by an escaped low surrogate.
                        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                              bytes[position + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired surrogate in \\u escape")
                        }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("invalid low surrogate in \\u escape") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(code) {
                        throw error("unpaired surrogate in \\u escape")
                    }
                    text.unicodeScalars.append(Unicode.Scalar(code)!)  // not a surrogate, below 0x110000
                default:
                    position -= 1
                    let shown = escape < 0x80 && escape >= 0x20 ? String(Character(Unicode.Scalar(escape))) : "byte 0x\(String(escape, radix: 16, uppercase: true))"
                    throw error("invalid escape '\\\(shown)'")
                }
                start = position
            } else if b < 0x20 {
                throw error("unescaped control character in string")
            } else {
                position += 1
            }
        }
    }

    /// The bytes of `range`, which hold no quote, backslash or control character, as text.
    func decode(_ range: Range<Int>) throws(JSONSyntaxError) -> String {
        if range.isEmpty { return "" }
        guard let text = String(validating: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) else {
            var copy = self
            copy.position = range.lowerBound
            throw copy.error("invalid UTF-8 in string")
        }
        return text
    }

    mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }
}
