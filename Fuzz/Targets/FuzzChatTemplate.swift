// libFuzzer target: the chat template over arbitrary messages (NUL-separated role and content pairs, any bytes)
// renders every turn in order, and its prompt–completion split is the rendering of the whole conversation cut at
// the last turn's content. Never a crash or trap. Built by Scripts/fuzz.sh together with the TrainingData sources.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChatTemplate(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let parts = UnsafeBufferPointer(start: data, count: size).split(separator: 0, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    var messages: [ChatMessage] = []
    var index = 0
    while index + 1 < parts.count {
        messages.append(ChatMessage(role: parts[index], content: parts[index + 1]))
        index += 2
    }
    for template in [ChatTemplate.default, ChatTemplate(headerPrefix: "", headerSuffix: "", endOfTurn: "")] {
        let rendered = template.render(messages)
        precondition(rendered == messages.map { template.header(role: $0.role) + $0.content + template.endOfTurn }.joined(),
                     "the rendering drops or reorders a turn")
        precondition(template.generationPrompt(messages) == rendered + template.header(role: "assistant"))
        let record = template.promptCompletion(messages)
        precondition(messages.isEmpty ? record.prompt.isEmpty && record.completion.isEmpty : record.prompt + record.completion == rendered,
                     "prompt + completion differs from the rendered conversation")
        _ = template.stopMarker
    }
    return 0
}
