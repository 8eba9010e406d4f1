// The prompt–completion record `{"prompt": …, "completion": …}`, used for demonstrations (SFT).
import Foundation

/// A prompt–completion record, `{"prompt": string, "completion": string}`: a demonstration for supervised
/// fine-tuning, or a prompt with its reference output for evaluation.
///
/// The model sees `prompt + completion` (no separator is inserted), so a completion usually starts with the
/// space or newline that should follow the prompt and ends with the task's stop marker.
public struct PromptCompletionRecord: DatasetRecord {
    /// The prompt text.
    public var prompt: String
    /// The text that should follow the prompt.
    public var completion: String

    /// Creates a record.
    ///
    /// - Parameters:
    ///   - prompt: The prompt; must not be empty to be read back.
    ///   - completion: The completion; must not be empty to be read back.
    public init(prompt: String, completion: String) {
        self.prompt = prompt
        self.completion = completion
    }

    public static let format = #"{"prompt": string, "completion": string}"#

    public init(validating object: [String: JSONLValue]) throws(RecordProblem) {
        let fields = RecordFields(object: object, format: Self.format)
        prompt = try fields.string("prompt")
        completion = try fields.string("completion")
    }

    public var jsonObject: [String: JSONLValue] { ["prompt": .string(prompt), "completion": .string(completion)] }

    public var lengthCheckedTexts: [String] { [prompt + completion] }
}
