// The ranked record `{"prompt": …, "completions": [best first …]}`, for InstructGPT's K-choose-2 batching.
import Foundation

/// A ranked record, `{"prompt": string, "completions": [string, …]}`: K ≥ 2 completions of one prompt ordered
/// from best to worst, as InstructGPT's labellers ranked K = 4…9 outputs.
///
/// A ranking of K implies C(K, 2) comparisons; ``pairs`` lists them. Reward-model training keeps all of them in
/// one batch element and weights each by 1/C(K, 2) (InstructGPT §3.5).
public struct RankedRecord: DatasetRecord {
    /// The prompt text.
    public var prompt: String
    /// The completions, best first.
    public var completions: [String]

    /// Creates a record.
    ///
    /// - Parameters:
    ///   - prompt: The prompt.
    ///   - completions: At least two completions, best first.
    public init(prompt: String, completions: [String]) {
        self.prompt = prompt
        self.completions = completions
    }

    public static let format = #"{"prompt": string, "completions": [string, string, …] (best first)}"#

    public init(validating object: [String: JSONLValue]) throws(RecordProblem) {
        let fields = RecordFields(object: object, format: Self.format)
        prompt = try fields.string("prompt")
        completions = try fields.stringArray("completions", minimumCount: 2)
    }

    public var jsonObject: [String: JSONLValue] {
        ["prompt": .string(prompt), "completions": .array(completions.map { .string($0) })]
    }

    public var lengthCheckedTexts: [String] { completions.map { prompt + $0 } }

    /// The C(K, 2) implied comparisons as `(better, worse)` index pairs, in lexicographic order.
    ///
    /// - Returns: For K = 3: `[(0, 1), (0, 2), (1, 2)]`.
    public var pairs: [(better: Int, worse: Int)] {
        var out: [(better: Int, worse: Int)] = []
        for i in 0..<completions.count {
            for j in (i + 1)..<max(i + 1, completions.count) { out.append((i, j)) }
        }
        return out
    }

    /// The implied comparisons as preference records, in the order of ``pairs``.
    public var preferencePairs: [PreferenceRecord] {
        pairs.map { PreferenceRecord(prompt: prompt, chosen: completions[$0.better], rejected: completions[$0.worse]) }
    }
}
