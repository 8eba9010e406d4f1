// Every command's configuration: the `--help` documentation names exactly the JSON keys, the defaults validate and
// survive a JSON round trip, and a bad choice on the command line or in a file names the field, the value and the
// allowed spellings.
import CriticFreeRL
import DirectPreference
import Foundation
import PPO
import QuarkExperiments
import Rainier
import RainierExperiments
import rlft
import Runs
import XCTest

final class ConfigurationTests: XCTestCase {
    /// The checks of one configuration type; failures name the type.
    func check<Configuration: DocumentedConfiguration>(_ type: Configuration.Type) throws {
        let name = String(describing: type)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(Configuration())
        let encoded = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any], name)
        let documented = Configuration.fieldDocumentation.map(\.name)
        XCTAssertEqual(Set(documented).count, documented.count, "\(name) documents a field twice")
        XCTAssertEqual(Set(documented).subtracting(encoded.keys).sorted(), [], "\(name) documents fields it does not encode")
        XCTAssertEqual(Set(encoded.keys).subtracting(documented).sorted(), [], "\(name) encodes fields --help does not document")
        XCTAssertNoThrow(try Configuration().validate(), "\(name)'s defaults do not validate")
        // The defaults decode from their own JSON and encode to the same JSON.
        let decoded = try JSONDecoder().decode(Configuration.self, from: data)
        XCTAssertEqual(String(decoding: try encoder.encode(decoded), as: UTF8.self), String(decoding: data, as: UTF8.self), name)
        XCTAssertNoThrow(try decoded.validate(), name)
    }

    func testEveryConfigurationDocumentsExactlyItsKeysAndItsDefaultsValidate() throws {
        XCTAssertEqual(documentedConfigurations.count, Set(documentedConfigurations.map { ObjectIdentifier($0) }).count)
        for configuration in documentedConfigurations {
            try check(configuration)
        }
    }

    /// The message of loading `options` as a `Configuration`, or "valid".
    func message<Configuration: DocumentedConfiguration>(_ type: Configuration.Type, _ options: [String]) -> String {
        do {
            _ = try Configuration.load(arguments: try CommandLineArguments(["command"] + options))
            return "valid"
        } catch {
            return "\(error)"
        }
    }

    func testABadChoiceNamesTheFieldTheValueAndTheAllowedSpellings() throws {
        XCTAssertEqual(message(PPOConfig.self, ["--learning-rate-decay", "step"]),
                       "`learningRateDecay` is step, but it must be one of constant, linear, cosine")
        XCTAssertEqual(message(DirectPreferenceConfig.self, ["--loss", "softmax"]),
                       "`loss` is softmax, but it must be one of sigmoid, hinge, robust, ipo")
        XCTAssertEqual(message(GRPOConfig.self, ["--scale-rewards", "std"]),
                       "`scaleRewards` is std, but it must be one of group, batch, none")
        XCTAssertEqual(message(GRPOConfig.self, ["--loss-aggregation", "sum"]),
                       "`lossAggregation` is sum, but it must be one of grpo, bnpo, dr_grpo, dapo")
        XCTAssertEqual(message(QuarkExperimentConfig.self, ["--avoid", "neutral"]),
                       "`avoid` is neutral, but it must be one of negative, positive")
        XCTAssertEqual(message(RainierExperimentConfig.self, ["--aggregation", "vote"]),
                       "`aggregation` is vote, but it must be one of max, mean, product, majority")
        // The same in a configuration file.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("grpo-\(UUID().uuidString).json")
        addTeardownBlock { try? FileManager.default.removeItem(at: file) }
        try Data(#"{"lossAggregation": "token_mean"}"#.utf8).write(to: file)
        XCTAssertEqual(message(GRPOConfig.self, ["--config", file.path]),
                       "`lossAggregation` is token_mean, but it must be one of grpo, bnpo, dr_grpo, dapo")
    }

    func testChoicesAndSharedFieldsKeepTheirSpellings() throws {
        let grpo = try GRPOConfig.load(arguments: try CommandLineArguments(
            ["grpo", "--loss-aggregation", "dr_grpo", "--scale-rewards", "none", "--learning-rate", "0.001", "--iterations", "7"]))
        XCTAssertEqual(grpo.lossAggregation, .drGRPO)
        XCTAssertEqual(grpo.scaleRewards, GRPORewardScaling.none)
        XCTAssertEqual(grpo.learningRate, 0.001)
        XCTAssertEqual(grpo.shared.iterations, 7)
        let rloo = try RLOOConfig.load(arguments: try CommandLineArguments(["rloo", "--clip-range-high", "0.28", "--generations", "6"]))
        XCTAssertEqual(rloo.clipRangeHigh, 0.28)
        XCTAssertEqual(rloo.generations, 6)
        XCTAssertEqual(try PPOConfig.load(arguments: try CommandLineArguments(["ppo", "--learning-rate-decay", "cosine"])).learningRateDecay, .cosine)
        XCTAssertEqual(try DirectPreferenceConfig.load(arguments: try CommandLineArguments(["dpo", "--loss", "ipo"])).loss, .ipo)
        XCTAssertEqual(try QuarkExperimentConfig.load(arguments: try CommandLineArguments(["quark", "--avoid", "positive"])).avoid, .positive)
        XCTAssertEqual(try RainierExperimentConfig.load(arguments: try CommandLineArguments(["rainier", "--aggregation", "majority"])).aggregation,
                       .majority)
        // --help shows the spellings, not Swift case names.
        let help = GRPOConfig.helpText(command: "grpo", summary: "")
        XCTAssertTrue(help.contains("--loss-aggregation (default \"dapo\")"), help)
        XCTAssertTrue(help.contains("grpo, bnpo, dr_grpo, dapo"), help)
    }
}
