// The conversational record `{"messages": [{"role": …, "content": …}, …]}` and its chat messages.
import Foundation

/// One turn of a conversation: a role (`system`, `user` or `assistant`) and its text.
public struct ChatMessage: Codable, Equatable, Hashable, Sendable {
    /// The roles a message may have.
    public static let roles: Set<String> = ["system", "user", "assistant"]

    /// `system`, `user` or `assistant`.
    public var role: String
    /// The text of the turn.
    public var content: String

    /// Creates a message.
    ///
    /// - Parameters:
    ///   - role: `system`, `user` or `assistant`.
    ///   - content: The text of the turn.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// A conversational record, `{"messages": [{"role": string, "content": string}, …]}`, the chat format of
/// TRL and Hugging Face datasets.
///
/// Validation requires at least one message, roles among `system`, `user` and `assistant`, non-empty contents,
/// and a final `assistant` message: that last turn is the completion the model is trained to produce.
/// ``promptCompletion(template:)`` renders the conversation with a ``ChatTemplate``.
public struct ConversationRecord: DatasetRecord {
    /// The turns, in order; the last is from the assistant.
    public var messages: [ChatMessage]

    /// Creates a record.
    ///
    /// - Parameter messages: The turns; to be read back, the last must be an assistant turn.
    public init(messages: [ChatMessage]) { self.messages = messages }

    public static let format =
        #"{"messages": [{"role": "user", "content": string}, …, {"role": "assistant", "content": string}]}"#

    public init(validating object: [String: JSONLValue]) throws(RecordProblem) {
        let items = try RecordFields(object: object, format: Self.format).array("messages")
        guard !items.isEmpty else {
            throw .invalidValue(key: "messages", reason: "is empty; add at least a user and an assistant message")
        }
        var parsed: [ChatMessage] = []
        for (i, item) in items.enumerated() {
            guard case .object(let m) = item else {
                throw .wrongType(key: "messages[\(i)]", expected: "an object {\"role\", \"content\"}", found: item.summary)
            }
            let fields = RecordFields(object: m.dictionary, format: Self.format)
            let role = try fields.string("role", path: "messages[\(i)].role")
            guard ChatMessage.roles.contains(role) else {
                throw .invalidValue(key: "messages[\(i)].role",
                                    reason: "is \"\(role)\"; use \"system\", \"user\" or \"assistant\"")
            }
            let content = try fields.string("content", path: "messages[\(i)].content")
            parsed.append(ChatMessage(role: role, content: content))
        }
        guard parsed.last?.role == "assistant" else {
            throw .invalidValue(key: "messages[\(parsed.count - 1)].role",
                                reason: "is \"\(parsed.last!.role)\", but a conversation must end with an "
                                    + "\"assistant\" message (the completion); add the assistant's reply")
        }
        messages = parsed
    }

    public var jsonObject: [String: JSONLValue] {
        ["messages": .array(messages.map { .object(["role": .string($0.role), "content": .string($0.content)]) })]
    }

    public var lengthCheckedTexts: [String] {
        let pair = promptCompletion(template: .default)
        return [pair.prompt + pair.completion]
    }

    /// Renders the conversation as a prompt (every turn before the last, plus the assistant header) and a
    /// completion (the last assistant turn with its end-of-turn marker).
    ///
    /// - Parameter template: The chat template; ``ChatTemplate/default`` unless the model was trained otherwise.
    /// - Returns: A prompt–completion record.
    public func promptCompletion(template: ChatTemplate = .default) -> PromptCompletionRecord {
        template.promptCompletion(messages)
    }
}
