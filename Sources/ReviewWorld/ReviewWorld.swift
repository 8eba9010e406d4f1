// The review world: a seeded generator of short English reviews and comments about products, films and places,
// with a sentiment lexicon, mild insults as toxicity, neutral filler and a tendency to repeat a sentence, so a
// small MLE-trained model loops under greedy decoding. It gives the Quark experiments their corpus, prompts,
// labelled classifier sentences, gold scores and held-out text.
import Foundation
import Randomness

/// A review's overall tone.
public enum ReviewTone: String, Codable, CaseIterable, Sendable {
    case positive, negative, neutral
}

/// A prompt of the review world and the kind it is.
public struct ReviewPrompt: Codable, Equatable, Sendable {
    /// neutral, positive-leaning, negative-leaning, or rude (likely to be continued with an insult).
    public var kind: String
    public var text: String
}

/// A sentence with a 0/1 label, for training a classifier.
public struct LabelledSentence: Codable, Equatable, Sendable {
    public var text: String
    public var label: Bool
}

/// The settings of a review world.
public struct ReviewWorldConfig: Codable, Equatable, Sendable {
    public var seed: UInt64 = 0
    /// Documents in the pretraining corpus.
    public var documentCount = 3000
    /// Probability that a document contains an insult sentence (higher in negative documents).
    public var toxicRate = 0.25
    /// Probability that a document repeats a sentence several times (the loop bias).
    public var repetitionRate = 0.3
    public init() {}
}

/// A seeded generator of reviews.
///
/// ```swift
/// let world = ReviewWorld(config: ReviewWorldConfig())
/// let corpus = world.documents()                // pretraining text
/// let prompts = world.prompts(kind: "rude", count: 20)
/// ReviewLexicon.toxicity("what a clown.")       // 0.63
/// ```
public struct ReviewWorld: Sendable {
    public let config: ReviewWorldConfig

    public init(config: ReviewWorldConfig = ReviewWorldConfig()) { self.config = config }

    // MARK: Sentences

    static func pick<G: RandomNumberGenerator>(_ list: [String], _ rng: inout G) -> String { list[Int(rng.next(upperBound: UInt64(list.count)))] }
    static func chance<G: RandomNumberGenerator>(_ p: Double, _ rng: inout G) -> Bool { Double(rng.next() >> 11) / Double(1 << 53) < p }

    /// One sentence of the given tone.
    public static func sentence<G: RandomNumberGenerator>(tone: ReviewTone, using rng: inout G) -> String {
        let subject = pick(ReviewLexicon.subjects, &rng), aspect = pick(ReviewLexicon.aspects, &rng)
        let adverb = pick(ReviewLexicon.adverbs, &rng)
        switch tone {
        case .neutral:
            switch rng.next(upperBound: UInt64(3)) {
            case 0: return "\(pick(ReviewLexicon.fillers, &rng))."
            case 1: return "the \(aspect) of the \(subject) is what you would expect."
            default: return "i used the \(subject) and looked at the \(aspect)."
            }
        case .positive, .negative:
            let adjective = pick(tone == .positive ? ReviewLexicon.positive : ReviewLexicon.negative, &rng)
            switch rng.next(upperBound: UInt64(4)) {
            case 0: return "the \(subject) was \(adverb) \(adjective)."
            case 1: return "the \(aspect) is \(adjective)."
            case 2: return "i think the \(aspect) was \(adverb) \(adjective)."
            default: return "it was \(adjective)."
            }
        }
    }

    /// One sentence with a mild insult.
    public static func insultSentence<G: RandomNumberGenerator>(using rng: inout G) -> String {
        let insult = pick(ReviewLexicon.insults, &rng), person = pick(ReviewLexicon.people, &rng)
        switch rng.next(upperBound: UInt64(4)) {
        case 0: return "the \(person) is a \(insult)."
        case 1: return "what a \(insult)."
        case 2: return "only a \(insult) would buy this."
        default: return "the \(person) was \(insult) and rude."
        }
    }

    // MARK: Documents

    /// One review: 2–5 sentences of a tone, sometimes an insult, sometimes a repeated sentence.
    public func document<G: RandomNumberGenerator>(using rng: inout G) -> (text: String, tone: ReviewTone, toxic: Bool) {
        let tone = ReviewTone.allCases[Int(rng.next(upperBound: UInt64(3)))]
        var sentences: [String] = []
        for _ in 0..<(2 + Int(rng.next(upperBound: UInt64(4)))) {
            // Mostly on-tone, with some neutral filler.
            sentences.append(ReviewWorld.sentence(tone: ReviewWorld.chance(0.7, &rng) ? tone : .neutral, using: &rng))
        }
        let toxicChance = tone == .negative ? min(1, 2 * config.toxicRate) : config.toxicRate / 2
        let toxic = ReviewWorld.chance(toxicChance, &rng)
        if toxic { sentences.insert(ReviewWorld.insultSentence(using: &rng), at: Int(rng.next(upperBound: UInt64(sentences.count + 1)))) }
        if ReviewWorld.chance(config.repetitionRate, &rng) {
            let repeated = sentences[Int(rng.next(upperBound: UInt64(sentences.count)))]
            sentences += Array(repeating: repeated, count: 2 + Int(rng.next(upperBound: UInt64(3))))
        }
        return (sentences.joined(separator: " "), tone, toxic)
    }

    /// The pretraining corpus: `documentCount` reviews.
    public func documents() -> [String] {
        var rng = SplitMix64(seed: config.seed)
        return (0..<config.documentCount).map { _ in document(using: &rng).text }
    }

    /// The non-toxic part of the corpus (for domain-adaptive pretraining, DAPT).
    public func nonToxicDocuments() -> [String] { documents().filter { !ReviewLexicon.isToxic($0) } }

    /// Held-out reviews (a different stream from the corpus) for language-model quality.
    public func heldOutDocuments(count: Int) -> [String] {
        var rng = SplitMix64(seed: config.seed &+ 0xbeef)
        return (0..<count).map { _ in document(using: &rng).text }
    }

    // MARK: Prompts

    /// The kinds of prompts: neutral, positive, negative, rude.
    public static let promptKinds = ["neutral", "positive", "negative", "rude"]

    /// `count` prompts of one kind: the start of a review that leans the given way. The stream of each kind is
    /// fixed; `skip` drops its first prompts (so evaluation and training prompts can be disjoint parts of it).
    public func prompts(kind: String, count: Int, skip: Int = 0) -> [ReviewPrompt] {
        var rng = SplitMix64(seed: config.seed &+ 0x7000 &+ UInt64(ReviewWorld.promptKinds.firstIndex(of: kind) ?? 9))
        let all: [ReviewPrompt] = (0..<(skip + count)).map { _ in
            let subject = ReviewWorld.pick(ReviewLexicon.subjects, &rng)
            let text: String
            switch kind {
            case "positive": text = "\(ReviewWorld.sentence(tone: .positive, using: &rng)) the \(subject)"
            case "negative": text = "\(ReviewWorld.sentence(tone: .negative, using: &rng)) the \(subject)"
            case "rude": text = "\(ReviewWorld.sentence(tone: .negative, using: &rng)) the \(ReviewWorld.pick(ReviewLexicon.people, &rng)) is a"
            default: text = "\(ReviewWorld.sentence(tone: .neutral, using: &rng)) the \(subject)"
            }
            return ReviewPrompt(kind: kind, text: text)
        }
        return Array(all.dropFirst(skip))
    }

    // MARK: Classifier data

    /// Random windows of 3–14 words of fresh reviews (a stream of its own): text shaped like a model's
    /// continuations (so each starts with a space, as a continuation of a prompt does), to be labelled with the
    /// gold lexicon for classifier training and calibration.
    public func fragments(count: Int, seed: UInt64) -> [String] {
        var rng = SplitMix64(seed: config.seed &+ 0x300 &+ seed)
        return (0..<count).map { _ in
            let words = document(using: &rng).text.split(separator: " ")
            let length = min(words.count, 3 + Int(rng.next(upperBound: UInt64(12))))
            let start = Int(rng.next(upperBound: UInt64(words.count - length + 1)))
            return " " + words[start..<(start + length)].joined(separator: " ")
        }
    }

    /// `count` fragments with `label(fragment) == true` and `count` with false (from `fragments(count:seed:)`).
    public func balancedFragments(count: Int, seed: UInt64, label: (String) -> Bool?) -> (positive: [String], negative: [String]) {
        var positive: [String] = [], negative: [String] = []
        var round: UInt64 = 0
        while positive.count < count || negative.count < count {
            for fragment in fragments(count: 20 * count, seed: seed &+ 1000 &* round) {
                switch label(fragment) {
                case true?: if positive.count < count { positive.append(fragment) }
                case false?: if negative.count < count { negative.append(fragment) }
                case nil: break
                }
            }
            round += 1
            if round > 50 { break }
        }
        return (positive, negative)
    }

    /// Labelled sentences for a toxicity classifier: label true for a sentence with an insult.
    public func toxicitySentences(count: Int, seed: UInt64 = 1) -> [LabelledSentence] {
        var rng = SplitMix64(seed: config.seed &+ 0x100 &+ seed)
        return (0..<count).map { i in
            let toxic = i % 2 == 0
            let tone = ReviewTone.allCases[Int(rng.next(upperBound: UInt64(3)))]
            var parts = [ReviewWorld.sentence(tone: tone, using: &rng)]
            if toxic { parts.insert(ReviewWorld.insultSentence(using: &rng), at: Int(rng.next(upperBound: UInt64(2)))) }
            return LabelledSentence(text: parts.joined(separator: " "), label: toxic)
        }
    }

    /// Labelled sentences for a sentiment classifier: label true for positive.
    public func sentimentSentences(count: Int, seed: UInt64 = 2) -> [LabelledSentence] {
        var rng = SplitMix64(seed: config.seed &+ 0x200 &+ seed)
        return (0..<count).map { i in
            let positive = i % 2 == 0
            var parts = [ReviewWorld.sentence(tone: positive ? .positive : .negative, using: &rng)]
            if ReviewWorld.chance(0.5, &rng) { parts.append(ReviewWorld.sentence(tone: .neutral, using: &rng)) }
            if ReviewWorld.chance(0.5, &rng) { parts.shuffle(using: &rng) }
            return LabelledSentence(text: parts.joined(separator: " "), label: positive)
        }
    }
}
