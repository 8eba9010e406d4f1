// Learning-rate schedules at chosen steps, their validation, and global-norm gradient clipping.
import Foundation
import NeuralNetworks
import TensorCore
import XCTest

final class OptimizerUtilityTests: XCTestCase {
    // MARK: - Schedules

    func testConstantSchedule() {
        let schedule = LearningRateSchedule.constant(learningRate: 3e-4)
        XCTAssertEqual([0, 1, 1000].map { schedule($0) }, [3e-4, 3e-4, 3e-4])
    }

    func testWarmupThenLinearDecay() {
        // Warm-up over 4 steps to 1.0, then linear decay over 10 steps to a floor of 0.1.
        let schedule = LearningRateSchedule.warmupLinear(peak: 1, warmupSteps: 4, totalSteps: 14, minimumRatio: 0.1)
        let steps = [-3, 0, 1, 3, 4, 9, 13, 14, 100]
        let expected: [Float] = [0.25, 0.25, 0.5, 1, 1, 0.55, 0.19, 0.1, 0.1]
        for (step, want) in zip(steps, expected) {
            XCTAssertEqual(schedule(step), want, accuracy: 1e-6, "step \(step)")
        }
    }

    func testWarmupThenCosineDecay() {
        let schedule = LearningRateSchedule.warmupCosine(peak: 6e-4, warmupSteps: 10, totalSteps: 110, minimumRatio: 0.1)
        XCTAssertEqual(schedule(0), 6e-5, accuracy: 1e-10)
        XCTAssertEqual(schedule(9), 6e-4, accuracy: 1e-10)
        XCTAssertEqual(schedule(10), 6e-4, accuracy: 1e-10)
        // Halfway through the decay the cosine term is 1/2: 6e-4 · (0.1 + 0.9 · 0.5).
        XCTAssertEqual(schedule(60), 3.3e-4, accuracy: 1e-10)
        // A quarter of the way: (1 + cos(π/4)) / 2.
        let quarter: Double = (1 + (0.5 as Double).squareRoot()) / 2
        XCTAssertEqual(schedule(35), Float(6e-4 * (0.1 + 0.9 * quarter)), accuracy: 1e-10)
        XCTAssertEqual(schedule(110), 6e-5, accuracy: 1e-10)
        XCTAssertEqual(schedule(5000), 6e-5, accuracy: 1e-10)
    }

    func testScheduleWithoutWarmupOrDecayRange() {
        let noWarmup = LearningRateSchedule.warmupLinear(peak: 2, warmupSteps: 0, totalSteps: 4, minimumRatio: 0)
        XCTAssertEqual([0, 1, 2, 4].map { noWarmup($0) }, [2, 1.5, 1, 0])
        let warmupOnly = LearningRateSchedule.warmupCosine(peak: 1, warmupSteps: 2, totalSteps: 2, minimumRatio: 0.5)
        XCTAssertEqual([0, 1, 2, 3].map { warmupOnly($0) }, [0.5, 1, 0.5, 0.5])
    }

    func testScheduleIsCodable() throws {
        let schedule = LearningRateSchedule.warmupCosine(peak: 1e-3, warmupSteps: 5, totalSteps: 50, minimumRatio: 0.1)
        let decoded = try JSONDecoder().decode(LearningRateSchedule.self, from: JSONEncoder().encode(schedule))
        XCTAssertEqual(decoded, schedule)
    }

    func testScheduleValidation() throws {
        try LearningRateSchedule.warmupLinear(peak: 1, warmupSteps: 0, totalSteps: 0, minimumRatio: 1).validate()
        let cases: [(LearningRateSchedule, OptimizerError)] = [
            (.constant(learningRate: -1), .invalidHyperparameter(field: "learningRate", value: -1, allowed: "finite and ≥ 0 (e.g. 3e-4)")),
            (.warmupCosine(peak: 1, warmupSteps: -2, totalSteps: 10, minimumRatio: 0),
             .invalidHyperparameter(field: "warmupSteps", value: -2, allowed: "≥ 0 (e.g. 100, or 0 for no warm-up)")),
            (.warmupCosine(peak: 1, warmupSteps: 20, totalSteps: 10, minimumRatio: 0),
             .invalidHyperparameter(field: "totalSteps", value: 10, allowed: "≥ warmupSteps (20); set it to the planned number of updates")),
            (.warmupLinear(peak: 1, warmupSteps: 0, totalSteps: 10, minimumRatio: 1.5),
             .invalidHyperparameter(field: "minimumRatio", value: 1.5, allowed: "in [0, 1] (e.g. 0.1)")),
        ]
        for (schedule, expected) in cases {
            XCTAssertThrowsError(try schedule.validate()) { XCTAssertEqual($0 as? OptimizerError, expected) }
        }
        XCTAssertEqual(cases[2].1.description,
                       "`totalSteps` is 10, but it must be ≥ warmupSteps (20); set it to the planned number of updates")
    }

    // MARK: - Gradient clipping

    func testClippingReturnsPreClipNormAndScales() {
        let a = Variable(Tensor(zeros: [2]), requiresGrad: true)
        let b = Variable(Tensor(zeros: [1]), requiresGrad: true)
        let c = Variable(Tensor(zeros: [3]), requiresGrad: true)  // no gradient: ignored
        a.grad = Tensor(shape: [2], scalars: [3, 0])
        b.grad = Tensor(shape: [1], scalars: [-4])
        let norm = clipGradientNorm([a, b, c], maxNorm: 1)
        XCTAssertEqual(norm, 5)
        let scale = Float(1 / (5 + 1e-6))
        XCTAssertEqual(a.grad!.scalars, [3 * scale, 0])
        XCTAssertEqual(b.grad!.scalars, [-4 * scale])
        XCTAssertNil(c.grad)
        let after = (a.grad!.scalars + b.grad!.scalars).map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
        XCTAssertEqual(after, 1, accuracy: 1e-6)
    }

    func testClippingLeavesSmallGradientsAlone() {
        let a = Variable(Tensor(zeros: [2]), requiresGrad: true)
        a.grad = Tensor(shape: [2], scalars: [0.3, 0.4])
        XCTAssertEqual(clipGradientNorm([a], maxNorm: 1), 0.5, accuracy: 1e-7)
        XCTAssertEqual(a.grad!.scalars, [0.3, 0.4])
    }

    func testClippingReturnsNonFiniteNormWithoutScaling() {
        let a = Variable(Tensor(zeros: [2]), requiresGrad: true)
        a.grad = Tensor(shape: [2], scalars: [.nan, 1])
        XCTAssertTrue(clipGradientNorm([a], maxNorm: 1).isNaN)
        XCTAssertEqual(a.grad!.scalars[1], 1)
        a.grad = Tensor(shape: [2], scalars: [.infinity, 1])
        XCTAssertEqual(clipGradientNorm([a], maxNorm: 1), .infinity)
        XCTAssertEqual(a.grad!.scalars[1], 1)
    }

    func testClippingNormIsAccumulatedInDouble() {
        // 2^24 + 1 ones: a Float running sum stalls at 2^24, Double does not.
        let count = (1 << 24) + 1
        let a = Variable(Tensor(zeros: [count]), requiresGrad: true)
        a.grad = Tensor(shape: [count], repeating: 1)
        XCTAssertEqual(clipGradientNorm([a], maxNorm: 1e9), Float(Double(count).squareRoot()))
    }

    func testClippingHandlesHugeComponentsWithoutOverflow() {
        let a = Variable(Tensor(zeros: [2]), requiresGrad: true)
        a.grad = Tensor(shape: [2], scalars: [3e30, 4e30])  // squares overflow Float but not Double
        XCTAssertEqual(clipGradientNorm([a], maxNorm: 1), 5e30, accuracy: 1e24)
        XCTAssertEqual(a.grad!.scalars[0], 0.6, accuracy: 1e-6)
    }
}
