import XCTest
import TensorCore

final class SmokeTests: XCTestCase {
    func testMatmulAndBackward() throws {
        let a = Variable(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]), requiresGrad: true)
        let b = Variable(Tensor(shape: [3, 2], scalars: [1, 0, 0, 1, 1, 1]), requiresGrad: true)
        let c = a.matmul(b)
        XCTAssertEqual(c.value.scalars, [4, 5, 10, 11])
        try c.sum().backward()
        XCTAssertEqual(a.grad!.scalars, [1, 1, 2, 1, 1, 2])
        XCTAssertEqual(b.grad!.scalars, [5, 5, 7, 7, 9, 9])
    }
}
