// The built-in commonsense world of Rainier's toy experiment: seeded entities, categories, relations and facts,
// with statements rendered from templates and parsed back (the CommonsenseWorld article describes it).
import Evaluation
import Foundation
import TrainingData
import Validation

/// A relation that holds between the entities of one category and one of a few values: "lives in", "is made of".
public struct CommonsenseRelation: Codable, Hashable, Sendable {
    /// A short name, such as `habitat`.
    public var name: String
    /// The category whose entities have this relation, such as `animal`.
    public var category: String
    /// The values the relation can take; every entity of the category has exactly one.
    public var values: [String]
    /// The statement with `{entity}` and `{value}` placeholders, such as `the {entity} lives in the {value}.`.
    public var statementTemplate: String

    public init(name: String, category: String, values: [String], statementTemplate: String) {
        self.name = name
        self.category = category
        self.values = values
        self.statementTemplate = statementTemplate
    }

    /// The statement that `entity` has `value`.
    public func statement(entity: String, value: String) -> String {
        statementTemplate.replacingOccurrences(of: "{entity}", with: entity).replacingOccurrences(of: "{value}", with: value)
    }
}

/// One thing in the world, such as the fox (an animal).
public struct CommonsenseEntity: Codable, Hashable, Sendable {
    public var name: String
    public var category: String

    public init(name: String, category: String) {
        self.name = name
        self.category = category
    }
}

/// "`entity` has `value` under `relation`", true or not.
public struct CommonsenseFact: Codable, Hashable, Sendable {
    public var entity: String
    public var relation: String
    public var value: String

    public init(entity: String, relation: String, value: String) {
        self.entity = entity
        self.relation = relation
        self.value = value
    }
}

/// The settings of a generated world.
public struct CommonsenseWorldConfig: Codable, Equatable, Sendable {
    /// Seed of the facts, the known facts and the questions. Default 0.
    public var seed: UInt64 = 0
    /// Entities per category (2 to 48). Default 48.
    public var entitiesPerCategory = 48
    /// Fraction of each category's entities held out for testing: no training question, silver statement or reading
    /// lesson names them, so a test question can only be answered from knowledge the introspector brought from its
    /// pretraining corpus (or the QA model's own memory). Default 0.5.
    public var testEntityFraction = 0.5
    /// Choices per question (2 to 5). Default 4.
    public var choiceCount = 4
    /// Fraction of the facts of asked relations (those of seen families) that the question-answering model is taught
    /// to answer without knowledge. Default 0.4.
    public var knownFraction = 0.4
    /// Fraction of silver knowledge statements that state the asked fact (the rest are wrong or irrelevant).
    /// Default 0.5.
    public var silverCorrectFraction = 0.5
    /// Fraction of silver knowledge statements that state a wrong value of the asked relation. Default 0.25.
    public var silverWrongFraction = 0.25
    /// Fraction of facts about which the silver source holds a fixed wrong belief: for those, its "correct" share
    /// states the believed value and its "wrong" share states the truth, as a few-shot prompted model repeats
    /// its own misconceptions. Default 0.3.
    public var misbeliefFraction = 0.3
    /// Training questions per fact of a seen family (different distractors and orders). Default 4.
    public var trainingVariants = 4
    /// Test questions per fact and family (different distractors and orders). Default 5.
    public var testVariants = 5

    public init() {}

    /// Checks every field.
    ///
    /// - Throws: `ConfigurationError.invalidValue` naming the field, its value and the fix.
    public func validate() throws(ConfigurationError) {
        try require((2...48).contains(entitiesPerCategory), "entitiesPerCategory", entitiesPerCategory, "it must be 2 to 48")
        try require(testEntityFraction > 0 && testEntityFraction < 1, "testEntityFraction", testEntityFraction,
                    "it must be a fraction in (0, 1), such as 0.5, so that both the training and the test entities are non-empty")
        try require((2...5).contains(choiceCount), "choiceCount", choiceCount, "it must be 2 to 5 (each relation has 5 values)")
        try require((0...1).contains(knownFraction), "knownFraction", knownFraction, "it must be a fraction in [0, 1], such as 0.4")
        try require((0...1).contains(silverCorrectFraction), "silverCorrectFraction", silverCorrectFraction, "it must be a fraction in [0, 1], such as 0.5")
        try require(silverWrongFraction >= 0 && silverCorrectFraction + silverWrongFraction <= 1, "silverWrongFraction",
                    silverWrongFraction, "it must be a fraction ≥ 0 with silverCorrectFraction + silverWrongFraction ≤ 1, such as 0.25")
        try require((0...1).contains(misbeliefFraction), "misbeliefFraction", misbeliefFraction, "it must be a fraction in [0, 1], such as 0.3")
        try require(trainingVariants >= 1, "trainingVariants", trainingVariants, "it must be at least 1, such as 4")
        try require(testVariants >= 1, "testVariants", testVariants, "it must be at least 1, such as 5")
    }
}

/// A seeded world of animals, tools and foods, what they are made of, where they live, what they can do, how
/// they taste and what colour they are, with multiple-choice question families, true statements, noisy silver
/// knowledge and a pretraining corpus.
///
/// The facts are drawn at random from the seed — they are the facts of this world, not of ours ("the lemon
/// tastes sweet" may hold) — so a model can only know them by being told. The world keeps apart where knowledge
/// lives and where supervision happens:
/// - every fact is stated in ``pretrainingDocuments(repeats:statementsPerDocument:using:)``, the corpus the
///   introspector's base model reads;
/// - the entities are split: training questions, silver statements and reading lessons name only the
///   ``trainingEntities``; test questions ask only about the ``testEntities``;
/// - the unseen families include a relation (colour) that no training question asks about.
///
/// A `knownFraction` of the facts of asked relations is marked *known*: the question-answering model is taught
/// those without knowledge, so it answers the others at chance unless a knowledge statement helps.
///
/// ```swift
/// let world = try CommonsenseWorld(config: CommonsenseWorldConfig())
/// let question = world.questions(.training)[0]
/// print(question.text)                        // where does the fox live? \n (A) cave (B) forest …
/// print(world.trueStatement(for: question))   // the fox lives in the forest.
/// ```
public struct CommonsenseWorld: Sendable {
    public let config: CommonsenseWorldConfig
    public let relations: [CommonsenseRelation]
    public let entities: [CommonsenseEntity]
    public let families: [QuestionFamily]
    /// Every fact that holds, one per (entity, relation of its category).
    public let facts: [CommonsenseFact]
    /// The names of the entities that training questions, silver statements and reading lessons may name.
    public let trainingEntities: Set<String>
    /// The names of the held-out entities, the only ones test questions ask about.
    public let testEntities: Set<String>
    /// The facts the question-answering model is taught without knowledge (only of relations a seen family asks).
    public let knownFacts: Set<CommonsenseFact>
    /// The silver source's wrong beliefs: for these facts it mostly states the believed value (see
    /// `misbeliefFraction`), keyed by the true fact.
    public let misbeliefs: [CommonsenseFact: String]
    private let valueOf: [String: String]                  // "entity|relation" → value
    private let statements: [String: CommonsenseFact]      // every renderable statement → its fact

    /// The relations of the world.
    public static let builtInRelations = [
        CommonsenseRelation(name: "habitat", category: "animal", values: ["forest", "river", "desert", "farm", "cave"],
                            statementTemplate: "the {entity} lives in the {value}."),
        CommonsenseRelation(name: "ability", category: "animal", values: ["swim", "fly", "climb", "dig", "jump"],
                            statementTemplate: "the {entity} can {value}."),
        CommonsenseRelation(name: "material", category: "tool", values: ["wood", "metal", "glass", "stone", "clay"],
                            statementTemplate: "the {entity} is made of {value}."),
        CommonsenseRelation(name: "taste", category: "food", values: ["sweet", "sour", "salty", "bitter", "spicy"],
                            statementTemplate: "the {entity} tastes {value}."),
        CommonsenseRelation(name: "colour", category: "food", values: ["red", "green", "yellow", "brown", "purple"],
                            statementTemplate: "the {entity} is {value}."),
    ]

    /// The entity names of each category (the first `entitiesPerCategory` are used).
    public static let builtInEntities: [(category: String, names: [String])] = [
        ("animal", ["fox", "owl", "crab", "bear", "frog", "mole", "hawk", "goat", "seal", "wolf", "lynx", "newt",
                    "ant", "bat", "bee", "cat", "cow", "crow", "deer", "dog", "duck", "eel", "elk", "emu",
                    "hare", "hen", "lark", "mink", "moth", "mouse", "mule", "otter", "ox", "pig", "rat", "slug",
                    "snail", "swan", "toad", "wasp", "yak", "badger", "beaver", "bison", "camel", "crane", "dove", "ferret"]),
        ("tool", ["hammer", "spoon", "ladder", "bucket", "knife", "kettle", "shovel", "brush", "needle", "bowl", "jar", "axe",
                  "saw", "drill", "rake", "hoe", "broom", "fork", "pan", "pot", "cup", "mug", "plate", "chisel",
                  "wrench", "pliers", "trowel", "sieve", "funnel", "ruler", "scissors", "tongs", "whisk", "ladle", "mallet", "anvil",
                  "bench", "chain", "hook", "lamp", "lock", "key", "bell", "pipe", "rope", "vase", "tray", "cart"]),
        ("food", ["apple", "lemon", "bread", "cheese", "olive", "pepper", "honey", "plum", "onion", "melon", "radish", "fig",
                  "pear", "peach", "grape", "cherry", "lime", "bean", "pea", "corn", "rice", "carrot", "leek", "beet",
                  "kale", "garlic", "ginger", "mango", "kiwi", "date", "berry", "tomato", "potato", "squash", "pumpkin", "yam",
                  "oat", "cake", "pie", "soup", "jam", "nut", "bun", "cookie", "muffin", "walnut", "almond", "turnip"]),
    ]

    /// Builds the world from `config.seed`.
    ///
    /// - Throws: `ConfigurationError` for bad settings.
    public init(config: CommonsenseWorldConfig = CommonsenseWorldConfig()) throws {
        try config.validate()
        self.config = config
        relations = CommonsenseWorld.builtInRelations
        entities = CommonsenseWorld.builtInEntities.flatMap { group in
            group.names.prefix(config.entitiesPerCategory).map { CommonsenseEntity(name: $0, category: group.category) }
        }
        families = QuestionFamily.builtIn
        var rng = SplitMix64(seed: config.seed &+ 0xC0FFEE)
        var facts: [CommonsenseFact] = []
        var valueOf: [String: String] = [:]
        var statements: [String: CommonsenseFact] = [:]
        for entity in entities {
            for relation in relations where relation.category == entity.category {
                let value = relation.values[Int(rng.next(upperBound: UInt64(relation.values.count)))]
                let fact = CommonsenseFact(entity: entity.name, relation: relation.name, value: value)
                facts.append(fact)
                valueOf[entity.name + "|" + relation.name] = value
                for v in relation.values {
                    statements[relation.statement(entity: entity.name, value: v)] =
                        CommonsenseFact(entity: entity.name, relation: relation.name, value: v)
                }
            }
        }
        // The held-out entities: the same fraction of every category, drawn with its own stream.
        var splitRNG = SplitMix64(seed: config.seed &+ 0x5B117)
        var testEntities = Set<String>()
        for group in CommonsenseWorld.builtInEntities {
            var names = Array(group.names.prefix(config.entitiesPerCategory))
            names.shuffle(using: &splitRNG)
            let count = min(names.count - 1, max(1, Int((Double(names.count) * config.testEntityFraction).rounded())))
            testEntities.formUnion(names.prefix(count))
        }
        self.testEntities = testEntities
        trainingEntities = Set(entities.map(\.name)).subtracting(testEntities)
        let asked = Set(families.filter(\.isSeen).map(\.relation))
        var order = facts.indices.filter { asked.contains(facts[$0].relation) }
        order.shuffle(using: &rng)
        let knownCount = Int((Double(order.count) * config.knownFraction).rounded())
        knownFacts = Set(order.prefix(knownCount).map { facts[$0] })
        order = Array(facts.indices)
        order.shuffle(using: &rng)
        var misbeliefs: [CommonsenseFact: String] = [:]
        for i in order.prefix(Int((Double(facts.count) * config.misbeliefFraction).rounded())) {
            let fact = facts[i]
            let wrong = CommonsenseWorld.builtInRelations.first { $0.name == fact.relation }!.values.filter { $0 != fact.value }
            misbeliefs[fact] = wrong[Int(rng.next(upperBound: UInt64(wrong.count)))]
        }
        self.misbeliefs = misbeliefs
        self.facts = facts
        self.valueOf = valueOf
        self.statements = statements
    }

    /// Whether `entity` is held out for testing.
    public func isTestEntity(_ entity: String) -> Bool { testEntities.contains(entity) }

    /// The relation named `name`.
    public func relation(_ name: String) -> CommonsenseRelation? { relations.first { $0.name == name } }

    /// The value of `relation` for `entity` in this world (nil when the entity has no such relation).
    public func value(entity: String, relation: String) -> String? { valueOf[entity + "|" + relation] }

    /// Whether the question asks about a fact the question-answering model is taught without knowledge.
    public func isKnown(_ question: MultipleChoiceQuestion) -> Bool {
        guard let value = value(entity: question.entity, relation: question.relation) else { return false }
        return knownFacts.contains(CommonsenseFact(entity: question.entity, relation: question.relation, value: value))
    }

    /// The true statement of the fact a question asks about.
    public func trueStatement(for question: MultipleChoiceQuestion) -> String {
        relation(question.relation)!.statement(entity: question.entity, value: question.choices[question.answer])
    }

    /// The fact a statement states, if it is one of the world's statements (surrounding spaces ignored).
    public func parse(_ statement: String) -> CommonsenseFact? {
        statements[statement.trimmingCharacters(in: .whitespacesAndNewlines)]
    }

    /// Whether a statement holds in this world, and whether it is about the asked entity and relation.
    public func judge(_ statement: String, for question: MultipleChoiceQuestion) -> (isTrue: Bool, isRelevant: Bool) {
        guard let fact = parse(statement) else { return (false, false) }
        let isTrue = value(entity: fact.entity, relation: fact.relation) == fact.value
        return (isTrue, fact.entity == question.entity && fact.relation == question.relation)
    }

    /// Every text of the world (statements and questions of every family), for training a tokenizer.
    public var corpus: [String] {
        var texts = Array(statements.keys).sorted()
        for family in families {
            for entity in entities where relation(family.relation)?.category == entity.category {
                texts.append(family.stem(entity: entity.name))
            }
        }
        for relation in relations { texts.append(relation.values.joined(separator: " ")) }
        return texts
    }

    /// The pretraining corpus of the introspector's base model: for every entity, training and test, `repeats`
    /// short articles that name it and then state each of its facts — of every relation, asked or not — in a
    /// fresh order ("the fox. the fox can swim. the fox lives in the forest."), shuffled and joined
    /// `articlesPerDocument` to a document. It holds no question:
    /// the base model learns what holds in the world, and that statements following a name are about that name,
    /// not how to answer a question.
    public func pretrainingDocuments<G: RandomNumberGenerator>(repeats: Int, articlesPerDocument: Int = 3,
                                                               using generator: inout G) -> [String] {
        var byEntity: [String: [String]] = [:]
        for fact in facts { byEntity[fact.entity, default: []].append(relation(fact.relation)!.statement(entity: fact.entity, value: fact.value)) }
        var articles: [String] = []
        for _ in 0..<max(repeats, 1) {
            for entity in entities {
                var statements = byEntity[entity.name] ?? []
                statements.shuffle(using: &generator)
                articles.append((["the \(entity.name)."] + statements).joined(separator: " "))
            }
        }
        articles.shuffle(using: &generator)
        // A few articles per document, so that a statement's subject is the most recently named entity, wherever
        // it stands, and not the document's first words.
        let size = max(articlesPerDocument, 1)
        return stride(from: 0, to: articles.count, by: size).map { articles[$0..<min($0 + size, articles.count)].joined(separator: " ") }
    }
}
