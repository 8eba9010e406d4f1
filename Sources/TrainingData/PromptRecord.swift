// The prompt-only record `{"prompt": …}`, used for unlabelled RL prompts.
import Foundation

/// A prompt-only record, `{"prompt": string}`: an unlabelled prompt for on-policy RL (PPO, RLOO, GRPO).
public struct PromptRecord: DatasetRecord {
    /// The prompt text.
    public var prompt: String

    /// Creates a record.
    ///
    /// - Parameter prompt: The prompt; must not be empty to be read back.
    public init(prompt: String) { self.prompt = prompt }

    public static let format = #"{"prompt": string}"#

    public init(validating object: [String: JSONLValue]) throws(RecordProblem) {
        prompt = try RecordFields(object: object, format: Self.format).string("prompt")
    }

    public var jsonObject: [String: JSONLValue] { ["prompt": .string(prompt)] }

    public var lengthCheckedTexts: [String] { [prompt] }
}
