// libFuzzer target: BPETokenizer(tokenizerJSON:) on arbitrary bytes must throw a TokenizerError or give a tokenizer
// that round-trips text: whatever it encodes decodes to exactly the bytes it was given. Never a crash or trap.
// Built by Scripts/fuzz.sh together with the Tokenizers sources.
import Foundation

private let scratch = FileManager.default.temporaryDirectory
    .appendingPathComponent("fuzz-tokenizer-json-\(ProcessInfo.processInfo.processIdentifier).json")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizerJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard (try? Data(bytes: data, count: size).write(to: scratch)) != nil else { return 0 }
    do {
        let tokenizer = try BPETokenizer(tokenizerJSON: scratch)
        fuzzCheckRoundTrip(tokenizer)
    } catch is TokenizerError {
    } catch {
        preconditionFailure("not a TokenizerError: \(error)")
    }
    return 0
}
