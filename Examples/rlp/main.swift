// RLP (Lang, Huang and Li 2024, arXiv 2403.19279) in miniature: a reward model trained on labelled pairs of SFT
// samples, PPO against it, then the reward model retrained on the PPO policy's own samples — by multi-view learning
// (RLP-UML) or by synthetic preferences from answer clusters (RLP-SPG) — and PPO again from the SFT model.
// Prints the table (SFT, best-of-n, PPO, RLP-UML, RLP-SPG; mean ± std over five seeds) and writes report.md.
//
//   swift run -c release rlp [DIR]          (default DIR: runs/rlp-example)
import Foundation
import RLFineTuningExperiments

let out = URL(fileURLWithPath: CommandLine.arguments.dropFirst().first ?? "runs/rlp-example")
let start = Date()
do {
    let experiment = try RLPExperiment(config: RLPExperimentConfig(), output: out) { line in
        print(String(format: "[%6.1fs] ", Date().timeIntervalSince(start)) + line)
    }
    let result = try experiment.runAll()
    print("")
    print(result.table)
    print("Paired differences from PPO (95 % bootstrap, prompts resampled within each seed):")
    print(result.differenceTable)
    print("Paper shape (RLP, arXiv 2403.19279):")
    for claim in result.claims { print("  " + claim.line) }
    print(String(format: "Total %.1f s. Report: %@", Date().timeIntervalSince(start), out.appendingPathComponent("report.md").path))
} catch {
    FileHandle.standardError.write(Data("rlp: \(error)\n".utf8))
    exit(1)
}
