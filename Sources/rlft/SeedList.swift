// `--seeds 0,1,2` of the multi-seed commands (pipeline, rainier): distinct non-negative integers.
import Runs

enum SeedList {
    /// The seeds of a `--seeds` value, in the order given.
    ///
    /// - Throws: `ConfigurationError.badValue` for an empty list, a value that is not a non-negative integer, or a
    ///   repeated seed.
    static func parse(_ text: String) throws -> [UInt64] {
        let seeds = text.split(separator: ",").map { UInt64($0.trimmingCharacters(in: .whitespaces)) }
        guard !seeds.isEmpty, seeds.allSatisfy({ $0 != nil }), Set(seeds).count == seeds.count else {
            throw ConfigurationError.badValue(field: "seeds", value: text, expected: "distinct non-negative integers separated by commas, such as 0,1,2")
        }
        return seeds.map { $0! }
    }
}
