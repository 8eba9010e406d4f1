// Rainier's comparison table: accuracies are unweighted family means averaged over seeds, differences are paired
// on the same entity resamples, and the claims read the differences.
import Foundation
import RainierExperiments
import XCTest

final class RainierComparisonTests: XCTestCase {
    /// Two seeds of 20 entities: Rainier answers every question QA alone answers plus one more entity in each
    /// four (on both families); stage I equals QA alone.
    func testPairedDifferencesAndClaimsReadTheItems() throws {
        var items: [RainierItem] = []
        for seed: UInt64 in [0, 1] {
            for e in 0..<20 {
                for (family, seen) in [("habitat", true), ("colour", false)] {
                    for variant in 0..<3 {
                        let alone = (e + variant + Int(seed)) % 2 == 0
                        let rainier = alone || e % 4 == 0
                        items.append(RainierItem(seed: seed, family: family, isSeen: seen, entity: "e\(e)", correct: [
                            "QA alone": alone, "QA + silver": false, "QA + stage I": alone, "QA + Rainier": rainier]))
                    }
                }
            }
        }
        let comparison = try RainierComparison(items: items, families: [("habitat", true), ("colour", false)], resamples: 500, seed: 3)
        let alone = comparison.accuracy["QA alone"]!["seen average"]!.estimate
        let rainier = comparison.accuracy["QA + Rainier"]!["seen average"]!.estimate
        let gain = comparison.differences["QA + Rainier − QA alone"]!["seen average"]!
        XCTAssertEqual(gain.estimate, rainier - alone, accuracy: 1e-12)
        XCTAssertGreaterThan(gain.lower, 0, "Rainier never loses a question, so every paired resample gains")
        let none = comparison.differences["QA + stage I − QA alone"]!["unseen average"]!
        XCTAssertEqual([none.estimate, none.lower, none.upper], [0, 0, 0])
        XCTAssertEqual(comparison.claims.map(\.holds), [true, true, true, true])
        XCTAssertTrue(comparison.claims[0].line.hasPrefix("✓ QA + Rainier beats QA alone on seen benchmarks"), comparison.claims[0].line)
        XCTAssertTrue(comparison.accuracyTable.contains("| unseen average |"))
        XCTAssertTrue(comparison.differenceTable.contains("QA + Rainier − QA + stage I"))
        XCTAssertThrowsError(try RainierComparison(items: [], families: [], resamples: 10, seed: 0))
    }
}
