// `rlft tokenize --tokenizer DIR --text FILE`: prints the token ids of a text file as a JSON array.
import Foundation
import Runs
import Tokenizers

enum TokenizeCommand: Command {
    static let name = "tokenize"
    static let summary = "print the token ids of a text file as a JSON array"
    static let help = """
    rlft tokenize: prints the token ids of a text file as a JSON array

    Usage: rlft tokenize --tokenizer DIR --text FILE [--allow-special true] [--config FILE.json]

    Options:
      --tokenizer DIR
          a tokenizer directory (tokenizer.json, or vocab.json + merges.txt, or encoder.json + vocab.bpe), a model
          directory holding those files, or "byte" for the byte tokenizer with <|endoftext|> and <|pad|> (required)
      --text FILE
          the UTF-8 text to encode (required)
      --allow-special BOOL (default false)
          encode literal special-token text such as <|endoftext|> as the special id
    """

    static func run(_ arguments: CommandLineArguments) throws {
        let arguments = try arguments.renamingOption("allowSpecial", to: "allow-special")
            .resolvingConfigFile(allowed: ["tokenizer", "text", "allow-special"])
        let path = try arguments.required("tokenizer", "a tokenizer or model directory, e.g. --tokenizer Vocabularies/GPT2")
        let textPath = try arguments.required("text", "the text file to encode, e.g. --text input.txt")
        let allowSpecial: Bool
        switch arguments.options["allow-special"]?.lowercased() {
        case nil, "false": allowSpecial = false
        case "true": allowSpecial = true
        case let other?: throw ConfigurationError.badValue(field: "allow-special", value: other, expected: "true or false")
        }
        let tokenizer: any Tokenizer = path == "byte"
            ? try ByteTokenizer(specialTokens: ["<|endoftext|>", "<|pad|>"]) : try loadTokenizer(from: URL(fileURLWithPath: path))
        let text = try readText(textPath)
        let ids = try tokenizer.encode(text, allowSpecial: allowSpecial)
        print("[" + ids.map(String.init).joined(separator: ",") + "]")
    }
}

/// The UTF-8 contents of a file, or an error that names it.
func readText(_ path: String) throws -> String {
    guard FileManager.default.fileExists(atPath: path) else { throw UsageError("text file \(path) does not exist") }
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    guard let text = String(data: data, encoding: .utf8) else {
        throw UsageError("\(path) is not valid UTF-8 text; convert it first, e.g. iconv -t UTF-8")
    }
    return text
}
