// Tokenised preference data for the offline methods (pairs and unpaired labelled completions), checked against
// the model's context. The sequence log-probabilities they train on are LanguageModels' sequenceLogProbabilities
// (sums of log π over completion tokens, prompt and padding excluded, as TRL's DPO trainer).
import Foundation
import Tokenizers
import TrainingCore
import TrainingData

/// One tokenised comparison: a prompt, the preferred completion and the dispreferred one.
public struct PreferencePair: Equatable, Sendable {
    public var promptTokens: [Int32]
    public var chosenTokens: [Int32]
    public var rejectedTokens: [Int32]

    public init(promptTokens: [Int32], chosenTokens: [Int32], rejectedTokens: [Int32]) {
        self.promptTokens = promptTokens
        self.chosenTokens = chosenTokens
        self.rejectedTokens = rejectedTokens
    }

    /// Tokenises `{"prompt","chosen","rejected"}` records (prompt and completions encoded separately, so the
    /// boundary is exact).
    ///
    /// - Throws: `TrainingError.emptyData` for no records; `ConfigurationError` naming a record with an empty part or
    ///   one longer than `contextLength`.
    public static func encode(_ records: [PreferenceRecord], tokenizer: any Tokenizer, contextLength: Int) throws -> [PreferencePair] {
        guard !records.isEmpty else { throw TrainingError.emptyData(what: "the preference set") }
        return try records.enumerated().map { index, record in
            let prompt = try tokenizer.encode(record.prompt)
            let chosen = try tokenizer.encode(record.chosen), rejected = try tokenizer.encode(record.rejected)
            try checkFits(prompt, [chosen, rejected], what: "comparison \(index + 1)", contextLength: contextLength)
            return PreferencePair(promptTokens: prompt, chosenTokens: chosen, rejectedTokens: rejected)
        }
    }
}

/// One tokenised unpaired example for KTO: a completion labelled desirable or undesirable.
public struct UnpairedExample: Equatable, Sendable {
    public var promptTokens: [Int32]
    public var completionTokens: [Int32]
    /// Whether the completion is desirable.
    public var desirable: Bool

    public init(promptTokens: [Int32], completionTokens: [Int32], desirable: Bool) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.desirable = desirable
    }

    /// Tokenises `{"prompt","completion","label"}` records.
    ///
    /// - Throws: `TrainingError.emptyData` for no records; `ConfigurationError` naming a record that does not fit.
    public static func encode(_ records: [UnpairedPreferenceRecord], tokenizer: any Tokenizer, contextLength: Int) throws -> [UnpairedExample] {
        guard !records.isEmpty else { throw TrainingError.emptyData(what: "the unpaired preference set") }
        return try records.enumerated().map { index, record in
            let prompt = try tokenizer.encode(record.prompt), completion = try tokenizer.encode(record.completion)
            try checkFits(prompt, [completion], what: "example \(index + 1)", contextLength: contextLength)
            return UnpairedExample(promptTokens: prompt, completionTokens: completion, desirable: record.label)
        }
    }

    /// Splits comparisons into unpaired examples, the chosen completion desirable and the rejected one not
    /// (how KTO is run on paired data; TRL's `unpair_preference_dataset`).
    public static func unpaired(_ pairs: [PreferencePair]) -> [UnpairedExample] {
        pairs.flatMap {
            [UnpairedExample(promptTokens: $0.promptTokens, completionTokens: $0.chosenTokens, desirable: true),
             UnpairedExample(promptTokens: $0.promptTokens, completionTokens: $0.rejectedTokens, desirable: false)]
        }
    }
}

func checkFits(_ prompt: [Int32], _ completions: [[Int32]], what: String, contextLength: Int) throws {
    guard !prompt.isEmpty, completions.allSatisfy({ !$0.isEmpty }) else {
        throw ConfigurationError.emptyInput(what: "the prompt or a completion of \(what)", fix: "every record needs both")
    }
    let longest = prompt.count + completions.map(\.count).max()!
    guard longest <= contextLength else {
        throw ConfigurationError.tooLong(what: "\(what) (prompt‖completion)", length: longest, limit: contextLength,
                                         fix: "shorten it or use a model with a longer context")
    }
}
