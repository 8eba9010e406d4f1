// "Public NLP benchmarks" in miniature for the alignment tax (Ouyang et al. 2022, arXiv 2203.02155, §4.2): skills
// the base model learns from the pretraining corpus, asked in the corpus's own declarative form, that the reward
// does not ask for. A model that keeps its language ability keeps answering them; PPO's regression on them is the
// tax, and PPO-ptx is meant to remove it.
import Foundation

/// One multiple-choice probe: the model should continue `context` with `choices[answer]`, and is scored by which
/// choice it gives the highest likelihood (as zero-shot multiple-choice benchmarks are scored).
public struct CorpusProbe: Equatable, Sendable {
    /// The skill probed: the instruction family whose fact it asks, in the corpus's wording.
    public var family: InstructionFamily
    /// The sentence up to the answer, e.g. `"the opposite of hot is"`.
    public var context: String
    /// Candidate continuations, e.g. `" cold."`; exactly one is right.
    public var choices: [String]
    /// The index of the right continuation.
    public var answer: Int
}

extension InstructionTask {
    /// The families a probe can ask: facts stated by the pretraining corpus (antonyms, categories, letter counts,
    /// sums), in its declarative wording.
    public static let probedFamilies: [InstructionFamily] = [.antonym, .categoryMember, .countLetters, .addNumbers]

    /// `count` probes per family of `families` (default: the probed families this task's instructions do not ask,
    /// so no reward is given for them), with four choices each, from their own random stream: the pretraining
    /// corpus and every split are unchanged.
    ///
    /// - Parameters:
    ///   - count: Probes per family.
    ///   - families: The families to probe; each must be one of ``probedFamilies``.
    /// - Returns: The probes, family by family.
    public func corpusProbes(count: Int, families: [InstructionFamily]? = nil) -> [CorpusProbe] {
        let asked = Set(config.families)
        let chosen = families ?? InstructionTask.probedFamilies.filter { !asked.contains($0.rawValue) }
        var rng = TaskGenerator(seed: stableHash("corpus-probes", seed: config.seed))
        return chosen.flatMap { family in
            (0..<count).compactMap { _ in InstructionTask.probe(family, using: &rng) }
        }
    }

    /// One probe of `family` with the right answer among three distinct wrong ones, shuffled; nil for a family
    /// the corpus does not state.
    static func probe<G: RandomNumberGenerator>(_ family: InstructionFamily, using rng: inout G) -> CorpusProbe? {
        let context: String, right: String, wrong: [String]
        switch family {
        case .antonym:
            let (a, b) = rng.taskPick(Vocabulary.antonymPairs)
            context = "the opposite of \(a) is"
            right = b
            wrong = distinct(3, excluding: [a, b], using: &rng) { rng in rng.taskPick(Vocabulary.antonymPairs).1 }
        case .categoryMember:
            let category = rng.taskPick(Vocabulary.categories)
            let member = rng.taskPick(category.members)
            context = "\("aeiou".contains(member.first!) ? "an" : "a") \(member) is a"
            right = category.name
            wrong = distinct(3, excluding: [right], using: &rng) { rng in rng.taskPick(Vocabulary.categories).name }
        case .countLetters:
            let word = rng.taskPick(Vocabulary.spellingWords)
            context = "\(word) has"
            right = "\(word.count) letters"
            wrong = distinct(3, excluding: [right], using: &rng) { rng in "\(Swift.max(1, word.count + rng.taskBelow(7) - 3)) letters" }
        case .addNumbers:
            let a = rng.taskBelow(21), b = rng.taskBelow(21)
            context = "\(a) plus \(b) is"
            right = "\(a + b)"
            wrong = distinct(3, excluding: [right], using: &rng) { rng in "\(Swift.max(0, a + b + rng.taskBelow(9) - 4))" }
        default:
            return nil
        }
        let choices = rng.taskShuffled([right] + wrong).map { " \($0)." }
        return CorpusProbe(family: family, context: context, choices: choices, answer: choices.firstIndex(of: " \(right).")!)
    }

    /// `count` distinct values from `draw`, none in `excluded`.
    static func distinct<G: RandomNumberGenerator>(_ count: Int, excluding excluded: Set<String>, using rng: inout G,
                                                   _ draw: (inout G) -> String) -> [String] {
        var out: [String] = []
        while out.count < count {
            let value = draw(&rng)
            if !excluded.contains(value) && !out.contains(value) { out.append(value) }
        }
        return out
    }
}
