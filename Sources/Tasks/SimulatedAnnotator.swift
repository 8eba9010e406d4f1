// Simulated annotators: noisy Bradley–Terry judges on the gold score plus a taste, pooled into annotator groups.
import Foundation
import Evaluation

/// One simulated annotator: prefers completion a over b with probability `σ((u(a) − u(b)) / temperature)`.
///
/// The utility is the gold score plus the annotator's taste:
/// `u(y) = goldScore(y) + lengthWeight × characters(answer line) + politenessWeight × 1[polite]
///        + capitalizationWeight × 1[answer line starts with a capital letter]`,
/// where *polite* means the answer line contains (ignoring case) "please", "sure", "of course",
/// "happy to help", "certainly" or "thank". This is a Bradley–Terry draw on the gold score, the
/// simulated annotator `σ((g(y₁) − g(y₂))/τ)`, with taste terms in the spirit of AlpacaFarm's annotator pool.
public struct SimulatedAnnotator: Codable, Equatable, Sendable {
    /// A name for reports.
    public var name: String
    /// The Bradley–Terry temperature τ > 0; smaller is less noisy.
    public var temperature: Double
    /// Utility per character of the answer line (negative prefers terse answers).
    public var lengthWeight: Double
    /// Utility bonus for a polite answer.
    public var politenessWeight: Double
    /// Utility bonus for an answer line that starts with a capital letter.
    public var capitalizationWeight: Double

    /// Creates an annotator.
    ///
    /// - Parameters:
    ///   - name: A name for reports.
    ///   - temperature: τ > 0. Default 0.1.
    ///   - lengthWeight: Utility per answer character. Default 0.
    ///   - politenessWeight: Bonus for politeness. Default 0.
    ///   - capitalizationWeight: Bonus for a leading capital. Default 0.
    public init(name: String, temperature: Double = 0.1, lengthWeight: Double = 0, politenessWeight: Double = 0,
                capitalizationWeight: Double = 0) {
        self.name = name
        self.temperature = temperature
        self.lengthWeight = lengthWeight
        self.politenessWeight = politenessWeight
        self.capitalizationWeight = capitalizationWeight
    }

    static let politeMarkers = ["please", "sure", "of course", "happy to help", "certainly", "thank"]

    /// Whether an answer line counts as polite.
    static func isPolite(_ line: String) -> Bool {
        let lower = line.lowercased()
        return politeMarkers.contains { lower.contains($0) }
    }

    /// The annotator's utility of a completion: gold score plus taste terms.
    ///
    /// - Parameters:
    ///   - instruction: The instruction answered.
    ///   - completion: The completion.
    /// - Returns: `u(y)` as defined above.
    public func utility(_ instruction: Instruction, completion: String) -> Double {
        let line = Instruction.answerLine(of: completion).line
        var u = instruction.goldScore(completion: completion)
        u += lengthWeight * Double(line.count)
        if SimulatedAnnotator.isPolite(line) { u += politenessWeight }
        if let first = line.first, first.isUppercase { u += capitalizationWeight }
        return u
    }

    /// The probability that this annotator prefers `a` to `b`: `σ((u(a) − u(b)) / temperature)`.
    ///
    /// - Parameters:
    ///   - instruction: The instruction answered.
    ///   - a: The first completion.
    ///   - b: The second completion.
    /// - Returns: A probability in (0, 1); exactly ½ for identical completions.
    public func preferenceProbability(_ instruction: Instruction, _ a: String, _ b: String) -> Double {
        sigmoid((utility(instruction, completion: a) - utility(instruction, completion: b)) / temperature)
    }
}

func sigmoid(_ x: Double) -> Double { x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)) }

/// A pool of simulated annotators sharing a taste; each label is given by one member drawn uniformly at random.
///
/// The task defines two groups, as InstructGPT evaluated held-out labellers:
/// - ``concise`` (the **training** group, which labels the reward-model data): prefers correct, short answers
///   (`lengthWeight` −0.005 … −0.015 per character).
/// - ``courteous`` (the **held-out** group): likes polite answers (`politenessWeight` 0.25 … 0.35) and a leading
///   capital (`capitalizationWeight` 0.1), so it prefers `" Sure! pmal\n"` to `" pmal\n"` where the training group
///   prefers the opposite.
///
/// Members use temperatures 0.12, 0.16 and 0.20, so labels are noisy: the noise ceiling on the task's
/// comparisons is about 0.87.
public struct AnnotatorGroup: Codable, Equatable, Sendable {
    /// The group's name.
    public var name: String
    /// The members; a label is drawn from one member chosen uniformly.
    public var annotators: [SimulatedAnnotator]

    /// Creates a group.
    ///
    /// - Parameters:
    ///   - name: The group's name.
    ///   - annotators: At least one member.
    public init(name: String, annotators: [SimulatedAnnotator]) {
        precondition(!annotators.isEmpty, "an annotator group needs at least one annotator")
        self.name = name
        self.annotators = annotators
    }

    /// The training group: terse tastes.
    public static let concise = AnnotatorGroup(name: "concise", annotators: [
        SimulatedAnnotator(name: "concise-1", temperature: 0.12, lengthWeight: -0.010),
        SimulatedAnnotator(name: "concise-2", temperature: 0.16, lengthWeight: -0.015),
        SimulatedAnnotator(name: "concise-3", temperature: 0.20, lengthWeight: -0.005),
    ])

    /// The held-out group: polite tastes.
    public static let courteous = AnnotatorGroup(name: "courteous", annotators: [
        SimulatedAnnotator(name: "courteous-1", temperature: 0.12, politenessWeight: 0.25, capitalizationWeight: 0.1),
        SimulatedAnnotator(name: "courteous-2", temperature: 0.16, politenessWeight: 0.30, capitalizationWeight: 0.1),
        SimulatedAnnotator(name: "courteous-3", temperature: 0.20, politenessWeight: 0.35, capitalizationWeight: 0.1),
    ])

    /// The group that labels the task's training comparisons (``concise``).
    public static let training = concise
    /// The held-out group (``courteous``).
    public static let heldOut = courteous

    /// The probability that a label from this group prefers `a` to `b`: the mean of the members' probabilities.
    ///
    /// - Parameters:
    ///   - instruction: The instruction answered.
    ///   - a: The first completion.
    ///   - b: The second completion.
    /// - Returns: A probability in (0, 1).
    public func preferenceProbability(_ instruction: Instruction, _ a: String, _ b: String) -> Double {
        annotators.reduce(0) { $0 + $1.preferenceProbability(instruction, a, b) } / Double(annotators.count)
    }

    /// Draws one label: whether a randomly chosen member prefers `a` to `b`.
    ///
    /// - Parameters:
    ///   - instruction: The instruction answered.
    ///   - a: The first completion.
    ///   - b: The second completion.
    ///   - rng: The random source.
    /// - Returns: `true` if `a` is preferred (probability ``preferenceProbability(_:_:_:)``).
    public func prefersFirst<G: RandomNumberGenerator>(_ instruction: Instruction, _ a: String, _ b: String,
                                                       using rng: inout G) -> Bool {
        let annotator = rng.taskPick(annotators)
        return rng.taskUnit() < annotator.preferenceProbability(instruction, a, b)
    }

    /// Draws a full ranking of completions, best first, by Plackett–Luce sampling on `exp(u / τ)` of one randomly
    /// chosen member (for two completions this is exactly the Bradley–Terry draw).
    ///
    /// - Parameters:
    ///   - instruction: The instruction answered.
    ///   - completions: The completions to rank.
    ///   - rng: The random source.
    /// - Returns: Indices into `completions`, best first.
    public func rank<G: RandomNumberGenerator>(_ instruction: Instruction, _ completions: [String],
                                               using rng: inout G) -> [Int] {
        let annotator = rng.taskPick(annotators)
        let utilities = completions.map { annotator.utility(instruction, completion: $0) / annotator.temperature }
        var remaining = Array(completions.indices)
        var order: [Int] = []
        while !remaining.isEmpty {
            let top = remaining.map { utilities[$0] }.max()!
            let weights = remaining.map { exp(utilities[$0] - top) }
            let pick = rng.taskWeightedIndex(weights)
            order.append(remaining.remove(at: pick))
        }
        return order
    }

    /// Judges an output against a reference output: identical texts tie, otherwise one label is drawn.
    ///
    /// - Parameters:
    ///   - instruction: The instruction answered.
    ///   - output: The evaluated system's completion.
    ///   - reference: The reference system's completion.
    ///   - rng: The random source.
    /// - Returns: ``PairwiseOutcome/win``, ``PairwiseOutcome/tie`` or ``PairwiseOutcome/loss`` for the output.
    public func judge<G: RandomNumberGenerator>(_ instruction: Instruction, output: String, reference: String,
                                                using rng: inout G) -> PairwiseOutcome {
        if output == reference { return .tie }
        return prefersFirst(instruction, output, reference, using: &rng) ? .win : .loss
    }

    /// The expected win-rate credit of an output against a reference: ½ for identical texts, else the preference
    /// probability. Averaging it gives a noise-free win-rate estimate.
    ///
    /// - Parameters:
    ///   - instruction: The instruction answered.
    ///   - output: The evaluated completion.
    ///   - reference: The reference completion.
    /// - Returns: A value in (0, 1).
    public func expectedCredit(_ instruction: Instruction, output: String, reference: String) -> Double {
        output == reference ? 0.5 : preferenceProbability(instruction, output, reference)
    }

    /// The noise ceiling of this group's labels: the expected agreement of the best possible scorer with them,
    /// `mean over pairs of max(p, 1 − p)` where `p` is ``preferenceProbability(_:_:_:)``.
    ///
    /// No reward model can beat this accuracy in expectation on labels drawn from this group; InstructGPT-style
    /// reward-model evaluation prints it beside the achieved pairwise accuracy.
    ///
    /// - Parameter pairs: The compared pairs `(instruction, a, b)`.
    /// - Returns: A value in [½, 1), or ½ for no pairs.
    public func noiseCeiling(_ pairs: [(instruction: Instruction, a: String, b: String)]) -> Double {
        guard !pairs.isEmpty else { return 0.5 }
        return pairs.reduce(0) { total, pair in
            let p = preferenceProbability(pair.instruction, pair.a, pair.b)
            return total + max(p, 1 - p)
        } / Double(pairs.count)
    }
}
