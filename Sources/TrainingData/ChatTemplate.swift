// The chat template that renders conversations to plain text, with the library's documented default.
import Foundation

/// Renders a list of ``ChatMessage``s to the plain text a language model sees.
///
/// Each message becomes `header(role) + content + endOfTurn`, where `header(role)` is
/// `headerPrefix + role + headerSuffix`. With the ``default`` template the conversation
///
/// ```json
/// {"messages": [{"role": "system", "content": "Be brief."},
///               {"role": "user", "content": "Name a color."},
///               {"role": "assistant", "content": "red"}]}
/// ```
///
/// renders as
///
/// ```text
/// <|system|>
/// Be brief.<|end|>
/// <|user|>
/// Name a color.<|end|>
/// <|assistant|>
/// red<|end|>
/// ```
///
/// that is `"<|system|>\nBe brief.<|end|>\n<|user|>\nName a color.<|end|>\n<|assistant|>\nred<|end|>\n"`.
/// As prompt and completion (``promptCompletion(_:)``) the prompt is everything up to and including the final
/// `"<|assistant|>\n"` header, and the completion is `"red<|end|>\n"`; generation stops at ``stopMarker``
/// (`"<|end|>"`). The markers are plain text, so any tokenizer can encode them.
public struct ChatTemplate: Codable, Equatable, Sendable {
    /// Text before the role name in a header. Default `"<|"`.
    public var headerPrefix: String
    /// Text after the role name in a header. Default `"|>\n"`.
    public var headerSuffix: String
    /// Text after each message's content. Default `"<|end|>\n"`.
    public var endOfTurn: String

    /// Creates a template.
    ///
    /// - Parameters:
    ///   - headerPrefix: Text before the role name. Default `"<|"`.
    ///   - headerSuffix: Text after the role name. Default `"|>\n"`.
    ///   - endOfTurn: Text after each message. Default `"<|end|>\n"`.
    public init(headerPrefix: String = "<|", headerSuffix: String = "|>\n", endOfTurn: String = "<|end|>\n") {
        self.headerPrefix = headerPrefix
        self.headerSuffix = headerSuffix
        self.endOfTurn = endOfTurn
    }

    /// The library's default template: `<|role|>\ncontent<|end|>\n` per message.
    public static let `default` = ChatTemplate()

    /// The marker at which generation of an assistant turn should stop: ``endOfTurn`` without trailing
    /// whitespace (`"<|end|>"` for the default).
    public var stopMarker: String {
        var s = endOfTurn
        while let last = s.last, last.isWhitespace { s.removeLast() }
        return s.isEmpty ? endOfTurn : s
    }

    /// The header that opens a turn, such as `"<|assistant|>\n"`.
    ///
    /// - Parameter role: The role name.
    /// - Returns: `headerPrefix + role + headerSuffix`.
    public func header(role: String) -> String { headerPrefix + role + headerSuffix }

    /// Renders whole messages.
    ///
    /// - Parameter messages: The turns.
    /// - Returns: The concatenation of `header(role) + content + endOfTurn` over the turns.
    public func render(_ messages: [ChatMessage]) -> String {
        messages.map { header(role: $0.role) + $0.content + endOfTurn }.joined()
    }

    /// Renders the messages as a prompt that asks the assistant for the next turn.
    ///
    /// - Parameter messages: The turns so far.
    /// - Returns: `render(messages) + header(role: "assistant")`.
    public func generationPrompt(_ messages: [ChatMessage]) -> String {
        render(messages) + header(role: "assistant")
    }

    /// Splits a conversation into a prompt and the final turn as completion.
    ///
    /// - Parameter messages: The turns; the last one is the completion (normally an assistant turn).
    /// - Returns: Prompt = every earlier turn plus the last turn's header; completion = its content + `endOfTurn`.
    public func promptCompletion(_ messages: [ChatMessage]) -> PromptCompletionRecord {
        guard let last = messages.last else { return PromptCompletionRecord(prompt: "", completion: "") }
        return PromptCompletionRecord(prompt: render(Array(messages.dropLast())) + header(role: last.role),
                                      completion: last.content + endOfTurn)
    }
}
