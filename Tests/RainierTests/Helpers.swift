// Fixtures of the Rainier tests: a scripted question-answering model over the commonsense world (see the
// CommonsenseWorld and Rainier articles).
import CommonsenseWorld
import Foundation
import Rainier
import TrainingData

/// A fixed scorer that stands in for Rainier's UnifiedQA model: without knowledge, known facts score 1 for the answer
/// and 0 elsewhere, unknown ones get seeded noise in [0, 1); a statement of the asked relation adds 2 to the choice
/// it states and subtracts 0.5 from the others. Scores play the role of mean per-token log-likelihoods.
final class ScriptedQuestionAnswering: QuestionAnsweringModel {
    let world: CommonsenseWorld
    private(set) var calls = 0

    init(world: CommonsenseWorld) { self.world = world }

    func choiceScores(_ questions: [MultipleChoiceQuestion], knowledge: [String?]) throws -> [[Float]] {
        calls += 1
        return zip(questions, knowledge).map { q, k in
            var scores = q.choices.enumerated().map { i, c -> Float in
                if world.isKnown(q) { return i == q.answer ? 1 : 0 }
                return Float(UInt(bitPattern: stableHash(q.entity + "|" + q.relation + "|" + c)) % 1000) / 1000
            }
            if let k, let fact = world.parse(k), fact.entity == q.entity, fact.relation == q.relation {
                for (i, c) in q.choices.enumerated() { scores[i] += c == fact.value ? 2 : -0.5 }
            }
            return scores
        }
    }
}

/// FNV-1a, stable across runs (Swift's Hasher is seeded per process).
func stableHash(_ s: String) -> Int {
    var h: UInt64 = 0xcbf29ce484222325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
    return Int(truncatingIfNeeded: h >> 1)
}
