// rep-n (the repeated share of n-grams within one text) and diversity = Π_{n=2..4} (1 − rep-n).
import Foundation

/// rep-n of a token sequence: `1 − |distinct n-grams| / |n-grams|`, the fraction of its n-grams that repeat an
/// earlier one (Welleck et al. 2019; SimCTG).
///
/// For `[a, b, a, b, a]` and n = 2 the bigrams are `ab, ba, ab, ba` — 2 distinct of 4 — so rep-2 = 0.5. A sequence
/// with fewer than n tokens has no n-grams and rep-n = 0 (nothing repeats).
///
/// - Parameters:
///   - tokens: The sequence (words, token IDs, characters…).
///   - n: The n-gram order, ≥ 1.
/// - Returns: A value in [0, 1).
/// - Throws: ``EvaluationError/invalid(_:)`` if `n < 1`.
public func repetitionRate<Element: Hashable>(_ tokens: [Element], n: Int) throws(EvaluationError) -> Double {
    guard n >= 1 else { throw .invalid(.invalidValue(field: "n", value: "\(n)", requirement: "must be at least 1")) }
    guard tokens.count >= n else { return 0 }
    var distinct = Set<ArraySlice<Element>>()
    let total = tokens.count - n + 1
    for i in 0..<total { distinct.insert(tokens[i..<(i + n)]) }
    return 1 - Double(distinct.count) / Double(total)
}

/// rep-n of a text over its whitespace-separated words (see ``repetitionRate(_:n:)``).
///
/// - Parameters:
///   - text: The text, split by ``whitespaceWords(_:)``.
///   - n: The n-gram order, ≥ 1.
/// - Returns: `1 − |distinct word n-grams| / |word n-grams|`, 0 for fewer than n words.
/// - Throws: ``EvaluationError/invalid(_:)`` if `n < 1`.
public func repetitionRate(text: String, n: Int) throws(EvaluationError) -> Double {
    try repetitionRate(whitespaceWords(text), n: n)
}

/// The diversity of a token sequence: `Π_{n=2}^{4} (1 − rep-n)` (SimCTG; Quark's repetition reward).
///
/// For `[a, b, a, b, a]`: rep-2 = 1 − 2/4 = ½ (`ab ba ab ba`), rep-3 = 1 − 2/3 = ⅓ (`aba bab aba`) and
/// rep-4 = 1 − 2/2 = 0 (`abab baba`), so the diversity is ½ × ⅔ × 1 = ⅓.
///
/// - Parameter tokens: The sequence.
/// - Returns: A value in (0, 1]; 1 when no bigram repeats.
public func diversity<Element: Hashable>(_ tokens: [Element]) -> Double {
    var product = 1.0
    for n in 2...4 {
        // n ≥ 1 always holds here, so repetitionRate cannot throw.
        product *= 1 - ((try? repetitionRate(tokens, n: n)) ?? 0)
    }
    return product
}

/// The diversity of a text over its whitespace-separated words: `Π_{n=2}^{4} (1 − rep-n)`.
///
/// - Parameter text: The text.
/// - Returns: A value in (0, 1].
public func diversity(text: String) -> Double {
    diversity(whitespaceWords(text))
}
