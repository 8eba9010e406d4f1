// libFuzzer target: the JSONL reader on arbitrary bytes, for every record shape, must throw a DatasetError or give
// records that the writer writes back to lines the reader reads as the same records. Never a crash or trap.
// Built by Scripts/fuzz.sh together with the TrainingData sources.
import Foundation

private func check<Record: DatasetRecord>(_ type: Record.Type, _ data: Data) {
    let reader = JSONLReader(onInvalidRecord: .skip)
    guard let loaded = try? reader.read(type, data: data, path: "fuzz.jsonl") else { return }
    let written = JSONLWriter.encode(loaded.records)
    do {
        let again = try JSONLReader().read(type, data: written, path: "rewritten.jsonl").records
        precondition(again.count == loaded.records.count, "\(Record.self): \(loaded.records.count) records read back as \(again.count)")
        for (a, b) in zip(again, loaded.records) {
            precondition(JSONLWriter.line(for: a) == JSONLWriter.line(for: b), "\(Record.self): \(b) read back as \(a)")
        }
    } catch {
        preconditionFailure("\(Record.self): the writer's output does not read back: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONL(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    check(PromptCompletionRecord.self, bytes)
    check(PromptRecord.self, bytes)
    check(PreferenceRecord.self, bytes)
    check(RankedRecord.self, bytes)
    check(UnpairedPreferenceRecord.self, bytes)
    check(ConversationRecord.self, bytes)
    check(LanguageModelingRecord.self, bytes)
    _ = try? JSONLValue.parse(String(decoding: bytes, as: UTF8.self))
    return 0
}
