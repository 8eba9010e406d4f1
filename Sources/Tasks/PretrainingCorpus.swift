// The pretraining corpus of the instruction task: simple English-like text over the task's vocabulary.
import Foundation
import Evaluation
import TrainingData

extension InstructionTask {
    /// A pretraining corpus of simple English-like documents over the task's vocabulary.
    ///
    /// Each document is 3 to 8 sentences from templates: small stories ("the little dog saw a red ball near the
    /// lake."), facts the task relies on ("a pear is a fruit.", "the opposite of hot is cold.", "lamp has four
    /// letters and starts with l.", "twelve plus seven is nineteen." — numbers both as words and digits),
    /// spelling facts ("lamp backwards is pmal.", "lamp in capital letters is LAMP.") and counting lines; with
    /// ``InstructionTaskConfig/pretrainingDrillFraction`` above 0, that share of the sentences are skill drills on
    /// made-up letter strings and numbers ("zobak backwards is kaboz.", "zobak in capital letters is ZOBAK.",
    /// "the first letter of zobak is z.", "zobak three times is zobak zobak zobak.", "the larger of 12 and 31 is
    /// 31."), which teach the operations without naming any instruction instance. It never
    /// uses the `Q:`/`A:` instruction format, so a model pretrained on it knows the words and some facts but must
    /// still learn to follow instructions. Documents are separated, one per record; generation stops once about
    /// ``InstructionTaskConfig/pretrainingCharacterCount`` characters are written.
    ///
    /// - Parameters:
    ///   - draw: which independent draw from the corpus's distribution: 0 (the default) is the corpus a base model
    ///     pretrains on; 1, 2, … are further documents from the same templates and vocabulary that it never read,
    ///     as InstructGPT's PPO-ptx mix samples GPT-3's pretraining distribution rather than re-reading one corpus
    ///     (arXiv 2203.02155 §3.5, eq. 2).
    ///   - characters: about how many characters to write (nil = ``InstructionTaskConfig/pretrainingCharacterCount``).
    /// - Returns: Language-modelling records, deterministic for the task's seed and `draw`.
    public func pretrainingCorpus(draw: Int = 0, characters: Int? = nil) -> [LanguageModelingRecord] {
        var rng = TaskGenerator(seed: stableHash(draw == 0 ? "pretraining" : "pretraining draw \(draw)", seed: config.seed))
        var documents: [LanguageModelingRecord] = []
        var total = 0
        while total < (characters ?? config.pretrainingCharacterCount) {
            let sentences = (0..<(3 + rng.taskBelow(6))).map { _ in
                config.pretrainingDrillFraction > 0 && rng.taskUnit() < config.pretrainingDrillFraction
                    ? PretrainingCorpus.drill(using: &rng) : PretrainingCorpus.sentence(using: &rng)
            }
            let text = sentences.joined(separator: " ")
            documents.append(LanguageModelingRecord(text: text))
            total += text.count + 1
        }
        return documents
    }
}

/// Sentence templates for ``InstructionTask/pretrainingCorpus(draw:characters:)``.
enum PretrainingCorpus {
    static let numberWords = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                              "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
                              "eighteen", "nineteen", "twenty"]
    static let adjectives = ["little", "big", "happy", "old", "young", "quiet", "loud", "small", "tall", "kind"]
    static let places = ["lake", "river", "forest", "garden", "road", "beach", "hill", "town", "city", "house"]
    static let verbs = ["saw", "found", "liked", "wanted", "carried", "painted", "lost", "made"]

    static func number<G: RandomNumberGenerator>(_ n: Int, using rng: inout G) -> String {
        n < numberWords.count && rng.taskBelow(2) == 0 ? numberWords[n] : "\(n)"
    }

    /// A made-up lowercase letter string of 3 to 8 letters.
    static func nonceWord<G: RandomNumberGenerator>(using rng: inout G) -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        return String((0..<(3 + rng.taskBelow(6))).map { _ in rng.taskPick(letters) })
    }

    /// A skill drill on made-up words or random numbers: reverse, capitals, first letter, repetition, larger.
    static func drill<G: RandomNumberGenerator>(using rng: inout G) -> String {
        let w = nonceWord(using: &rng)
        switch rng.taskBelow(5) {
        case 0:
            return "\(w) backwards is \(String(w.reversed()))."
        case 1:
            return "\(w) in capital letters is \(w.uppercased())."
        case 2:
            return "the first letter of \(w) is \(w.first!)."
        case 3:
            let phrase = rng.taskBelow(3) == 0 ? w + " " + nonceWord(using: &rng) : w
            let (word, count) = rng.taskPick(Vocabulary.repeatCounts)
            return "\(phrase) \(word) is " + Array(repeating: phrase, count: count).joined(separator: " ") + "."
        default:
            let a = rng.taskBelow(100)
            var b = rng.taskBelow(100)
            if b == a { b = (a + 1 + rng.taskBelow(99)) % 100 }
            return "the larger of \(a) and \(b) is \(max(a, b))."
        }
    }

    static func sentence<G: RandomNumberGenerator>(using rng: inout G) -> String {
        let categories = Vocabulary.categories
        switch rng.taskBelow(12) {
        case 0, 1:
            let animal = rng.taskPick(Vocabulary.members(of: "animal")!)
            let color = rng.taskPick(Vocabulary.members(of: "color")!)
            let thing = rng.taskPick(Vocabulary.otherWords)
            return "the \(rng.taskPick(adjectives)) \(animal) \(rng.taskPick(verbs)) a \(color) \(thing) near the "
                + "\(rng.taskPick(places))."
        case 2:
            let category = rng.taskPick(categories)
            let member = rng.taskPick(category.members)
            let article = "aeiou".contains(member.first!) ? "an" : "a"
            return "\(article) \(member) is a \(category.name)."
        case 3:
            let (a, b) = rng.taskPick(Vocabulary.antonymPairs)
            return rng.taskBelow(2) == 0 ? "the opposite of \(a) is \(b)." : "\(b) is the opposite of \(a)."
        case 4:
            let w = rng.taskPick(Vocabulary.spellingWords)
            return "\(w) has \(number(w.count, using: &rng)) letters and starts with \(w.first!)."
        case 5:
            let a = rng.taskBelow(21), b = rng.taskBelow(21)
            return "\(number(a, using: &rng)) plus \(number(b, using: &rng)) is \(number(a + b, using: &rng))."
        case 6:
            let w = rng.taskPick(Vocabulary.spellingWords)
            return rng.taskBelow(2) == 0 ? "\(w) backwards is \(String(w.reversed()))."
                : "\(w) in capital letters is \(w.uppercased())."
        case 7:
            let start = rng.taskBelow(10), length = 3 + rng.taskBelow(4)
            return "count with me: " + (start..<(start + length)).map(String.init).joined(separator: ", ") + "."
        case 8:
            let a = rng.taskBelow(50), b = rng.taskBelow(50)
            guard a != b else { return "\(a) is equal to \(b)." }
            return "\(max(a, b)) is larger than \(min(a, b))."
        case 9:
            let phrase = rng.taskPick(Vocabulary.phrases)
            return "\"\(phrase), \(phrase)!\" said the \(rng.taskPick(Vocabulary.members(of: "animal")!))."
        case 10:
            let drink = rng.taskPick(Vocabulary.members(of: "drink")!)
            let fruit = rng.taskPick(Vocabulary.members(of: "fruit")!)
            return "we ate a \(fruit) and drank some \(drink) by the \(rng.taskPick(Vocabulary.members(of: "vehicle")!))."
        default:
            let instrument = rng.taskPick(Vocabulary.members(of: "instrument")!)
            return "she played the \(instrument) in the \(rng.taskPick(places)) all day."
        }
    }
}
