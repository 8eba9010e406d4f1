import XCTest
import TensorCore
import NeuralNetworks

final class LayerTests: XCTestCase {
    func testLinearNamesAndCount() {
        var rng = SeededGenerator(seed: 1)
        let layer = Linear(inFeatures: 3, outFeatures: 2, using: &rng)
        XCTAssertEqual(layer.namedParameters().map(\.0), ["weight", "bias"])
        XCTAssertEqual(layer.parameterCount, 8)
    }
}
