// Shared by the tokenizer fuzz targets: a tokenizer that loaded must encode texts it can encode (a vocabulary
// without some byte may refuse with TokenizerError.unencodable) back to exactly their bytes.
import Foundation

func fuzzCheckRoundTrip(_ tokenizer: BPETokenizer) {
    for text in ["Hello world", " the  cat's 12345\n\n", "é日😀\u{2028}", "<|endoftext|> x", ""] {
        for allowSpecial in [false, true] {
            guard let ids = try? tokenizer.encode(text, allowSpecial: allowSpecial) else { continue }
            do {
                let bytes = try tokenizer.decodeBytes(ids, skipSpecialTokens: false)
                precondition(bytes == Array(text.utf8), "\(text.debugDescription) encodes to \(ids), which decodes to \(bytes)")
            } catch {
                preconditionFailure("\(text.debugDescription) encodes to \(ids), which does not decode: \(error)")
            }
        }
    }
}
