import XCTest
import Foundation
import TensorCore

/// The vectorised exp and GELU agree with Foundation's scalar functions.
final class FastMathTests: XCTestCase {
    func testExpRelativeError() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            var v = FastMath.Vector(repeating: 0)
            for j in 0..<8 { v[j] = x + Float(j) * 0.0137 }
            let e = FastMath.exp(v)
            for j in 0..<8 {
                let exact = Foundation.exp(Double(v[j]))
                worst = max(worst, Float(abs(Double(e[j]) - exact) / exact))
            }
            x += 0.173
        }
        XCTAssertLessThan(worst, 5e-7)
    }

    func testExpEdgeCases() {
        var v = FastMath.Vector(repeating: 0)
        v[0] = -.infinity; v[1] = .infinity; v[2] = -88; v[3] = -100; v[4] = 100; v[5] = 0
        let e = FastMath.exp(v)
        XCTAssertEqual(e[0], 0)
        XCTAssertGreaterThan(e[1], 1e38)
        XCTAssertEqual(e[2], 0)
        XCTAssertEqual(e[3], 0)
        XCTAssertGreaterThan(e[4], 1e38)
        XCTAssertEqual(e[5], 1)
    }

    func testGeluMatchesScalarFormula() {
        let xs = (0..<100).map { Float($0) * 0.2 - 10 }
        let t = Tensor(shape: [100], scalars: xs).gelu()
        for (i, x) in xs.enumerated() {
            let exact = 0.5 * Double(x) * (1 + Foundation.tanh(0.7978845608028654 * (Double(x) + 0.044715 * Double(x * x * x))))
            XCTAssertEqual(Double(t.scalars[i]), exact, accuracy: 1e-5 + 1e-5 * abs(exact))
        }
    }
}
