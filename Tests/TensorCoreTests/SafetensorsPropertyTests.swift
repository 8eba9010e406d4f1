// Seeded property tests of safetensors: write-then-read gives back every tensor bit for bit (NaN payloads and
// signed zeros included) for random names, shapes with empty dimensions and metadata; and files holding each
// readable dtype, laid out in a random order, read back as exactly the Float32 values of their elements.
import Foundation
import TensorCore
import XCTest

final class SafetensorsPropertyTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-properties-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A shape of rank 0–4 whose dimensions are often 0 or 1 (the edge cases) and at most 7.
    private func randomShape(_ rng: inout SeededGenerator) -> [Int] {
        (0..<Int(rng.next() % 5)).map { _ in
            switch rng.next() % 4 {
            case 0: return 0
            case 1: return 1
            default: return Int(rng.next() % 8)
            }
        }
    }

    /// Names with the characters a JSON writer must escape, non-ASCII and non-BMP text, and the empty name.
    private func randomName(_ rng: inout SeededGenerator) -> String {
        let pieces = ["w", "blocks.0.attn", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "日本",
                      "😀", "\u{2028}", "\u{FFFF}", " ", "{}", "[]", ":", ",", "__metadata", ""]
        return (0..<Int(rng.next() % 5)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
    }

    /// Any 32-bit pattern some of the time (NaNs with payloads, subnormals, infinities), ordinary values otherwise.
    private func randomFloat(_ rng: inout SeededGenerator) -> Float {
        switch rng.next() % 4 {
        case 0: return Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
        case 1: return [0, -0.0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, .greatestFiniteMagnitude][Int(rng.next() % 7)]
        default: return Float(rng.nextNormal())
        }
    }

    func testWriteThenReadIsTheIdentityBitForBit() throws {
        var rng = SeededGenerator(seed: 22)
        let url = directory.appendingPathComponent("round-trip.safetensors")
        for trial in 0..<300 {
            var tensors: [String: Tensor] = [:]
            for _ in 0..<Int(rng.next() % 6) {
                let name = randomName(&rng)
                guard name != "__metadata__" else { continue }
                let shape = randomShape(&rng)
                let count = shape.reduce(1, *)
                tensors[name] = Tensor(shape: shape, scalars: (0..<count).map { _ in randomFloat(&rng) })
            }
            var metadata: [String: String] = [:]
            for _ in 0..<Int(rng.next() % 3) { metadata[randomName(&rng)] = randomName(&rng) }

            try Safetensors.write(tensors, to: url, metadata: metadata)
            let (read, readMetadata) = try Safetensors.readWithMetadata(contentsOf: url)
            XCTAssertEqual(readMetadata, metadata, "trial \(trial)")
            XCTAssertEqual(Set(read.keys), Set(tensors.keys), "trial \(trial)")
            for (name, tensor) in tensors {
                guard let back = read[name] else { continue }
                XCTAssertEqual(back.shape, tensor.shape, "trial \(trial), tensor \(name.debugDescription)")
                XCTAssertEqual(back.scalars.map(\.bitPattern), tensor.scalars.map(\.bitPattern),
                               "trial \(trial), tensor \(name.debugDescription)")
            }
            // The writer's layout promise: data 8-byte aligned.
            let bytes = try Data(contentsOf: url)
            let headerLength = bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
            XCTAssertEqual(headerLength % 8, 0, "trial \(trial)")
        }
    }

    /// One tensor of a hand-built file: its dtype, shape, little-endian bytes, and the Float32 values a correct
    /// reader must produce from them.
    private struct Stored {
        var name: String
        var dtype: String
        var shape: [Int]
        var bytes: [UInt8]
        var expected: [UInt32]
    }

    private func randomStored(name: String, _ rng: inout SeededGenerator) -> Stored {
        let shape = randomShape(&rng)
        let count = shape.reduce(1, *)
        var bytes: [UInt8] = []
        var expected: [UInt32] = []
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        switch rng.next() % 4 {
        case 0:
            for _ in 0..<count {
                let value = randomFloat(&rng)
                append(value.bitPattern)
                expected.append(value.bitPattern)
            }
            return Stored(name: name, dtype: "F32", shape: shape, bytes: bytes, expected: expected)
        case 1:
            for _ in 0..<count {
                let bits = UInt16(truncatingIfNeeded: rng.next())
                append(bits)
                expected.append(Float(Float16(bitPattern: bits)).bitPattern)
            }
            return Stored(name: name, dtype: "F16", shape: shape, bytes: bytes, expected: expected)
        case 2:
            for _ in 0..<count {
                let bits = UInt16(truncatingIfNeeded: rng.next())
                append(bits)
                expected.append(UInt32(bits) << 16)  // bfloat16 is the top half of a float32
            }
            return Stored(name: name, dtype: "BF16", shape: shape, bytes: bytes, expected: expected)
        default:
            for _ in 0..<count {
                let value = rng.next() % 2 == 0 ? Int64(truncatingIfNeeded: rng.next()) : Int64(rng.next() % 2001) - 1000
                append(UInt64(bitPattern: value))
                expected.append(Float(value).bitPattern)
            }
            return Stored(name: name, dtype: "I64", shape: shape, bytes: bytes, expected: expected)
        }
    }

    /// JSON string escaping written independently of the library's, so the two are checked against each other.
    private func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += String(format: "\\u%04x", scalar.value)
                } else if scalar.value > 0xFFFF {
                    // Written as a surrogate pair to exercise the reader's \u decoding.
                    let v = scalar.value - 0x10000
                    out += String(format: "\\u%04X\\u%04X", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF))
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    func testEveryReadableDTypeInAnyLayoutReadsBackExactly() throws {
        var rng = SeededGenerator(seed: 2028)
        let url = directory.appendingPathComponent("dtypes.safetensors")
        for trial in 0..<300 {
            var names = Set<String>()
            for _ in 0..<Int(rng.next() % 6) {
                let name = randomName(&rng)
                if name != "__metadata__" { names.insert(name) }
            }
            let stored = names.sorted().map { randomStored(name: $0, &rng) }
            // Data in a random order (the format allows any), header entries in another.
            var dataOrder = Array(stored.indices)
            dataOrder.shuffle(using: &rng)
            var data: [UInt8] = []
            var offsets = [(Int, Int)](repeating: (0, 0), count: stored.count)
            for i in dataOrder {
                offsets[i] = (data.count, data.count + stored[i].bytes.count)
                data += stored[i].bytes
            }
            var headerOrder = Array(stored.indices)
            headerOrder.shuffle(using: &rng)
            let entries = headerOrder.map { i in
                let s = stored[i]
                return "\(quote(s.name)): {\"dtype\": \"\(s.dtype)\", \"shape\": [\(s.shape.map(String.init).joined(separator: ", "))], \"data_offsets\": [\(offsets[i].0), \(offsets[i].1)]}"
            }
            let header = Array(("{" + entries.joined(separator: ", ") + "}").utf8)
            var file: [UInt8] = []
            withUnsafeBytes(of: UInt64(header.count).littleEndian) { file += $0 }
            file += header + data
            try Data(file).write(to: url)

            let read = try Safetensors.read(contentsOf: url)
            XCTAssertEqual(Set(read.keys), names, "trial \(trial)")
            for s in stored {
                guard let tensor = read[s.name] else { continue }
                XCTAssertEqual(tensor.shape, s.shape, "trial \(trial), \(s.dtype) tensor \(s.name.debugDescription)")
                XCTAssertEqual(tensor.scalars.map(\.bitPattern), s.expected, "trial \(trial), \(s.dtype) tensor \(s.name.debugDescription)")
            }
        }
    }
}
