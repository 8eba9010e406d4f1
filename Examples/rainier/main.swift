// Rainier in one run: a fixed QA model trained on the commonsense world, a knowledge introspector pretrained on
// the world's articles and trained by imitation of silver knowledge (stage I) and by PPO against the QA model
// (stage II) on some entities, and the comparison table on questions about the others.
//
//   swift run -c release rainier [runs/rainier-example]
import Foundation
import RLFineTuningExperiments

let out = URL(fileURLWithPath: CommandLine.arguments.dropFirst().first ?? "runs/rainier-example")
let config = RainierExperimentConfig()            // every default; see `rlft rainier --help`
let experiment = try RainierExperiment(config: config, output: out) { print($0) }
let result = try experiment.runAll()
print("\n" + result.accuracyTable)
print(result.differenceTable)
for claim in result.claims { print(claim.line) }
print("")
print(result.knowledgeTable)
print("report: \(out.appendingPathComponent("report.md").path)")
