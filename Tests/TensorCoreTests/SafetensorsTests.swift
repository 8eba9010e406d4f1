// Safetensors: round trips, hand-built and Python-made files in every readable dtype, the exact error for each
// kind of malformed file, atomic writes, and a corruption sweep that must never crash.
import Foundation
import TensorCore
import XCTest

final class SafetensorsTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: - Helpers

    /// Writes `8-byte length | header | data` to a file and returns its URL.
    func makeFile(header: String, data: [UInt8] = [], name: String = "test.safetensors") throws -> URL {
        try makeFile(headerBytes: Array(header.utf8), data: data, name: name)
    }

    func makeFile(headerBytes: [UInt8], data: [UInt8] = [], declaredLength: UInt64? = nil,
                  name: String = "test.safetensors") throws -> URL {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: (declaredLength ?? UInt64(headerBytes.count)).littleEndian) { bytes += $0 }
        bytes += headerBytes + data
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        var out: [UInt8] = []
        for v in values { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        return out
    }

    func assertReadThrows(_ url: URL, _ expected: CheckpointError, file: StaticString = #filePath, line: UInt = #line) {
        do {
            let tensors = try Safetensors.read(contentsOf: url)
            XCTFail("expected \(expected), but read \(tensors.keys.sorted())", file: file, line: line)
        } catch {
            XCTAssertEqual(error, expected, file: file, line: line)
        }
    }

    func path(_ url: URL) -> String { url.path }

    // MARK: - Round trip and layout

    func testRoundTripPreservesTensorsAndMetadata() throws {
        var rng = SeededGenerator(seed: 7)
        let tensors: [String: Tensor] = [
            "blocks.0.weight": Tensor.randomNormal([3, 5], using: &rng),
            "bias": Tensor(shape: [5], scalars: [0, -0.0, .infinity, -.greatestFiniteMagnitude, .leastNonzeroMagnitude]),
            "scalar": Tensor(42),
            "empty": Tensor(zeros: [0, 4]),
            "odd \"name\" é": Tensor(shape: [1], scalars: [1]),
        ]
        let metadata = ["step": "12", "quote\"and\\slash": "line\nbreak ✓"]
        let url = directory.appendingPathComponent("model.safetensors")
        try Safetensors.write(tensors, to: url, metadata: metadata)
        let (read, readMetadata) = try Safetensors.readWithMetadata(contentsOf: url)
        XCTAssertEqual(readMetadata, metadata)
        XCTAssertEqual(Set(read.keys), Set(tensors.keys))
        for (name, tensor) in tensors {
            XCTAssertEqual(read[name]?.shape, tensor.shape, name)
            XCTAssertEqual(read[name]?.scalars.map(\.bitPattern), tensor.scalars.map(\.bitPattern), name)
        }
    }

    func testRoundTripKeepsNaNBits() throws {
        let nan = Float(bitPattern: 0x7FC0_1234)
        let url = directory.appendingPathComponent("nan.safetensors")
        try Safetensors.write(["x": Tensor(shape: [2], scalars: [nan, 1])], to: url)
        XCTAssertEqual(try Safetensors.read(contentsOf: url)["x"]?.scalars.map(\.bitPattern), [0x7FC0_1234, Float(1).bitPattern])
    }

    func testWrittenHeaderIsPaddedSortedAndContiguous() throws {
        let url = directory.appendingPathComponent("layout.safetensors")
        try Safetensors.write(["b": Tensor(zeros: [3]), "a": Tensor(zeros: [2, 2]), "c": Tensor(1)], to: url)
        let bytes = [UInt8](try Data(contentsOf: url))
        let headerLength = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        XCTAssertEqual(headerLength % 8, 0)
        XCTAssertEqual(bytes.count, 8 + headerLength + 4 * (3 + 4 + 1))
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        XCTAssertEqual(header.trimmingCharacters(in: .whitespaces),
                       #"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[3],"data_offsets":[16,28]},"c":{"dtype":"F32","shape":[],"data_offsets":[28,32]}}"#)
        XCTAssertTrue(header.hasSuffix(" ") || header.hasSuffix("}"))
    }

    // MARK: - Reading other dtypes

    func testReadsHandBuiltF16BF16AndI64() throws {
        // F16: 1.0 = 0x3C00, -2.0 = 0xC000, 65504 = 0x7BFF, 2^-24 = 0x0001 (subnormal)
        let f16 = littleEndianBytes([UInt16(0x3C00), 0xC000, 0x7BFF, 0x0001])
        // BF16: 1.0 = 0x3F80, -3.5 = 0xC060, pi ≈ 0x4049 (3.140625)
        let bf16 = littleEndianBytes([UInt16(0x3F80), 0xC060, 0x4049, 0x0000])
        let i64 = littleEndianBytes([Int64(-5), 1 << 40])
        let header = #"{"h":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[4],"data_offsets":[8,16]},"i":{"dtype":"I64","shape":[2],"data_offsets":[16,32]}}"#
        let tensors = try Safetensors.read(contentsOf: makeFile(header: header, data: f16 + bf16 + i64))
        XCTAssertEqual(tensors["h"], Tensor(shape: [2, 2], scalars: [1, -2, 65504, 0x1p-24]))
        XCTAssertEqual(tensors["b"], Tensor(shape: [4], scalars: [1, -3.5, 3.140625, 0]))
        XCTAssertEqual(tensors["i"], Tensor(shape: [2], scalars: [-5, 1_099_511_627_776]))
    }

    func testAcceptsWhitespaceAndUnpaddedHeaders() throws {
        let header = "  {\n \"x\" : { \"data_offsets\" : [ 0 , 4 ], \"shape\": [1], \"dtype\": \"F32\" } }\t\r\n"
        let tensors = try Safetensors.read(contentsOf: makeFile(header: header, data: littleEndianBytes([Float(2.5).bitPattern])))
        XCTAssertEqual(tensors["x"], Tensor(shape: [1], scalars: [2.5]))
    }

    func testReadsPythonSafetensorsFixtureExactly() throws {
        struct Expected: Decodable {
            struct Entry: Decodable { var dtype: String; var shape: [Int]; var values: [Double] }
            var metadata: [String: String]
            var tensors: [String: Entry]
        }
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: fixtures.appendingPathComponent("mixed_dtypes.json")))
        let (tensors, metadata) = try Safetensors.readWithMetadata(contentsOf: fixtures.appendingPathComponent("mixed_dtypes.safetensors"))
        XCTAssertEqual(metadata, expected.metadata)
        XCTAssertEqual(Set(tensors.keys), Set(expected.tensors.keys))
        XCTAssertEqual(expected.tensors.count, 6)
        for (name, entry) in expected.tensors {
            let tensor = try XCTUnwrap(tensors[name], name)
            XCTAssertEqual(tensor.shape, entry.shape, name)
            XCTAssertEqual(tensor.scalars.map(\.bitPattern), entry.values.map { Float($0).bitPattern }, "\(name) (\(entry.dtype))")
        }
    }

    // MARK: - Malformed files

    func testMissingFile() {
        let url = directory.appendingPathComponent("nope.safetensors")
        assertReadThrows(url, .fileNotFound(path: url.path))
    }

    func testFileShorterThanLengthPrefix() throws {
        let url = directory.appendingPathComponent("short.safetensors")
        try Data([1, 2, 3]).write(to: url)
        assertReadThrows(url, .truncated(path: url.path, expectedBytes: 8, actualBytes: 3))
    }

    func testHeaderLengthLargerThanFile() throws {
        let url = try makeFile(headerBytes: Array("{}".utf8), declaredLength: 1000)
        assertReadThrows(url, .truncated(path: url.path, expectedBytes: 1008, actualBytes: 10))
        let huge = try makeFile(headerBytes: Array("{}".utf8), declaredLength: .max, name: "huge.safetensors")
        assertReadThrows(huge, .truncated(path: huge.path, expectedBytes: .max, actualBytes: 10))
    }

    func testTruncatedData() throws {
        let url = try makeFile(header: #"{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: [0, 0, 0, 0])
        assertReadThrows(url, .offsetsOutOfRange(name: "x", begin: 0, end: 16, dataBytes: 4))
    }

    func testNonUTF8Header() throws {
        let url = try makeFile(headerBytes: [0x7B, 0xFF, 0xFE, 0x7D])
        assertReadThrows(url, .malformedHeader(path: url.path, reason: "the header is not valid UTF-8"))
    }

    func testInvalidJSON() throws {
        for (index, header) in [#"{"x": "#, #"{"x" 1}"#, "[1, 2", #"{"a":1}x"#, "", #"{"a":"\q"}"#, "{\"a\":\"\u{01}\"}"].enumerated() {
            let url = try makeFile(header: header, name: "bad\(index).safetensors")
            XCTAssertThrowsError(try Safetensors.read(contentsOf: url), header) { error in
                guard case .malformedHeader(_, let reason) = error as? CheckpointError else {
                    return XCTFail("\(header): expected malformedHeader, got \(error)")
                }
                XCTAssertTrue(reason.hasPrefix("invalid JSON at byte"), reason)
            }
        }
    }

    func testDeeplyNestedJSONDoesNotOverflowTheStack() throws {
        let url = try makeFile(header: String(repeating: "[", count: 100_000))
        assertReadThrows(url, .malformedHeader(path: url.path, reason: "invalid JSON at byte 64 of the header: nesting deeper than 64 levels"))
    }

    func testHeaderMustBeAnObject() throws {
        let url = try makeFile(header: "[1]")
        assertReadThrows(url, .malformedHeader(path: url.path, reason: "the header must be a JSON object, found an array"))
    }

    func testMissingOrWronglyTypedFields() throws {
        let cases: [(String, String)] = [
            (#"{"x":{"shape":[1],"data_offsets":[0,4]}}"#, "tensor 'x': \"dtype\" must be a string"),
            (#"{"x":{"dtype":"F32","data_offsets":[0,4]}}"#, "tensor 'x': \"shape\" must be an array of integers"),
            (#"{"x":{"dtype":"F32","shape":[1]}}"#, "tensor 'x': \"data_offsets\" must be an array of two integers"),
            (#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#, "tensor 'x': \"data_offsets\" must be an array of two integers"),
            (#"{"x":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, "tensor 'x': \"shape\" must contain integers, found the number 1.5"),
            (#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,"4"]}}"#, "tensor 'x': \"data_offsets\" must contain integers"),
            (#"{"x":7}"#, "tensor 'x': expected an object, found the number 7"),
            (#"{"x":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, "tensor 'x': field \"dtype\" appears twice"),
            (#"{"__metadata__":{"a":1}}"#, "\"__metadata__\" value for \"a\" must be a string, found the number 1"),
            (#"{"__metadata__":[]}"#, "\"__metadata__\" must be an object of strings, found an array"),
        ]
        for (index, (header, reason)) in cases.enumerated() {
            let url = try makeFile(header: header, data: [0, 0, 0, 0], name: "case\(index).safetensors")
            assertReadThrows(url, .malformedHeader(path: url.path, reason: reason))
        }
    }

    func testUnsupportedDType() throws {
        let url = try makeFile(header: #"{"x":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))
        assertReadThrows(url, .unsupportedDType(name: "x", dtype: "F64"))
    }

    func testOffsetsOutOfRange() throws {
        let data = [UInt8](repeating: 0, count: 8)
        let beyond = try makeFile(header: #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#, data: data, name: "a.safetensors")
        assertReadThrows(beyond, .offsetsOutOfRange(name: "x", begin: 8, end: 12, dataBytes: 8))
        let reversed = try makeFile(header: #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, data: data, name: "b.safetensors")
        assertReadThrows(reversed, .offsetsOutOfRange(name: "x", begin: 4, end: 0, dataBytes: 8))
        let negative = try makeFile(header: #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#, data: data, name: "c.safetensors")
        assertReadThrows(negative, .offsetsOutOfRange(name: "x", begin: -4, end: 0, dataBytes: 8))
        let enormous = try makeFile(header: #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,99999999999999999999]}}"#, data: data, name: "d.safetensors")
        assertReadThrows(enormous, .malformedHeader(path: enormous.path, reason: "tensor 'x': \"data_offsets\" must contain integers"))
    }

    func testSizeDoesNotMatchShape() throws {
        let url = try makeFile(header: #"{"x":{"dtype":"F16","shape":[2,3],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))
        assertReadThrows(url, .inconsistentSize(name: "x", shape: [2, 3], dtype: "F16", expectedBytes: 12, foundBytes: 8))
    }

    func testOverflowingShape() throws {
        let url = try makeFile(header: #"{"x":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
        assertReadThrows(url, .invalidShape(name: "x", shape: [4_294_967_296, 4_294_967_296]))
    }

    func testNegativeDimension() throws {
        let url = try makeFile(header: #"{"x":{"dtype":"F32","shape":[-1,-4],"data_offsets":[0,16]}}"#, data: Array(repeating: 0, count: 16))
        assertReadThrows(url, .invalidShape(name: "x", shape: [-1, -4]))
    }

    func testOverlappingTensors() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let url = try makeFile(header: header, data: Array(repeating: 0, count: 12))
        assertReadThrows(url, .overlappingTensors(name: "b", otherName: "a"))
    }

    func testOutOfOrderButDisjointOffsetsAreAccepted() throws {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let data = littleEndianBytes([Float(2).bitPattern, Float(1).bitPattern])
        let tensors = try Safetensors.read(contentsOf: makeFile(header: header, data: data))
        XCTAssertEqual(tensors["a"]?.scalars, [1])
        XCTAssertEqual(tensors["b"]?.scalars, [2])
    }

    func testDuplicateTensor() throws {
        let header = #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        let url = try makeFile(header: header, data: Array(repeating: 0, count: 8))
        assertReadThrows(url, .duplicateTensor(name: "x"))
    }

    /// Every truncation and many single-byte corruptions of a valid file either read or throw; none crash.
    func testCorruptionSweepNeverCrashes() throws {
        let url = directory.appendingPathComponent("valid.safetensors")
        try Safetensors.write(["a": Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]), "b": Tensor(shape: [2], scalars: [7, 8])],
                              to: url, metadata: ["k": "v"])
        let original = [UInt8](try Data(contentsOf: url))
        let corrupt = directory.appendingPathComponent("corrupt.safetensors")
        var outcomes = (read: 0, thrown: 0)
        func attempt(_ bytes: [UInt8]) throws {
            // Plain stdio: Data.write(to:) syncs to disk each time, which would make this sweep take seconds.
            let file = try XCTUnwrap(fopen(corrupt.path, "wb"))
            XCTAssertEqual(fwrite(bytes, 1, bytes.count, file), bytes.count)
            fclose(file)
            do { _ = try Safetensors.read(contentsOf: corrupt); outcomes.read += 1 } catch { outcomes.thrown += 1 }
        }
        for length in 0..<original.count { try attempt(Array(original[0..<length])) }
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<200 {
            var bytes = original
            let position = Int(rng.next() % UInt64(bytes.count))
            bytes[position] = UInt8(truncatingIfNeeded: rng.next())
            try attempt(bytes)
        }
        XCTAssertEqual(outcomes.read + outcomes.thrown, original.count + 200)
        XCTAssertGreaterThan(outcomes.thrown, original.count - 10)
    }

    // MARK: - Writing

    func testWriteIsAtomicAndLeavesNoTemporaryFile() throws {
        let url = directory.appendingPathComponent("weights.safetensors")
        try Safetensors.write(["x": Tensor(shape: [1], scalars: [1])], to: url)
        try Safetensors.write(["x": Tensor(shape: [2], scalars: [2, 3])], to: url)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["weights.safetensors"])
        XCTAssertEqual(try Safetensors.read(contentsOf: url)["x"]?.scalars, [2, 3])
    }

    func testWriteIntoMissingDirectoryThrowsAndLeavesNothing() throws {
        let url = directory.appendingPathComponent("missing/weights.safetensors")
        XCTAssertThrowsError(try Safetensors.write(["x": Tensor(1)], to: url)) { error in
            guard case .ioError(let path, let message) = error as? CheckpointError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, url.path)
            XCTAssertTrue(message.contains("check that the directory exists and is writable"), message)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
    }

    func testFailedRenameRemovesTheTemporaryFile() throws {
        // Renaming a file over a non-empty directory fails after the temporary file has been written.
        let url = directory.appendingPathComponent("occupied")
        try FileManager.default.createDirectory(at: url.appendingPathComponent("child"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try Safetensors.write(["x": Tensor(1)], to: url)) { error in
            guard case .ioError = error as? CheckpointError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["occupied"])
    }

    func testReservedTensorNameIsRejected() {
        let url = directory.appendingPathComponent("reserved.safetensors")
        XCTAssertThrowsError(try Safetensors.write(["__metadata__": Tensor(1)], to: url)) { error in
            XCTAssertEqual(error as? CheckpointError, .malformedHeader(
                path: url.path, reason: "\"__metadata__\" is reserved and cannot be a tensor name; rename the tensor"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }

    // MARK: - Messages

    func testErrorMessagesNameTheProblemAndTheFix() {
        XCTAssertEqual(CheckpointError.unsupportedDType(name: "w", dtype: "F64").description,
                       "tensor 'w' has dtype F64, which is not supported (supported: F32, F16, BF16, I64); convert it to float32 before saving, e.g. tensor.float() in PyTorch")
        XCTAssertEqual(CheckpointError.truncated(path: "/m.safetensors", expectedBytes: 1008, actualBytes: 10).description,
                       "'/m.safetensors' is truncated: it needs at least 1008 bytes but has 10; the file was probably cut off while copying or writing, so re-create or re-download it")
        XCTAssertEqual(CheckpointError.inconsistentSize(name: "x", shape: [2, 3], dtype: "F16", expectedBytes: 12, foundBytes: 8).description,
                       "tensor 'x' with shape [2, 3] and dtype F16 needs 12 bytes but its data_offsets span 8; the header is inconsistent, so re-export the checkpoint")
        XCTAssertEqual(CheckpointError.offsetsOutOfRange(name: "x", begin: 8, end: 12, dataBytes: 8).description,
                       "tensor 'x' has data_offsets [8, 12] outside the data section of 8 bytes (need 0 ≤ begin ≤ end ≤ 8); the file is truncated or its header is corrupt, so re-create or re-export it")
    }
}
