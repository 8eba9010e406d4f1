// GPT-2's pre-tokenization: text is cut into "words" before BPE runs inside each one.
//
// OpenAI's encoder.py and Hugging Face's GPT2Tokenizer use the `regex` package with
//
//     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// and `findall`. This file is a hand-written matcher for exactly that pattern, over Unicode
// scalars (Python strings are sequences of code points, not grapheme clusters):
//   * `\p{L}` is general category L*, `\p{N}` is N*, `\s` is the White_Space property (the set the
//     `regex` package uses; checked against it on every code point, see Fixtures/README.md);
//   * the optional prefix ` ?` is U+0020 only, and contractions are case-sensitive ASCII;
//   * `\s+(?!\S)` takes a whitespace run but leaves its last character for the next word when a
//     non-space follows ("a   b" → "a", "  ", " b"); `\s+` then catches a single such character.
// Every scalar is either a letter, a number, whitespace or "other", so the pieces tile the text.

/// The GPT-2 pre-tokenizer.
public enum GPT2PreTokenizer {
    /// The regular expression this matcher reproduces (for documentation and `tokenizer.json`).
    public static let pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    /// The pieces `regex.findall(pattern, text)` returns, in order. Concatenated they give `text`.
    public static func pieces(of text: String) -> [String] {
        let bytes = Array(text.utf8)
        var result: [String] = []
        bytes.withUnsafeBufferPointer { buffer in
            var scratch = Scratch()
            forEachPiece(in: buffer, range: 0..<buffer.count, scratch: &scratch) { range in
                result.append(String(decoding: buffer[range], as: UTF8.self))
            }
        }
        return result
    }

    // MARK: - Character classes

    static let letter: UInt8 = 0
    static let number: UInt8 = 1
    static let space: UInt8 = 2
    static let other: UInt8 = 3

    private static let asciiClasses: [UInt8] = (0..<128).map { classifySlow(UInt32($0)) }

    private static func classifySlow(_ value: UInt32) -> UInt8 {
        guard let scalar = Unicode.Scalar(value) else { return other }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return number
        default:
            return scalar.properties.isWhitespace ? space : other
        }
    }

    @inline(__always)
    static func classify(_ value: UInt32) -> UInt8 {
        value < 128 ? asciiClasses[Int(value)] : classifySlow(value)
    }

    // MARK: - Matcher

    /// Reusable buffers: the class of each scalar and the byte offset where it starts.
    struct Scratch {
        var classes: [UInt8] = []
        var offsets: [Int] = []
    }

    /// Calls `body` with the byte range of each piece of `bytes[range]`, which must be valid UTF-8.
    static func forEachPiece(
        in bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>, scratch: inout Scratch,
        _ body: (Range<Int>) throws -> Void
    ) rethrows {
        // 1. Decode scalars and classify them.
        scratch.classes.removeAll(keepingCapacity: true)
        scratch.offsets.removeAll(keepingCapacity: true)
        var p = range.lowerBound
        while p < range.upperBound {
            let b0 = UInt32(bytes[p])
            var value: UInt32
            var length: Int
            if b0 < 0x80 {
                value = b0; length = 1
            } else if b0 < 0xE0 {
                value = (b0 & 0x1F) << 6 | UInt32(bytes[p + 1] & 0x3F); length = 2
            } else if b0 < 0xF0 {
                value = (b0 & 0x0F) << 12 | UInt32(bytes[p + 1] & 0x3F) << 6 | UInt32(bytes[p + 2] & 0x3F)
                length = 3
            } else {
                value = (b0 & 0x07) << 18 | UInt32(bytes[p + 1] & 0x3F) << 12
                    | UInt32(bytes[p + 2] & 0x3F) << 6 | UInt32(bytes[p + 3] & 0x3F)
                length = 4
            }
            scratch.classes.append(classify(value))
            scratch.offsets.append(p)
            p += length
        }
        scratch.offsets.append(range.upperBound)

        // 2. Match the alternatives in the pattern's order at each position.
        try scratch.classes.withUnsafeBufferPointer { classes in
            try scratch.offsets.withUnsafeBufferPointer { offsets in
                let n = classes.count
                // The ASCII byte of scalar k (multi-byte scalars start with a byte >= 0xC0).
                func byte(_ k: Int) -> UInt8 { bytes[offsets[k]] }
                func run(of cls: UInt8, from k: Int) -> Int {
                    var j = k
                    while j < n && classes[j] == cls { j += 1 }
                    return j
                }
                var i = 0
                while i < n {
                    let first = byte(i)
                    var end = -1
                    if first == 0x27, i + 1 < n {  // 's 't 're 've 'm 'll 'd
                        let next = byte(i + 1)
                        if next == 0x73 || next == 0x74 || next == 0x6D || next == 0x64 {
                            end = i + 2
                        } else if i + 2 < n {
                            let third = byte(i + 2)
                            if (next == 0x72 && third == 0x65) || (next == 0x76 && third == 0x65)
                                || (next == 0x6C && third == 0x6C)
                            {
                                end = i + 3
                            }
                        }
                    }
                    if end < 0 {
                        let cls = classes[i]
                        if first == 0x20, i + 1 < n, classes[i + 1] != space {
                            end = run(of: classes[i + 1], from: i + 1)  // ` ?\p{L}+` and friends
                        } else if cls != space {
                            end = run(of: cls, from: i)
                        } else {
                            let j = run(of: space, from: i)
                            if j == n {
                                end = n  // `\s+(?!\S)` at the end of the text
                            } else if j - i >= 2 {
                                end = j - 1  // leave the last space to prefix the next word
                            } else {
                                end = j  // `\s+`: a lone whitespace before a non-space
                            }
                        }
                    }
                    try body(offsets[i]..<offsets[end])
                    i = end
                }
            }
        }
    }
}
