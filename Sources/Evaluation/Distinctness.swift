// dist-n: the share of distinct word n-grams among a prompt's generations, averaged over prompts (Quark).
import Foundation

/// The denominator of a dist-n score.
public enum DistinctnessDenominator: String, Codable, Sendable {
    /// The total number of words in the prompt's generations — what Quark's `sample.py::distinctness` divides by
    /// for every n (the default, for comparability with Quark's tables).
    case words
    /// The total number of n-grams (the textbook "distinct n-grams / total n-grams" of Li et al. 2016).
    case nGrams
}

/// Splits text into words at runs of whitespace (spaces, tabs, newlines), dropping empty pieces.
///
/// - Parameter text: Any text.
/// - Returns: The words, for example `["a", "b"]` for `" a  b\n"`.
public func whitespaceWords(_ text: String) -> [Substring] {
    text.split(whereSeparator: { $0.isWhitespace })
}

/// dist-n of one prompt's generations: distinct n-grams over all of them divided by their total word count
/// (or n-gram count).
///
/// N-grams are taken within each generation (never across two generations) over ``whitespaceWords(_:)``; the set
/// of distinct n-grams is shared across the prompt's generations. For `["a b a", "a b"]` and n = 1 there are 2
/// distinct unigrams over 5 words: 0.4; for n = 2 the bigrams are `a b`, `b a`, `a b`, so 2 distinct / 5 words =
/// 0.4 (or 2/3 with ``DistinctnessDenominator/nGrams``).
///
/// - Parameters:
///   - generations: One prompt's generations.
///   - n: The n-gram order, ≥ 1.
///   - denominator: ``DistinctnessDenominator/words`` (Quark, default) or ``DistinctnessDenominator/nGrams``.
/// - Returns: The ratio, or `nil` when the denominator is 0 (no words / no n-grams).
/// - Throws: ``EvaluationError/invalid(_:)`` if `n < 1`.
public func distinctness(of generations: [String], n: Int, denominator: DistinctnessDenominator = .words)
    throws(EvaluationError) -> Double? {
    guard n >= 1 else { throw .invalid(.invalidValue(field: "n", value: "\(n)", requirement: "must be at least 1")) }
    var distinct = Set<[Substring]>()
    var wordCount = 0
    var nGramCount = 0
    for generation in generations {
        let words = whitespaceWords(generation)
        wordCount += words.count
        guard words.count >= n else { continue }
        for i in 0...(words.count - n) {
            distinct.insert(Array(words[i..<(i + n)]))
            nGramCount += 1
        }
    }
    let total = denominator == .words ? wordCount : nGramCount
    return total == 0 ? nil : Double(distinct.count) / Double(total)
}

/// dist-n as Quark reports it: ``distinctness(of:n:denominator:)`` for each prompt's generations, averaged over
/// prompts.
///
/// Prompts whose generations have no words (no n-grams with ``DistinctnessDenominator/nGrams``) are left out of
/// the average, as Quark's `np.nanmean` leaves out their NaN.
///
/// - Parameters:
///   - generationsByPrompt: For each prompt, its generations (Quark uses 25 per prompt).
///   - n: The n-gram order (1, 2 or 3 for dist-1/2/3).
///   - denominator: Default ``DistinctnessDenominator/words`` (Quark).
/// - Returns: The mean over prompts.
/// - Throws: ``EvaluationError/emptyInput(metric:)`` if no prompt has any word.
public func distinctness(generationsByPrompt: [[String]], n: Int, denominator: DistinctnessDenominator = .words)
    throws(EvaluationError) -> Double {
    var values: [Double] = []
    for generations in generationsByPrompt {
        if let value = try distinctness(of: generations, n: n, denominator: denominator) { values.append(value) }
    }
    guard !values.isEmpty else { throw .emptyInput(metric: "dist-\(n)") }
    return values.reduce(0, +) / Double(values.count)
}
