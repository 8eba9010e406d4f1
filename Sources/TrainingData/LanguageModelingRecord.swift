// The language-modelling record `{"text": …}`, used for pretraining corpora.
import Foundation

/// A language-modelling record: one document of plain text, `{"text": string}`.
///
/// This is the shape of TRL's "language modeling" datasets and of Hugging Face text corpora.
public struct LanguageModelingRecord: DatasetRecord {
    /// The document.
    public var text: String

    /// Creates a record.
    ///
    /// - Parameter text: The document; must not be empty to be read back.
    public init(text: String) { self.text = text }

    public static let format = #"{"text": string}"#

    public init(validating object: [String: JSONLValue]) throws(RecordProblem) {
        text = try RecordFields(object: object, format: Self.format).string("text")
    }

    public var jsonObject: [String: JSONLValue] { ["text": .string(text)] }

    public var lengthCheckedTexts: [String] { [text] }
}
