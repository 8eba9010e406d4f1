// The fixed word lists of the instruction task: categories, antonyms, repeatable phrases and filler words.
import Foundation

/// The closed vocabulary the instruction task draws from. Every list is a literal in a fixed order, so the task
/// is identical on every machine.
enum Vocabulary {
    /// Categories for "name one …" instructions, each with single-word lowercase members.
    static let categories: [(name: String, members: [String])] = [
        ("animal", ["cat", "dog", "cow", "pig", "fox", "owl", "bee", "goat", "duck", "lion", "bear", "wolf", "frog",
                    "deer", "seal", "crab", "swan", "mouse", "horse", "sheep", "tiger", "zebra", "snake", "whale",
                    "camel", "eagle", "otter", "panda", "rabbit", "monkey", "turtle", "parrot", "donkey"]),
        ("color", ["red", "blue", "green", "pink", "gray", "black", "white", "brown", "orange", "purple", "yellow"]),
        ("fruit", ["apple", "pear", "plum", "lime", "lemon", "grape", "peach", "mango", "melon", "cherry", "banana",
                   "kiwi", "fig"]),
        ("vegetable", ["corn", "bean", "pea", "kale", "leek", "onion", "carrot", "potato", "radish", "pepper",
                       "celery", "garlic"]),
        ("tool", ["saw", "axe", "hammer", "drill", "wrench", "shovel", "rake", "knife", "chisel", "pliers"]),
        ("vehicle", ["car", "bus", "van", "taxi", "boat", "ship", "train", "truck", "plane", "bike", "tram"]),
        ("drink", ["tea", "milk", "juice", "water", "soda", "coffee", "cocoa", "lemonade"]),
        ("instrument", ["drum", "harp", "flute", "piano", "violin", "guitar", "horn", "banjo", "cello", "tuba"]),
    ]

    /// Antonym pairs; each word's antonyms are every word paired with it.
    static let antonymPairs: [(String, String)] = [
        ("hot", "cold"), ("big", "small"), ("up", "down"), ("fast", "slow"), ("happy", "sad"), ("light", "dark"),
        ("open", "closed"), ("tall", "short"), ("old", "young"), ("early", "late"), ("full", "empty"),
        ("hard", "soft"), ("rich", "poor"), ("wet", "dry"), ("loud", "quiet"), ("strong", "weak"),
        ("thick", "thin"), ("high", "low"), ("near", "far"), ("good", "bad"), ("clean", "dirty"),
        ("heavy", "light"), ("left", "right"), ("win", "lose"), ("buy", "sell"), ("push", "pull"),
        ("start", "finish"), ("give", "take"), ("day", "night"), ("true", "false"), ("love", "hate"),
        ("first", "last"), ("inside", "outside"), ("above", "below"), ("before", "after"), ("sweet", "sour"),
        ("narrow", "wide"), ("deep", "shallow"), ("friend", "enemy"), ("old", "new"), ("long", "short"),
    ]

    /// Short phrases for "repeat …" instructions.
    static let phrases: [String] = [
        "hi", "yes", "no", "go", "ha", "wow", "hello", "thank you", "go on", "well done", "good night", "see you",
        "me too", "all right", "come here", "not now", "bye", "okay", "very good", "oh no",
    ]

    /// Repetition counts for "repeat …" instructions, as words and numbers.
    static let repeatCounts: [(word: String, count: Int)] = [("twice", 2), ("three times", 3)]

    /// Other common words, used as arguments of the spelling families and in the pretraining corpus.
    static let otherWords: [String] = [
        "house", "table", "chair", "lamp", "book", "door", "window", "river", "cloud", "stone", "bread", "cake",
        "sugar", "salt", "tree", "leaf", "flower", "garden", "road", "city", "town", "music", "paper", "pencil",
        "shirt", "shoe", "hat", "ring", "bell", "clock", "candle", "mirror", "pillow", "basket", "bottle",
        "bucket", "ladder", "bridge", "forest", "hill", "lake", "beach", "island", "moon", "star", "sun", "rain",
        "snow", "wind", "storm", "school", "teacher", "doctor", "farmer", "king", "queen", "baby", "family",
        "letter", "story", "song", "game", "ball", "kite", "doll", "robot", "box", "cup", "plate", "fork",
    ]

    /// Every word usable as the argument of a spelling instruction (reverse, capitalise, count, first letter):
    /// the category members, antonym words and other words, lowercase letters only, 3 to 8 letters, deduplicated
    /// in first-seen order.
    static let spellingWords: [String] = {
        var seen = Set<String>()
        var out: [String] = []
        let all = categories.flatMap(\.members) + antonymPairs.flatMap { [$0.0, $0.1] } + otherWords
        for w in all where (3...8).contains(w.count) && w.allSatisfy({ $0.isASCII && $0.isLowercase }) {
            if seen.insert(w).inserted { out.append(w) }
        }
        return out
    }()

    /// `count` distinct made-up words that read like English ("tomer", "bivak", "lusan"): one to three
    /// consonant–vowel syllables, the last sometimes closed by a consonant, 3 to 8 letters, none of them a word of
    /// this vocabulary. Deterministic for the seed.
    ///
    /// They widen the argument space of the spelling and repetition families, so that a model has to learn the
    /// operation (reverse, capitalise, first letter, repeat) rather than memorise the answers for a few hundred
    /// real words.
    static func madeUpWords(count: Int, seed: UInt64) -> [String] {
        let onsets = Array("bdfgklmnprstvz"), vowels = Array("aeiou"), codas = Array("klmnrst")
        var rng = TaskGenerator(seed: stableHash("made-up words", seed: seed))
        var seen = Set(spellingWords + phrases)
        var out: [String] = []
        var attempts = 0
        while out.count < count, attempts < count * 50 {
            attempts += 1
            var word = ""
            for _ in 0..<(1 + rng.taskBelow(3)) { word += String([rng.taskPick(onsets), rng.taskPick(vowels)]) }
            if rng.taskBelow(2) == 0 { word.append(rng.taskPick(codas)) }
            guard (3...8).contains(word.count), seen.insert(word).inserted else { continue }
            out.append(word)
        }
        return out
    }

    /// The antonyms of a word, in list order (empty if the word has none).
    static func antonyms(of word: String) -> [String] {
        var out: [String] = []
        for (a, b) in antonymPairs {
            if a == word, !out.contains(b) { out.append(b) }
            if b == word, !out.contains(a) { out.append(a) }
        }
        return out
    }

    /// Every word that has an antonym, in first-seen order.
    static let antonymWords: [String] = {
        var out: [String] = []
        for (a, b) in antonymPairs {
            if !out.contains(a) { out.append(a) }
            if !out.contains(b) { out.append(b) }
        }
        return out
    }()

    /// The members of a category, or `nil` for an unknown category.
    static func members(of category: String) -> [String]? {
        categories.first { $0.name == category }?.members
    }

    /// The category of a word, if it is a member of one.
    static func category(of word: String) -> String? {
        categories.first { $0.members.contains(word) }?.name
    }
}

// MARK: - Deterministic randomness

/// A 64-bit FNV-1a hash, stable across processes and platforms (unlike `Hasher`), used to derive per-prompt seeds.
func stableHash(_ text: String, seed: UInt64 = 0) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
    for byte in text.utf8 {
        h ^= UInt64(byte)
        h = h &* 0x0000_0100_0000_01B3
    }
    return h
}

extension RandomNumberGenerator {
    /// A uniform integer in `0..<bound` by multiply-high (Lemire's method without rejection, bias < 2⁻⁵⁰ here).
    /// Written out rather than using `Int.random(in:using:)` so that generated tasks never depend on the
    /// standard library's algorithm.
    mutating func taskBelow(_ bound: Int) -> Int {
        precondition(bound > 0, "taskBelow needs a positive bound")
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// A uniform double in [0, 1).
    mutating func taskUnit() -> Double {
        Double(next() >> 11) * (1.0 / Double(UInt64(1) << 53))
    }

    /// A uniformly chosen element of a non-empty array.
    mutating func taskPick<T>(_ items: [T]) -> T { items[taskBelow(items.count)] }

    /// A Fisher–Yates shuffle of the array.
    mutating func taskShuffled<T>(_ items: [T]) -> [T] {
        var out = items
        var i = out.count - 1
        while i > 0 {
            let j = taskBelow(i + 1)
            out.swapAt(i, j)
            i -= 1
        }
        return out
    }

    /// An index drawn with probability proportional to `weights` (which must have a positive sum).
    mutating func taskWeightedIndex(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        var u = taskUnit() * total
        for (i, w) in weights.enumerated() {
            if u < w { return i }
            u -= w
        }
        return weights.count - 1
    }
}
