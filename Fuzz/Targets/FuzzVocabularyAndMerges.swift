// libFuzzer target: BPETokenizer(vocabularyFile:mergesFile:) on arbitrary bytes (vocab.json, a NUL byte, then
// merges.txt) must throw a TokenizerError or give a tokenizer that round-trips text. Never a crash or trap.
// Built by Scripts/fuzz.sh together with the Tokenizers sources.
import Foundation

private let directory = FileManager.default.temporaryDirectory
    .appendingPathComponent("fuzz-vocab-merges-\(ProcessInfo.processInfo.processIdentifier)")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVocabularyAndMerges(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let split = bytes.firstIndex(of: 0) ?? bytes.count
    let vocabulary = directory.appendingPathComponent("vocab.json"), merges = directory.appendingPathComponent("merges.txt")
    do {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(bytes[..<split]).write(to: vocabulary)
        try Data(bytes[min(split + 1, bytes.count)...]).write(to: merges)
    } catch {
        return 0
    }
    do {
        let tokenizer = try BPETokenizer(vocabularyFile: vocabulary, mergesFile: merges)
        fuzzCheckRoundTrip(tokenizer)
    } catch is TokenizerError {
    } catch {
        preconditionFailure("not a TokenizerError: \(error)")
    }
    return 0
}
