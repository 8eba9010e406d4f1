// Tests of the seeded bootstrap, quantiles, the SplitMix64 generator and the Markdown result table.
import XCTest
import Evaluation

final class BootstrapAndTableTests: XCTestCase {
    func testQuantileInterpolatesLinearly() throws {
        XCTAssertEqual(try quantile(sortedValues: [1, 2, 3, 4], 0.5), 2.5)
        XCTAssertEqual(try quantile(sortedValues: [1, 2, 3, 4], 0.25), 1.75)
        XCTAssertEqual(try quantile(sortedValues: [1, 2, 3, 4], 1), 4)
        XCTAssertEqual(try quantile(sortedValues: [7], 0.3), 7)
        XCTAssertThrowsError(try quantile(sortedValues: [1], 1.5))
    }

    func testSplitMix64KnownValues() {
        // Reference outputs of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        var g = SplitMix64(seed: 0)
        XCTAssertEqual(g.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(g.next(), 0x6E78_9E6A_A1B9_65F4)
    }

    func testBootstrapIsSeededAndBracketsTheEstimate() throws {
        let values = (0..<200).map { Double($0 % 2) }   // mean 0.5, sd 0.5 → s.e. ≈ 0.035
        var g1 = SplitMix64(seed: 7), g2 = SplitMix64(seed: 7)
        let a = try bootstrapConfidenceInterval(values: values, resamples: 2000, using: &g1)
        let b = try bootstrapConfidenceInterval(values: values, resamples: 2000, using: &g2)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.estimate, 0.5)
        XCTAssertLessThan(a.lower, 0.5)
        XCTAssertGreaterThan(a.upper, 0.5)
        // Normal approximation: ±1.96 × 0.0354 ≈ ±0.069.
        XCTAssertEqual(a.upper - a.lower, 2 * 1.96 * 0.5 / sqrt(200), accuracy: 0.02)
        var g3 = SplitMix64(seed: 1)
        let constant = try bootstrapConfidenceInterval(values: [0.3, 0.3, 0.3], resamples: 50, using: &g3)
        XCTAssertEqual(constant, ConfidenceInterval(estimate: 0.3, lower: 0.3, upper: 0.3, confidence: 0.95))
    }

    func testBootstrapOverPairedItems() throws {
        let chosen = [2.0, 1, 3, 0], rejected = [1.0, 2, 0, -1]
        var g = SplitMix64(seed: 3)
        let ci = try bootstrapConfidenceInterval(itemCount: 4, resamples: 500, using: &g) { indices in
            Double(indices.filter { chosen[$0] > rejected[$0] }.count) / Double(indices.count)
        }
        XCTAssertEqual(ci.estimate, 0.75)
        XCTAssertLessThanOrEqual(ci.lower, 0.75)
        XCTAssertGreaterThanOrEqual(ci.upper, 0.75)
        XCTAssertThrowsError(try bootstrapConfidenceInterval(values: [], using: &g)) {
            XCTAssertEqual($0 as? EvaluationError, .emptyInput(metric: "bootstrapConfidenceInterval"))
        }
        XCTAssertThrowsError(try bootstrapConfidenceInterval(values: [1], confidence: 1, using: &g))
    }

    func testPairedDifferenceExcludesZeroWhereIndependentIntervalsOverlap() throws {
        // Two systems on 200 items with a large shared per-item effect; b is a + 0.05 on every item but noise.
        var noise = SplitMix64(seed: 9)
        let a = (0..<200).map { _ in Double(noise.next() % 1000) / 1000 }
        let b = a.enumerated().map { $1 + 0.05 + (Double($0 % 5) - 2) * 0.01 }
        var g = SplitMix64(seed: 4)
        let paired = try pairedDifferenceInterval(b, a, resamples: 1000, using: &g)
        XCTAssertEqual(paired.estimate, 0.05, accuracy: 1e-12)
        XCTAssertGreaterThan(paired.lower, 0.04)
        let ia = try bootstrapConfidenceInterval(values: a, resamples: 1000, using: &g)
        let ib = try bootstrapConfidenceInterval(values: b, resamples: 1000, using: &g)
        XCTAssertLessThan(ib.lower, ia.upper, "the independent intervals overlap")
        XCTAssertThrowsError(try pairedDifferenceInterval([1, 2], [1], using: &g)) { XCTAssertTrue("\($0)".contains("same order"), "\($0)") }
    }

    /// Ten clusters of ten identical items: the cluster bootstrap's interval is as wide as ten independent values
    /// give, where treating the hundred items as independent gives a far narrower one; strata are resampled apart.
    func testClusterBootstrapResamplesWholeClustersWithinStrata() throws {
        var noise = SplitMix64(seed: 5)
        let clusterValues = (0..<10).map { _ in Double(noise.next() % 1000) / 1000 }
        let items = clusterValues.flatMap { Array(repeating: $0, count: 10) }
        var g = SplitMix64(seed: 1)
        let clustered = try clusterBootstrapInterval(clusterCounts: [10], resamples: 2000, using: &g) { picks in
            picks[0].reduce(0) { $0 + clusterValues[$1] } / Double(picks[0].count)
        }
        let flat = try bootstrapConfidenceInterval(values: items, resamples: 2000, using: &g)
        let perCluster = try bootstrapConfidenceInterval(values: clusterValues, resamples: 2000, using: &g)
        XCTAssertEqual(clustered.estimate, flat.estimate, accuracy: 1e-12)
        XCTAssertGreaterThan(clustered.upper - clustered.lower, 2 * (flat.upper - flat.lower))
        XCTAssertEqual(clustered.upper - clustered.lower, perCluster.upper - perCluster.lower, accuracy: 0.05)
        // Two strata: each resample keeps each stratum's own clusters (a stratum of one never varies).
        let strata = try clusterBootstrapInterval(clusterCounts: [1, 3], resamples: 200, using: &g) { picks in
            XCTAssertEqual(picks[0], [0])
            XCTAssertEqual(picks[1].count, 3)
            XCTAssertTrue(picks[1].allSatisfy { (0..<3).contains($0) })
            return Double(picks[1].reduce(0, +))
        }
        XCTAssertEqual(strata.estimate, 3)
        XCTAssertThrowsError(try clusterBootstrapInterval(clusterCounts: [2, 0], using: &g) { _ in 0 }) {
            XCTAssertEqual($0 as? EvaluationError, .emptyInput(metric: "clusterBootstrapInterval"))
        }
    }

    func testSeedMeanIntervalIsTheStudentTInterval() throws {
        let ci = try seedMeanInterval([0.50, 0.56, 0.53])
        XCTAssertEqual(ci.estimate, 0.53, accuracy: 1e-12)
        // s = 0.03, t(2) = 4.303: ± 4.303 · 0.03 / √3.
        XCTAssertEqual(ci.upper - ci.estimate, 4.303 * 0.03 / 3.0.squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(try seedMeanInterval([0.4]), ConfidenceInterval(estimate: 0.4, lower: 0.4, upper: 0.4))
        // Past the table the expansion meets the normal quantile's neighbourhood (t(40) = 2.021, t(120) = 1.980).
        let values = (0..<41).map { Double($0 % 2) }
        let mean = values.reduce(0, +) / 41
        let s = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 40).squareRoot()
        let forty = try seedMeanInterval(values)
        XCTAssertEqual((forty.upper - forty.estimate) / (s / 41.0.squareRoot()), 2.021, accuracy: 0.005)
        XCTAssertThrowsError(try seedMeanInterval([]))
    }

    func testMarkdownTable() throws {
        var table = ResultTable(columns: ["policy", "gold", "win-rate"])
        try table.addRow(["base", .number(0.25), .missing])
        try table.addRow(["SFT | best", .meanAndDeviation(0.612, 0.031, decimals: 2),
                          .interval(ConfidenceInterval(estimate: 0.5, lower: 0.43, upper: 0.57))])
        XCTAssertEqual(table.markdown(), """
        | policy      |        gold |             win-rate |
        | :---------- | ----------: | -------------------: |
        | base        |       0.250 |                    — |
        | SFT \\| best | 0.61 ± 0.03 | 0.500 [0.430, 0.570] |

        """)
        XCTAssertThrowsError(try table.addRow(["x"])) {
            XCTAssertEqual($0 as? EvaluationError, .lengthMismatch(metric: "ResultTable.addRow", expected: 3, found: 1))
        }
        XCTAssertEqual(ResultCell.number(-0.0001, decimals: 2).rendered, "0.00")
    }
}
