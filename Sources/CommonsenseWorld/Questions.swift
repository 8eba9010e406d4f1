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

    /// Four seen families (one per asked relation) and two unseen ones: a rewording of a seen relation, and a
    /// relation (colour) that no training question asks about.
    public static let builtIn = [
        QuestionFamily(name: "habitat", relation: "habitat", template: "where does the {entity} live?", isSeen: true),
        QuestionFamily(name: "ability", relation: "ability", template: "what can the {entity} do?", isSeen: true),
        QuestionFamily(name: "material", relation: "material", template: "what is the {entity} made of?", isSeen: true),
        QuestionFamily(name: "taste", relation: "taste", template: "how does the {entity} taste?", isSeen: true),
        QuestionFamily(name: "find-place", relation: "habitat", template: "in which place would you find the {entity}?", isSeen: false),
        QuestionFamily(name: "colour", relation: "colour", template: "what colour is the {entity}?", isSeen: false),
    ]
}

/// The questions of a split.
public enum QuestionSplit: String, Codable, Sendable {
    /// Seen families, training entities only: `trainingVariants` questions per fact.
    case training
    /// Every family, test entities only: `testVariants` questions per fact, drawn with another seed.
    case test
}

extension CommonsenseWorld {
    /// The family named `name`.
    public func family(_ name: String) -> QuestionFamily? { families.first { $0.name == name } }

    /// The questions of `split`, family by family, fact by fact (deterministic for a seed).
    public func questions(_ split: QuestionSplit) -> [MultipleChoiceQuestion] {
        var rng = SplitMix64(seed: config.seed &+ (split == .training ? 0x7121 : 0x7E57))
        let entities = split == .training ? trainingEntities : testEntities
        return questions(families: families.filter { split == .test || $0.isSeen }, entities: entities,
                         variants: split == .training ? config.trainingVariants : config.testVariants, using: &rng)
    }

    /// `variants` questions per fact of `entities` for each family, with fresh distractors and orders.
    func questions<G: RandomNumberGenerator>(families: [QuestionFamily], entities: Set<String>, variants: Int,
                                             using rng: inout G) -> [MultipleChoiceQuestion] {
        var out: [MultipleChoiceQuestion] = []
        for family in families {
            guard let relation = self.relation(family.relation) else { continue }
            for fact in facts where fact.relation == relation.name && entities.contains(fact.entity) {
                for _ in 0..<variants {
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
    /// probability `silverWrongFraction`, and otherwise a true but irrelevant statement about another fact of an
    /// entity on the question's side of the split (so silver statements for training questions never name a test
    /// entity). For a
    /// fact in ``CommonsenseWorld/misbeliefs`` the first share states the believed wrong value and the second the
    /// truth.
    public func silverKnowledge<G: RandomNumberGenerator>(for question: MultipleChoiceQuestion, count: Int,
                                                          using generator: inout G) -> [String] {
        let truth = value(entity: question.entity, relation: question.relation) ?? question.choices[question.answer]
        let misbelief = misbeliefs[CommonsenseFact(entity: question.entity, relation: question.relation, value: truth)]
        let others = sameSide(as: question.entity).filter { !($0.entity == question.entity && $0.relation == question.relation) }
        return (0..<count).map { _ -> String in
            let u = Double(generator.next() >> 11) / Double(UInt64(1) << 53)
            let relation = self.relation(question.relation)!
            if u < config.silverCorrectFraction { return relation.statement(entity: question.entity, value: misbelief ?? truth) }
            if u < config.silverCorrectFraction + config.silverWrongFraction {
                if misbelief != nil { return relation.statement(entity: question.entity, value: truth) }
                let wrong = relation.values.filter { $0 != truth }
                return relation.statement(entity: question.entity, value: wrong[Int(generator.next(upperBound: UInt64(wrong.count)))])
            }
            let other = others[Int(generator.next(upperBound: UInt64(others.count)))]
            return self.relation(other.relation)!.statement(entity: other.entity, value: other.value)
        }
    }

    /// The facts of the entities on the same side of the training/test split as `entity`.
    func sameSide(as entity: String) -> [CommonsenseFact] {
        let test = isTestEntity(entity)
        return facts.filter { isTestEntity($0.entity) == test }
    }

    /// What the question-answering model remembers of the test entities: for every known fact of a test entity,
    /// `variants` questions of each seen family that asks its relation, without knowledge, answered by the truth.
    /// These are the QA model's own memory (it is fixed and shared by every method), never seen by the introspector.
    public func memoryLessons<G: RandomNumberGenerator>(variants: Int, using generator: inout G) -> [ReadingExample] {
        questions(families: families.filter(\.isSeen), entities: testEntities, variants: variants, using: &generator)
            .filter { isKnown($0) }
            .map { ReadingExample(question: $0, knowledge: nil, target: $0.answer) }
    }

    /// The reading lessons of the question-answering model, from the given (seen-family training) questions:
    /// - a known fact: the question alone, and the question with a statement of the asked relation whose value is
    ///   one of the choices at random — both answered by the truth (its memory wins over a contradicting statement);
    /// - an unknown fact: the question with such a statement, answered by the stated value (it reads), and, with
    ///   probability `scrambledStemFraction`, a lesson with the question's words replaced by a random sequence of
    ///   seen-family words around the entity, choices drawn from every relation's values, and a statement in any
    ///   relation's form stating one of them, so that reading depends on neither the wording nor the relation;
    /// - a known fact, also: the question with a true statement about another entity on the same side of the
    ///   split, answered by the truth.
    public func readingExamples<G: RandomNumberGenerator>(for questions: [MultipleChoiceQuestion], scrambledStemFraction: Double = 0,
                                                          using generator: inout G) -> [ReadingExample] {
        var out: [ReadingExample] = []
        let allValues = Array(Set(relations.flatMap(\.values))).sorted()
        let pool = Array(Set(families.filter(\.isSeen).flatMap { $0.template.split(separator: " ").map(String.init) }
            .filter { !$0.contains("{") }.map { $0.trimmingCharacters(in: .punctuationCharacters) }
            + trainingEntities + relations.flatMap(\.values))).sorted()
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
                // Any statement form, any value words: reading is matching the stated word to a choice.
                var choices = allValues
                choices.shuffle(using: &generator)
                choices = Array(choices.prefix(question.choices.count))
                let stated = Int(generator.next(upperBound: UInt64(choices.count)))
                let form = relations[Int(generator.next(upperBound: UInt64(relations.count)))]
                var scrambled = question
                scrambled.stem = words.joined(separator: " ") + "?"
                scrambled.choices = choices
                scrambled.answer = stated
                out.append(ReadingExample(question: scrambled, knowledge: form.statement(entity: question.entity, value: choices[stated]),
                                          target: stated))
            }
            if known {
                let others = sameSide(as: question.entity).filter { $0.entity != question.entity }
                let other = others[Int(generator.next(upperBound: UInt64(others.count)))]
                out.append(ReadingExample(question: question,
                                          knowledge: self.relation(other.relation)!.statement(entity: other.entity, value: other.value),
                                          target: question.answer))
            }
        }
        return out
    }
}
