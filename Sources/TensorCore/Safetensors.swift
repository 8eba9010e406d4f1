// Safetensors: read and write the Hugging Face checkpoint format.
// Layout: an 8-byte little-endian header length N, N bytes of JSON, then the raw little-endian tensor data.
// Every length and offset is checked before any byte is read, so a corrupt file throws and never crashes.
import Foundation
import JSON

/// Reads and writes `.safetensors` files.
///
/// The file is an 8-byte little-endian `UInt64` header length N, then N bytes of UTF-8 JSON, then the data:
///
/// ```json
/// {"__metadata__": {"step": "100"},
///  "wte.weight": {"dtype": "F32", "shape": [64, 16], "data_offsets": [0, 4096]}}
/// ```
///
/// Offsets are relative to the first byte after the header. Reading accepts F32, F16, BF16 and I64 and
/// converts them to `Float`; writing always produces F32, with tensors sorted by name, contiguous offsets, and
/// the header padded with spaces to a multiple of 8 bytes (so the data is 8-byte aligned).
///
/// ```swift
/// try Safetensors.write(["w": Tensor(shape: [2], scalars: [1, 2])], to: url, metadata: ["step": "3"])
/// let (tensors, metadata) = try Safetensors.readWithMetadata(contentsOf: url)
/// ```
public enum Safetensors {
    /// Reads every tensor in a safetensors file, converted to Float32.
    ///
    /// - Parameter url: a file URL.
    /// - Returns: the tensors keyed by name.
    /// - Throws: `CheckpointError` when the file is missing, truncated or malformed, or uses another dtype.
    public static func read(contentsOf url: URL) throws(CheckpointError) -> [String: Tensor] {
        try readWithMetadata(contentsOf: url).tensors
    }

    /// Reads every tensor and the `__metadata__` string map of a safetensors file.
    ///
    /// - Parameter url: a file URL.
    /// - Returns: the tensors keyed by name, and the metadata (empty when the file has none).
    /// - Throws: `CheckpointError` when the file is missing, truncated or malformed, or uses another dtype.
    public static func readWithMetadata(
        contentsOf url: URL
    ) throws(CheckpointError) -> (tensors: [String: Tensor], metadata: [String: String]) {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw .fileNotFound(path: path) }
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw .ioError(path: path, message: "\(error.localizedDescription); check that it is a readable file")
        }
        let result: Result<(tensors: [String: Tensor], metadata: [String: String]), CheckpointError> =
            data.withUnsafeBytes { raw in
                do throws(CheckpointError) { return .success(try decode(raw, path: path)) } catch { return .failure(error) }
            }
        return try result.get()
    }

    /// Writes tensors as F32 to a safetensors file, atomically.
    ///
    /// The bytes go to a temporary file in the destination's directory, which is then renamed over `url`, so
    /// readers see either the old file or the complete new one, never a partial write.
    ///
    /// - Parameters:
    ///   - tensors: the tensors to store, keyed by name.
    ///   - url: the destination file URL; its directory must exist.
    ///   - metadata: free-form strings stored under `__metadata__`.
    /// - Throws: `CheckpointError.ioError` when the file cannot be written, or `.malformedHeader` for a tensor
    ///   named `__metadata__`.
    public static func write(
        _ tensors: [String: Tensor], to url: URL, metadata: [String: String] = [:]
    ) throws(CheckpointError) {
        let path = url.path
        if tensors["__metadata__"] != nil {
            throw .malformedHeader(path: path, reason: "\"__metadata__\" is reserved and cannot be a tensor name; rename the tensor")
        }
        let bytes = encode(tensors, metadata: metadata)
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try bytes.write(to: temporary)
        } catch {
            throw .ioError(path: path, message: "cannot write temporary file '\(temporary.path)': \(error.localizedDescription); check that the directory exists and is writable")
        }
        if rename(temporary.path, path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw .ioError(path: path, message: "cannot rename the temporary file over the destination: \(reason)")
        }
    }
}

// MARK: - Element types

extension Safetensors {
    /// The element types this reader understands, with their size in bytes.
    enum DType: String {
        case f32 = "F32", f16 = "F16", bf16 = "BF16", i64 = "I64"

        var byteCount: Int {
            switch self {
            case .f32: return 4
            case .f16, .bf16: return 2
            case .i64: return 8
            }
        }
    }

    /// One header entry after validation.
    struct Entry {
        var name: String
        var dtype: DType
        var shape: [Int]
        var begin: Int
        var end: Int
    }
}

// MARK: - Decoding

extension Safetensors {
    /// The deepest nesting a header may have (a header is two levels deep; the bound keeps hostile input from
    /// exhausting the stack).
    static let maximumHeaderDepth = 64

    static func decode(
        _ raw: UnsafeRawBufferPointer, path: String
    ) throws(CheckpointError) -> (tensors: [String: Tensor], metadata: [String: String]) {
        // 1. Header length.
        guard raw.count >= 8 else { throw .truncated(path: path, expectedBytes: 8, actualBytes: raw.count) }
        let headerLength = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard headerLength <= UInt64(raw.count - 8) else {
            let expected = headerLength > UInt64(Int.max - 8) ? Int.max : Int(headerLength) + 8
            throw .truncated(path: path, expectedBytes: expected, actualBytes: raw.count)
        }
        let headerEnd = 8 + Int(headerLength)
        let dataBytes = raw.count - headerEnd

        // 2. Header JSON.
        let headerBytes = UnsafeRawBufferPointer(rebasing: raw[8..<headerEnd])
        guard String(validating: headerBytes.bindMemory(to: UInt8.self), as: UTF8.self) != nil else {
            throw .malformedHeader(path: path, reason: "the header is not valid UTF-8")
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(utf8: headerBytes.bindMemory(to: UInt8.self), maximumDepth: maximumHeaderDepth)
        } catch {
            throw .malformedHeader(path: path, reason: "invalid JSON at byte \(error.offset) of the header: \(error.message)")
        }
        guard case .object(let members) = json else {
            throw .malformedHeader(path: path, reason: "the header must be a JSON object, found \(json.kind)")
        }

        // 3. Entries: every field checked, then ranges against the data section.
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        var seen = Set<String>()
        for (name, value) in members {
            guard seen.insert(name).inserted else { throw .duplicateTensor(name: name) }
            if name == "__metadata__" {
                metadata = try decodeMetadata(value, path: path)
            } else {
                entries.append(try decodeEntry(name: name, value, path: path))
            }
        }
        for entry in entries {
            guard 0 <= entry.begin, entry.begin <= entry.end, entry.end <= dataBytes else {
                throw .offsetsOutOfRange(name: entry.name, begin: entry.begin, end: entry.end, dataBytes: dataBytes)
            }
            let (count, overflow) = entry.shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            let (expected, overflow2) = count.multipliedReportingOverflow(by: entry.dtype.byteCount)
            guard !overflow, !overflow2 else { throw .invalidShape(name: entry.name, shape: entry.shape) }
            guard expected == entry.end - entry.begin else {
                throw .inconsistentSize(name: entry.name, shape: entry.shape, dtype: entry.dtype.rawValue,
                                        expectedBytes: expected, foundBytes: entry.end - entry.begin)
            }
        }
        let nonEmpty = entries.filter { $0.end > $0.begin }.sorted { ($0.begin, $0.name) < ($1.begin, $1.name) }
        for (previous, next) in zip(nonEmpty, nonEmpty.dropFirst()) where next.begin < previous.end {
            throw .overlappingTensors(name: next.name, otherName: previous.name)
        }

        // 4. Data: every range is now known to be inside the buffer.
        var tensors: [String: Tensor] = [:]
        for entry in entries {
            let bytes = UnsafeRawBufferPointer(rebasing: raw[(headerEnd + entry.begin)..<(headerEnd + entry.end)])
            tensors[entry.name] = convert(bytes, dtype: entry.dtype, shape: entry.shape)
        }
        return (tensors, metadata)
    }

    static func decodeMetadata(_ value: JSONValue, path: String) throws(CheckpointError) -> [String: String] {
        guard case .object(let members) = value else {
            throw .malformedHeader(path: path, reason: "\"__metadata__\" must be an object of strings, found \(value.kind)")
        }
        var metadata: [String: String] = [:]
        for (key, item) in members {
            guard case .string(let text) = item else {
                throw .malformedHeader(path: path, reason: "\"__metadata__\" value for \"\(key)\" must be a string, found \(item.kind)")
            }
            guard metadata.updateValue(text, forKey: key) == nil else {
                throw .malformedHeader(path: path, reason: "\"__metadata__\" has the key \"\(key)\" twice")
            }
        }
        return metadata
    }

    static func decodeEntry(name: String, _ value: JSONValue, path: String) throws(CheckpointError) -> Entry {
        func malformed(_ reason: String) -> CheckpointError {
            .malformedHeader(path: path, reason: "tensor '\(name)': \(reason)")
        }
        guard case .object(let members) = value else { throw malformed("expected an object, found \(value.kind)") }
        var fields: [String: JSONValue] = [:]
        for (key, item) in members {
            guard fields.updateValue(item, forKey: key) == nil else { throw malformed("field \"\(key)\" appears twice") }
        }
        guard case .string(let dtypeName)? = fields["dtype"] else { throw malformed("\"dtype\" must be a string") }
        guard case .array(let shapeItems)? = fields["shape"] else { throw malformed("\"shape\" must be an array of integers") }
        guard case .array(let offsetItems)? = fields["data_offsets"], offsetItems.count == 2 else {
            throw malformed("\"data_offsets\" must be an array of two integers")
        }
        var shape: [Int] = []
        for item in shapeItems {
            guard let d = item.integer else { throw malformed("\"shape\" must contain integers, found \(item.kind)") }
            shape.append(d)
        }
        guard let begin = offsetItems[0].integer, let end = offsetItems[1].integer else {
            throw malformed("\"data_offsets\" must contain integers")
        }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw .invalidShape(name: name, shape: shape) }
        guard let dtype = DType(rawValue: dtypeName) else { throw .unsupportedDType(name: name, dtype: dtypeName) }
        return Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// Converts little-endian elements to a Float32 tensor. `bytes.count` has been checked against the shape.
    static func convert(_ bytes: UnsafeRawBufferPointer, dtype: DType, shape: [Int]) -> Tensor {
        var tensor = Tensor(uninitializedShape: shape)
        tensor.withUnsafeMutableBufferPointer { out in
            switch dtype {
            case .f32:
                for i in 0..<out.count {
                    let bits = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                    out[i] = Float(bitPattern: bits)
                }
            case .f16:
                for i in 0..<out.count {
                    let bits = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    out[i] = Float(Float16(bitPattern: bits))
                }
            case .bf16:
                // bfloat16 is the top half of a float32.
                for i in 0..<out.count {
                    let bits = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    out[i] = Float(bitPattern: UInt32(bits) << 16)
                }
            case .i64:
                for i in 0..<out.count {
                    out[i] = Float(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
                }
            }
        }
        return tensor
    }
}

extension JSONValue {
    /// A short name of the value's kind for the header's error messages: "an object", "the number 1.5", ...
    fileprivate var kind: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string(let s): return "the string \"\(s)\""
        case .number: return "the number \(serialized())"
        case .bool(let b): return "\(b)"
        case .null: return "null"
        }
    }
}

// MARK: - Encoding

extension Safetensors {
    /// The complete file: length, padded header, then each tensor's F32 bytes in name order.
    static func encode(_ tensors: [String: Tensor], metadata: [String: String]) -> Data {
        let names = tensors.keys.sorted()
        var header = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let items = metadata.keys.sorted().map { "\(JSONValue.quote($0)):\(JSONValue.quote(metadata[$0]!))" }
            parts.append("\"__metadata__\":{\(items.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            let t = tensors[name]!
            let end = offset + 4 * t.count
            let shape = t.shape.map(String.init).joined(separator: ",")
            parts.append("\(JSONValue.quote(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        // Pad with spaces so that the data section starts on an 8-byte boundary (the 8-byte prefix keeps it so).
        while headerBytes.count % 8 != 0 { headerBytes.append(UInt8(ascii: " ")) }

        var bytes = Data(count: 8 + headerBytes.count + offset)
        bytes.withUnsafeMutableBytes { out in
            out.storeBytes(of: UInt64(headerBytes.count).littleEndian, toByteOffset: 0, as: UInt64.self)
            headerBytes.withUnsafeBytes { out.baseAddress!.advanced(by: 8).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            var position = 8 + headerBytes.count
            for name in names {
                tensors[name]!.withUnsafeBufferPointer { p in
                    for i in 0..<p.count {
                        out.storeBytes(of: p[i].bitPattern.littleEndian, toByteOffset: position + 4 * i, as: UInt32.self)
                    }
                    position += 4 * p.count
                }
            }
        }
        return bytes
    }
}
