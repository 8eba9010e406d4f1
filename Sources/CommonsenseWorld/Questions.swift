// Multiple-choice questions of the commonsense world: families (one relation, one wording), seen and unseen,
// and the training and test questions of each.
import Evaluation
import Foundation
import TrainingData

/// One way of asking about one relation; the introspector and the question-answering model are trained on the
/// seen families only.
public struct QuestionFamily: Codable, Hashable, Sendable {
    public var name: String
    public var relation: String
    /// The question with an `{entity}` placeholder.
    public var template: String
    public var isSeen: Bool

    public init(name: String, relation: String, template: String, isSeen: Bool) {
        self.name = name
        self.relation = relation
        self.template = template
        self.isSeen = isSeen
    }

    public func stem(entity: String) -> String { template.replacingOccurrences(of: "{entity}", with: entity) }

    /// Four seen families (one per relation) and three unseen rewordings.
    public static let builtIn = [
        QuestionFamily(name: "habitat", relation: "habitat", template: "where does the {entity} live?", isSeen: true),
        QuestionFamily(name: "ability", relation: "ability", template: "what can the {entity} do?", isSeen: true),
        QuestionFamily(name: "material", relation: "material", template: "what is the {entity} made of?", isSeen: true),
        QuestionFamily(name: "taste", relation: "taste", template: "how does the {entity} taste?", isSeen: true),
        QuestionFamily(name: "find-place", relation: "habitat", template: "in which place would you find the {entity}?", isSeen: false),
        QuestionFamily(name: "which-material", relation: "material", template: "which material is the {entity} made of?", isSeen: false),
        QuestionFamily(name: "flavour", relation: "taste", template: "what flavour does the {entity} have?", isSeen: false),
    ]
}

/// The questions of a split.
public enum QuestionSplit: String, Codable, Sendable {
    /// Seen families only: `trainingVariants` questions per fact.
    case training
    /// Every family: `testVariants` questions per fact, drawn with another seed.
    case test
}

extension CommonsenseWorld {
    /// The family named `name`.
    public func family(_ name: String) -> QuestionFamily? { families.first { $0.name == name } }

    /// The questions of `split`, family by family, fact by fact (deterministic for a seed).
    public func questions(_ split: QuestionSplit) -> [MultipleChoiceQuestion] {
        var rng = SplitMix64(seed: config.seed &+ (split == .training ? 0x7121 : 0x7E57))
        var out: [MultipleChoiceQuestion] = []
        for family in families where split == .test || family.isSeen {
            guard let relation = self.relation(family.relation) else { continue }
            for fact in facts where fact.relation == relation.name {
                for _ in 0..<(split == .training ? config.trainingVariants : config.testVariants) {
                    var distractors = relation.values.filter { $0 != fact.value }
                    distractors.shuffle(using: &rng)
                    var choices = [fact.value] + distractors.prefix(config.choiceCount - 1)
                    choices.shuffle(using: &rng)
                    out.append(MultipleChoiceQuestion(stem: family.stem(entity: fact.entity), choices: choices,
                                                      answer: choices.firstIndex(of: fact.value)!, family: family.name,
                                                      entity: fact.entity, relation: relation.name))
                }
            }
        }
        return out
    }

    /// `count` silver knowledge statements for a question, as a few-shot prompted model would write them: each is
    /// the true statement with probability `silverCorrectFraction`, a wrong value of the asked relation with
    /// probability `silverWrongFraction`, and otherwise a true but irrelevant statement about another fact. For a
    /// fact in ``CommonsenseWorld/misbeliefs`` the first share states the believed wrong value and the second the
    /// truth.
    public func silverKnowledge<G: RandomNumberGenerator>(for question: MultipleChoiceQuestion, count: Int,
                                                          using generator: inout G) -> [String] {
        let truth = value(entity: question.entity, relation: question.relation) ?? question.choices[question.answer]
        let misbelief = misbeliefs[CommonsenseFact(entity: question.entity, relation: question.relation, value: truth)]
        return (0..<count).map { _ -> String in
            let u = Double(generator.next() >> 11) / Double(UInt64(1) << 53)
            let relation = self.relation(question.relation)!
            if u < config.silverCorrectFraction { return relation.statement(entity: question.entity, value: misbelief ?? truth) }
            if u < config.silverCorrectFraction + config.silverWrongFraction {
                if misbelief != nil { return relation.statement(entity: question.entity, value: truth) }
                let wrong = relation.values.filter { $0 != truth }
                return relation.statement(entity: question.entity, value: wrong[Int(generator.next(upperBound: UInt64(wrong.count)))])
            }
            let others = facts.filter { !($0.entity == question.entity && $0.relation == question.relation) }
            let other = others[Int(generator.next(upperBound: UInt64(others.count)))]
            return self.relation(other.relation)!.statement(entity: other.entity, value: other.value)
        }
    }

    /// The reading lessons of the question-answering model, from the given (seen-family training) questions:
    /// - a known fact: the question alone, and the question with a statement of the asked relation whose value is
    ///   one of the choices at random — both answered by the truth (its memory wins over a contradicting statement);
    /// - an unknown fact: the question with such a statement, answered by the stated value (it reads), and, with
    ///   probability `scrambledStemFraction`, the same lesson with the question's words replaced by a random
    ///   sequence of seen-family words around the entity, so that reading does not depend on the wording;
    /// - a known fact, also: the question with a true statement about another entity, answered by the truth.
    public func readingExamples<G: RandomNumberGenerator>(for questions: [MultipleChoiceQuestion], scrambledStemFraction: Double = 0,
                                                          using generator: inout G) -> [ReadingExample] {
        var out: [ReadingExample] = []
        let pool = Array(Set(families.filter(\.isSeen).flatMap { $0.template.split(separator: " ").map(String.init) }
            .filter { !$0.contains("{") }.map { $0.trimmingCharacters(in: .punctuationCharacters) }
            + entities.map(\.name) + relations.flatMap(\.values))).sorted()
        for question in questions {
            let relation = self.relation(question.relation)!
            let known = isKnown(question)
            if known { out.append(ReadingExample(question: question, knowledge: nil, target: question.answer)) }
            let pick = Int(generator.next(upperBound: UInt64(question.choices.count)))
            let statement = relation.statement(entity: question.entity, value: question.choices[pick])
            out.append(ReadingExample(question: question, knowledge: statement, target: known ? question.answer : pick))
            let u = Double(generator.next() >> 11) / Double(UInt64(1) << 53)
            if !known && u < scrambledStemFraction {
                var words = (0..<(3 + Int(generator.next(upperBound: UInt64(4))))).map { _ in pool[Int(generator.next(upperBound: UInt64(pool.count)))] }
                words.insert(question.entity, at: Int(generator.next(upperBound: UInt64(words.count + 1))))
                var scrambled = question
                scrambled.stem = words.joined(separator: " ") + "?"
                out.append(ReadingExample(question: scrambled, knowledge: statement, target: pick))
            }
            if known {
                let others = facts.filter { $0.entity != question.entity }
                let other = others[Int(generator.next(upperBound: UInt64(others.count)))]
                out.append(ReadingExample(question: question,
                                          knowledge: self.relation(other.relation)!.statement(entity: other.entity, value: other.value),
                                          target: question.answer))
            }
        }
        return out
    }
}
