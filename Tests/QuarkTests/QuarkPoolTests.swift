import Foundation
import Quark
import TensorCore
import XCTest

final class QuarkPoolTests: XCTestCase {
    func testRequantizationOrdersQuantilesAndBalancesSizes() {
        var rng = SeededGenerator(seed: 7)
        var pool = QuarkDataPool(quantileCount: 5)
        // Three rounds of different sizes, with ties, so the remainder and re-quantization are both exercised.
        for round in [23, 40, 11] {
            let items = (0..<round).map { _ in
                QuarkPoolItem(promptTokens: [1], responseTokens: [2], reward: Float(Int(rng.nextUniformFloat() * 20)) / 20)
            }
            pool.add(items)
            let n = pool.count, q = n / 5
            let sizes = pool.quantileSizes
            XCTAssertEqual(sizes.reduce(0, +), n)
            for i in 0..<4 { XCTAssertEqual(sizes[i], q, "quantile \(i) of \(n) items") }
            XCTAssertEqual(sizes[4], q + n % 5, "the last quantile takes the remainder")
            XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, n % 5)
            for i in 0..<4 {
                let low = pool.items.filter { $0.quantile == i }.map(\.reward).min()!
                let high = pool.items.filter { $0.quantile == i + 1 }.map(\.reward).max()!
                XCTAssertGreaterThanOrEqual(low, high, "every reward in quantile \(i) ≥ every reward in quantile \(i + 1)")
            }
        }
        XCTAssertEqual(pool.count, 74)
    }

    func testNonFiniteRewardsAreDroppedAndSmallPoolsUseTheLastToken() {
        var pool = QuarkDataPool(quantileCount: 5)
        let dropped = pool.add([QuarkPoolItem(promptTokens: [1], responseTokens: [2], reward: .nan),
                                QuarkPoolItem(promptTokens: [1], responseTokens: [3], reward: 0.5),
                                QuarkPoolItem(promptTokens: [1], responseTokens: [4], reward: 0.7)])
        XCTAssertEqual(dropped, 1)
        XCTAssertEqual(pool.items.map(\.reward), [0.7, 0.5])
        XCTAssertEqual(pool.items.map(\.quantile), [4, 4], "fewer items than quantiles: all remainder (QK)")
    }
}
