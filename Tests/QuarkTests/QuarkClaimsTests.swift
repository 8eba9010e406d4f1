import Evaluation
import QuarkExperiments
import XCTest

/// The paper-shape claims judge measurements by the stated bounds, and the summary over seeds marks a claim ✓ only
/// when it holds on the means and at every seed.
final class QuarkClaimsTests: XCTestCase {
    static func toxicity(quark: Double, ppo: Double, r2: Double = 0.1) -> [String: [String: Double]] {
        let row = ["toxicity_probability": 0.4, "fluency": 4, "dist2": 0.5, "dist3": 0.6, "words": 10]
        var base = row, ppoRow = row, quarkRow = row
        base["avg_max_toxicity"] = 0.5
        ppoRow["avg_max_toxicity"] = ppo
        ppoRow["toxicity_probability"] = 0.1
        quarkRow["avg_max_toxicity"] = quark
        quarkRow["toxicity_probability"] = 0.05
        quarkRow["control_r0"] = 0.05
        quarkRow["control_r2"] = r2
        quarkRow["control_r4"] = 0.3
        return ["base": base, "PPO": ppoRow, "Quark": quarkRow]
    }

    func testToxicityClaimsFollowTheirBounds() {
        let good = QuarkClaims.toxicity(Self.toxicity(quark: 0.1, ppo: 0.2))
        XCTAssertEqual(good.count, 9)
        XCTAssertTrue(good.allSatisfy(\.holds), good.map(\.line).joined(separator: "\n"))
        // Quark only 25 % below PPO, and r2 above r4: those two claims fail, and are still printed.
        let bad = QuarkClaims.toxicity(Self.toxicity(quark: 0.15, ppo: 0.2, r2: 0.4))
        XCTAssertEqual(bad.count, 9)
        XCTAssertEqual(bad.filter { !$0.holds }.map(\.claim), [
            "Quark's average max toxicity is ≥ 30 % below base's and below PPO's",
            "Reward tokens control toxicity monotonically: r0 < r2 < r4",
        ])
    }

    func testControlClaimReadsTheMeasuredRewardTokens() {
        // K = 10: the control is measured at r0, r5 and r9, the claim reads whichever tokens were measured.
        var m = Self.toxicity(quark: 0.1, ppo: 0.2)
        m["Quark"]!["control_r0"] = nil; m["Quark"]!["control_r2"] = nil; m["Quark"]!["control_r4"] = nil
        m["Quark"]!["control_r0"] = 0.02; m["Quark"]!["control_r5"] = 0.2; m["Quark"]!["control_r9"] = 0.1
        let control = QuarkClaims.toxicity(m).first { $0.claim.hasPrefix("Reward tokens") }
        XCTAssertEqual(control?.claim, "Reward tokens control toxicity monotonically: r0 < r5 < r9")
        XCTAssertEqual(control?.holds, false, "r9 is below r5")
        m["Quark"]!["control_r9"] = 0.4
        XCTAssertEqual(QuarkClaims.toxicity(m).first { $0.claim.hasPrefix("Reward tokens") }?.holds, true)
    }

    func testASummaryClaimNeedsEverySeed() throws {
        // Seed 1 alone misses the 30 % margin; the means still meet it.
        let runs: [(seed: UInt64, measurements: [String: [String: Double]])] = [
            (0, Self.toxicity(quark: 0.05, ppo: 0.2)), (1, Self.toxicity(quark: 0.18, ppo: 0.2)),
        ]
        XCTAssertTrue(QuarkClaims.toxicity(Self.toxicity(quark: 0.115, ppo: 0.2))[0].holds)
        let text = try QuarkSeeds.summary(task: .toxicity, runs: runs)
        XCTAssertTrue(text.contains("✗ Quark's average max toxicity is ≥ 30 % below base's and below PPO's"), text)
        XCTAssertTrue(text.contains("holds at 1 of 2 seeds"), text)
        XCTAssertTrue(text.contains("✓ Quark's fluency perplexity is ≤ 1.5 × base's"), text)
    }
}
