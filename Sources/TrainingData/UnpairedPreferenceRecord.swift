// The unpaired preference record `{"prompt": …, "completion": …, "label": bool}`, used by KTO.
import Foundation

/// An unpaired preference record, `{"prompt": string, "completion": string, "label": boolean}`: a single
/// completion marked desirable (`true`) or undesirable (`false`), as TRL's KTO trainer reads.
public struct UnpairedPreferenceRecord: DatasetRecord {
    /// The prompt text.
    public var prompt: String
    /// The completion being judged.
    public var completion: String
    /// Whether the completion is desirable.
    public var label: Bool

    /// Creates a record.
    ///
    /// - Parameters:
    ///   - prompt: The prompt.
    ///   - completion: The completion.
    ///   - label: `true` for desirable.
    public init(prompt: String, completion: String, label: Bool) {
        self.prompt = prompt
        self.completion = completion
        self.label = label
    }

    public static let format = #"{"prompt": string, "completion": string, "label": boolean}"#

    public init(validating object: [String: JSONLValue]) throws(RecordProblem) {
        let fields = RecordFields(object: object, format: Self.format)
        prompt = try fields.string("prompt")
        completion = try fields.string("completion")
        label = try fields.bool("label")
    }

    public var jsonObject: [String: JSONLValue] {
        ["prompt": .string(prompt), "completion": .string(completion), "label": .bool(label)]
    }

    public var lengthCheckedTexts: [String] { [prompt + completion] }
}
