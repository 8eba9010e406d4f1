// libFuzzer target: the GPT-2 tokenizer (the OpenAI vocabulary in Vocabularies/GPT2) encodes arbitrary bytes, as
// text with invalid UTF-8 replaced, to ids that decode to exactly that text's bytes; with special tokens allowed
// or not. Never a crash or trap. Built by Scripts/fuzz.sh together with the Tokenizers sources (run from the root).
import Foundation

private let tokenizer: BPETokenizer = {
    do {
        return try BPETokenizer(vocabularyFile: URL(fileURLWithPath: "Vocabularies/GPT2/encoder.json"),
                                mergesFile: URL(fileURLWithPath: "Vocabularies/GPT2/vocab.bpe"))
    } catch {
        preconditionFailure("the GPT-2 vocabulary does not load (run from the repository root): \(error)")
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGPT2Encoding(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for allowSpecial in [false, true] {
        do {
            let ids = try tokenizer.encode(text, allowSpecial: allowSpecial)
            let bytes = try tokenizer.decodeBytes(ids, skipSpecialTokens: false)
            precondition(bytes == Array(text.utf8), "\(text.debugDescription) encodes to \(ids), which decodes to \(bytes)")
        } catch {
            preconditionFailure("GPT-2 encoding of \(text.debugDescription) failed: \(error)")
        }
    }
    return 0
}
