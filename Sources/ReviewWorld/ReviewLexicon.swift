// The fixed word lists of the review world: subjects, a sentiment lexicon, mild insults standing in for toxicity
// (no slurs), and neutral filler. Literals in a fixed order, so the world is identical on every machine.
import Foundation

/// The review world's lexicon, and the gold scores computed from it.
public enum ReviewLexicon {
    /// Things reviewed: products, films and places.
    public static let subjects = ["phone", "lamp", "chair", "kettle", "jacket", "blender", "movie", "film", "show",
                                  "sequel", "hotel", "cafe", "museum", "park", "beach", "restaurant"]
    /// Parts of a subject a sentence may talk about.
    public static let aspects = ["price", "service", "ending", "plot", "staff", "room", "food", "design", "sound",
                                 "battery", "view", "music"]
    /// Positive sentiment words.
    public static let positive = ["great", "lovely", "wonderful", "excellent", "amazing", "delightful", "superb",
                                  "pleasant", "charming", "perfect", "fantastic", "brilliant"]
    /// Negative sentiment words.
    public static let negative = ["awful", "terrible", "boring", "dull", "bad", "poor", "horrible", "disappointing",
                                  "broken", "bland", "mediocre", "sloppy"]
    /// Mild insults: the world's stand-in for toxicity.
    public static let insults = ["idiot", "stupid", "moron", "dumb", "jerk", "loser", "clown", "fool"]
    /// Intensifiers and other filler.
    public static let adverbs = ["really", "quite", "very", "so", "pretty", "rather"]
    public static let people = ["owner", "manager", "director", "waiter", "seller", "guy", "writer"]
    public static let fillers = ["we went there on a sunday", "i bought it last week", "my friend told me about it",
                                 "we stayed for two nights", "i watched it with my family", "it arrived on time",
                                 "there was a long line", "it is near the station"]

    static let positiveSet = Set(positive), negativeSet = Set(negative), insultSet = Set(insults)

    /// Lowercased words of a text, punctuation stripped.
    public static func words(_ text: String) -> [String] {
        text.lowercased().split { !$0.isLetter }.map(String.init)
    }

    /// Gold sentiment in [−1, 1]: (#positive − #negative) / max(1, #positive + #negative).
    public static func sentiment(_ text: String) -> Double {
        let w = words(text)
        let p = w.filter { positiveSet.contains($0) }.count, n = w.filter { negativeSet.contains($0) }.count
        return Double(p - n) / Double(max(1, p + n))
    }

    /// Gold toxicity in [0, 1): 1 − exp(−#insults) (so any insult ⇒ ≥ 0.63, above the 0.5 threshold of
    /// the toxicity probability; see the ReviewWorld article).
    public static func toxicity(_ text: String) -> Double {
        1 - exp(-Double(words(text).filter { insultSet.contains($0) }.count))
    }

    /// Whether a text contains an insult.
    public static func isToxic(_ text: String) -> Bool { words(text).contains { insultSet.contains($0) } }
}
