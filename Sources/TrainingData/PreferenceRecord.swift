// The preference record `{"prompt": …, "chosen": …, "rejected": …}`, used for reward modelling and DPO.
import Foundation

/// A preference record, `{"prompt": string, "chosen": string, "rejected": string}`: one comparison in which
/// `chosen` was preferred to `rejected` as a continuation of `prompt` (TRL's explicit-prompt preference format).
public struct PreferenceRecord: DatasetRecord {
    /// The prompt text.
    public var prompt: String
    /// The preferred completion.
    public var chosen: String
    /// The dispreferred completion.
    public var rejected: String

    /// Creates a record.
    ///
    /// - Parameters:
    ///   - prompt: The prompt.
    ///   - chosen: The preferred completion.
    ///   - rejected: The dispreferred completion.
    public init(prompt: String, chosen: String, rejected: String) {
        self.prompt = prompt
        self.chosen = chosen
        self.rejected = rejected
    }

    public static let format = #"{"prompt": string, "chosen": string, "rejected": string}"#

    public init(validating object: [String: JSONLValue]) throws(RecordProblem) {
        let fields = RecordFields(object: object, format: Self.format)
        prompt = try fields.string("prompt")
        chosen = try fields.string("chosen")
        rejected = try fields.string("rejected")
    }

    public var jsonObject: [String: JSONLValue] {
        ["prompt": .string(prompt), "chosen": .string(chosen), "rejected": .string(rejected)]
    }

    public var lengthCheckedTexts: [String] { [prompt + chosen, prompt + rejected] }
}
