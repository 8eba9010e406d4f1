// libFuzzer target: Safetensors.readWithMetadata on arbitrary bytes must throw a CheckpointError or return
// tensors whose element counts match their shapes; it must never crash, trap or read out of bounds (ASan).
// Built by Scripts/fuzz.sh together with the TensorCore sources (one module, so no package build is needed).
import Foundation

private let scratch = FileManager.default.temporaryDirectory
    .appendingPathComponent("fuzz-safetensors-\(ProcessInfo.processInfo.processIdentifier).safetensors")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // The reader takes a file (it maps it), so each input goes through one.
    let bytes = Data(bytes: data, count: size)
    guard (try? bytes.write(to: scratch)) != nil else { return 0 }
    do {
        let (tensors, _) = try Safetensors.readWithMetadata(contentsOf: scratch)
        for (name, tensor) in tensors {
            precondition(tensor.shape.reduce(1, *) == tensor.count, "\(name): shape \(tensor.shape) but \(tensor.count) elements")
        }
    } catch {
        // Every malformed input must be a typed error with a message (CheckpointError's description).
        precondition(!"\(error)".isEmpty)
    }
    return 0
}
