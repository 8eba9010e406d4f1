// GPT-2's reversible map between bytes and printable Unicode characters (`bytes_to_unicode` in
// OpenAI's encoder.py). Vocabulary and merges files spell every token with these characters, so
// a space is "Ġ" (U+0120) and a newline "Ċ" (U+010A).

/// The byte-to-character alphabet of byte-level BPE files.
public enum ByteLevel {
    /// `scalar[b]` is the character that stands for byte `b` in vocabulary files.
    ///
    /// The 188 printable bytes `!`…`~`, `¡`…`¬`, `®`…`ÿ` stand for themselves; the other 68 bytes
    /// (controls, space, DEL, NBSP, soft hyphen…) are shifted to U+0100…U+0143 in byte order.
    public static let scalars: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var shifted: UInt32 = 0
        for byte in 0..<256 {
            let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
            if printable {
                table[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                table[byte] = Unicode.Scalar(256 + shifted)!
                shifted += 1
            }
        }
        return table
    }()

    /// Inverse of `scalars`: index by scalar value (< 324), -1 for characters outside the alphabet.
    static let byteOfScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (byte, scalar) in scalars.enumerated() { table[Int(scalar.value)] = Int16(byte) }
        return table
    }()

    /// The vocabulary-file spelling of raw bytes: `[0x20, 0x68, 0x69]` → "Ġhi".
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var view = String.UnicodeScalarView()
        for byte in bytes { view.append(scalars[Int(byte)]) }
        return String(view)
    }

    /// The raw bytes of a vocabulary-file spelling, or nil if a character is outside the alphabet.
    public static func decode(_ token: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.utf8.count)
        for scalar in token.unicodeScalars {
            let value = Int(scalar.value)
            guard value < byteOfScalar.count, byteOfScalar[value] >= 0 else { return nil }
            bytes.append(UInt8(byteOfScalar[value]))
        }
        return bytes
    }

    /// The UTF-8 bytes of each byte's character, for writing files quickly.
    static let utf8OfByte: [[UInt8]] = scalars.map { Array(String($0).utf8) }

    /// Appends the vocabulary-file spelling of `bytes`, as UTF-8; with `jsonEscaped`, `"` and `\`
    /// are escaped (no other character of the alphabet needs it).
    static func appendSpelling(of bytes: [UInt8], to out: inout [UInt8], jsonEscaped: Bool) {
        for byte in bytes {
            if jsonEscaped && (byte == 0x22 || byte == 0x5C) { out.append(0x5C) }
            out.append(contentsOf: utf8OfByte[Int(byte)])
        }
    }

    /// The first character of `token` that is outside the alphabet (for error messages).
    static func firstForeignScalar(in token: String) -> Unicode.Scalar? {
        token.unicodeScalars.first { Int($0.value) >= byteOfScalar.count || byteOfScalar[Int($0.value)] < 0 }
    }
}

/// Decodes bytes as UTF-8, replacing each maximal invalid subsequence with U+FFFD — the same
/// result as Python's `bytes.decode("utf-8", errors="replace")`.
func decodeUTF8Replacing(_ bytes: [UInt8]) -> String {
    String(decoding: bytes, as: UTF8.self)
}
