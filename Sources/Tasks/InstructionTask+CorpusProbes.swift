// "Public NLP benchmarks" in miniature for the alignment tax (Ouyang et al. 2022, arXiv 2203.02155, §4.2): skills
// the base model learns from the pretraining corpus (facts, counting, words that fit a slot), asked in the
// corpus's own wording, that the reward does not ask for. A model that keeps its language ability keeps answering them; PPO's regression on them is the
// tax, and PPO-ptx is meant to remove it.
import Foundation

/// A skill of the pretraining corpus that a probe asks about.
public enum CorpusSkill: String, CaseIterable, Codable, Sendable {
    /// "the opposite of hot is cold." (the task can also ask it: `InstructionFamily.antonym`).
    case antonym
    /// "a pear is a fruit." (`InstructionFamily.categoryMember`).
    case categoryMember
    /// "lamp has four letters …" (`InstructionFamily.countLetters`).
    case countLetters
    /// "two plus 3 is five." (`InstructionFamily.addNumbers`).
    case addNumbers
    /// "count with me: 3, 4, 5, 6." — continuing a count; no instruction asks it.
    case counting
    /// "we ate a pear and drank some tea by the bus." — filling a slot with a word of the right category (a drink
    /// after "drank some", an instrument after "played the"); no instruction asks it.
    case slotFilling

    /// The instruction family that asks this skill, if any: a task that asks it rewards it, so its probes would
    /// not measure a tax.
    public var instructionFamily: InstructionFamily? {
        switch self {
        case .antonym: .antonym
        case .categoryMember: .categoryMember
        case .countLetters: .countLetters
        case .addNumbers: .addNumbers
        case .counting, .slotFilling: nil
        }
    }
}

/// One multiple-choice probe: the model should continue `context` with `choices[answer]`, and is scored by which
/// choice it gives the highest likelihood (as zero-shot multiple-choice benchmarks are scored).
public struct CorpusProbe: Equatable, Sendable {
    /// The skill probed.
    public var skill: CorpusSkill
    /// The sentence up to the answer, e.g. `"the opposite of hot is"`.
    public var context: String
    /// Candidate continuations, e.g. `" cold."`; exactly one is right.
    public var choices: [String]
    /// The index of the right continuation.
    public var answer: Int
}

extension InstructionTask {
    /// `count` probes per skill of `skills` (default: every skill this task's instructions do not ask, so no
    /// reward is given for it), with four choices each, from their own random stream: the pretraining corpus and
    /// every split are unchanged.
    ///
    /// - Parameters:
    ///   - count: Probes per skill.
    ///   - skills: The skills to probe.
    /// - Returns: The probes, skill by skill.
    public func corpusProbes(count: Int, skills: [CorpusSkill]? = nil) -> [CorpusProbe] {
        let asked = Set(config.families)
        let chosen = skills ?? CorpusSkill.allCases.filter { skill in skill.instructionFamily.map { !asked.contains($0.rawValue) } ?? true }
        var rng = TaskGenerator(seed: stableHash("corpus-probes", seed: config.seed))
        return chosen.flatMap { skill in
            (0..<count).map { _ in InstructionTask.probe(skill, using: &rng) }
        }
    }

    /// One probe of `skill` with the right answer among three distinct wrong ones, shuffled.
    static func probe<G: RandomNumberGenerator>(_ skill: CorpusSkill, using rng: inout G) -> CorpusProbe {
        let context: String, right: String, wrong: [String]
        // Facts end their sentence in the corpus; the open patterns continue it, so their choices carry no period.
        var period = true
        switch skill {
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
        case .counting:
            // The corpus counts 3 to 6 numbers from a start below 10; show 2 or 3 of them and ask the next.
            let start = rng.taskBelow(10), shown = 2 + rng.taskBelow(2)
            context = "count with me: " + (start..<(start + shown)).map { "\($0)," }.joined(separator: " ")
            right = "\(start + shown)"
            wrong = distinct(3, excluding: [right], using: &rng) { rng in "\(rng.taskBelow(14))" }
            period = false
        case .slotFilling:
            // A drink after "drank some", an instrument after "played the"; the wrong choices are members of
            // other categories, which the corpus never puts there.
            let drink = rng.taskBelow(2) == 0
            let wanted = drink ? "drink" : "instrument"
            if drink {
                context = "we ate a \(rng.taskPick(Vocabulary.members(of: "fruit")!)) and drank some"
            } else {
                context = "she played the"
            }
            right = rng.taskPick(Vocabulary.members(of: wanted)!)
            let others = Vocabulary.categories.filter { $0.name != wanted }
            wrong = distinct(3, excluding: [right], using: &rng) { rng in rng.taskPick(rng.taskPick(others).members) }
            period = false
        }
        let continuation = { (word: String) in " \(word)" + (period ? "." : "") }
        let choices = rng.taskShuffled([right] + wrong).map(continuation)
        return CorpusProbe(skill: skill, context: context, choices: choices, answer: choices.firstIndex(of: continuation(right))!)
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
