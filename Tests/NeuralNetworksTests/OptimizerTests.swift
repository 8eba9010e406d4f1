// Optimizers against PyTorch reference values, state export/import, hyperparameter errors, and convergence.
import Foundation
import NeuralNetworks
import TensorCore
import XCTest

/// The committed `Fixtures/optimizer_reference.json` (see `Fixtures/README.md`).
struct OptimizerReference: Decodable {
    struct Parameter: Decodable { var name: String; var shape: [Int]; var initial: [Double] }
    struct Run: Decodable {
        var name: String
        var optimizer: String
        var lr: Float
        var betas: [Float]?
        var eps: Float?
        var momentum: Float?
        var dampening: Float?
        var nesterov: Bool?
        var weight_decay: Float
        var decay: [String]
        var steps: [[String: [Double]]]
    }
    var parameters: [Parameter]
    var gradients: [[String: [Double]?]]
    var runs: [Run]

    static func load() throws -> OptimizerReference {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/optimizer_reference.json")
        return try JSONDecoder().decode(OptimizerReference.self, from: Data(contentsOf: url))
    }

    func makeParameters() -> [(String, Variable)] {
        parameters.map { p in
            (p.name, Variable(Tensor(shape: p.shape, scalars: p.initial.map(Float.init)), requiresGrad: true, name: p.name))
        }
    }

    func makeOptimizer(_ run: Run, _ parameters: [(String, Variable)]) throws -> Optimizer {
        let decayed = Set(run.decay)
        let filter = WeightDecayFilter.custom { name, _ in decayed.contains(name) }
        switch run.optimizer {
        case "AdamW":
            return try AdamW(parameters: parameters, learningRate: run.lr, betas: (run.betas![0], run.betas![1]),
                             epsilon: run.eps!, weightDecay: run.weight_decay, weightDecayFilter: filter)
        case "Adam":
            return try Adam(parameters: parameters, learningRate: run.lr, betas: (run.betas![0], run.betas![1]),
                            epsilon: run.eps!, weightDecay: run.weight_decay, weightDecayFilter: filter)
        default:
            return try SGD(parameters: parameters, learningRate: run.lr, momentum: run.momentum!, dampening: run.dampening!,
                           nesterov: run.nesterov!, weightDecay: run.weight_decay, weightDecayFilter: filter)
        }
    }

    /// Sets each parameter's gradient for `step` (nil where the reference has none).
    func applyGradients(step: Int, to parameters: [(String, Variable)]) {
        for (name, parameter) in parameters {
            parameter.grad = gradients[step][name]!.map { Tensor(shape: parameter.shape, scalars: $0.map(Float.init)) }
        }
    }
}

final class OptimizerTests: XCTestCase {
    // MARK: - PyTorch reference

    /// Replays the reference gradients and checks every parameter after every step.
    func assertMatchesReference(_ runName: String, relativeTolerance: Double = 1e-6,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try OptimizerReference.load()
        let run = try XCTUnwrap(reference.runs.first { $0.name == runName }, file: file, line: line)
        let parameters = reference.makeParameters()
        let optimizer = try reference.makeOptimizer(run, parameters)
        XCTAssertEqual(run.steps.count, 5)
        var worst = 0.0
        for (step, expected) in run.steps.enumerated() {
            reference.applyGradients(step: step, to: parameters)
            optimizer.step()
            for (name, parameter) in parameters {
                for (actual, want) in zip(parameter.value.scalars, expected[name]!) {
                    let error = abs(Double(actual) - want) / abs(want)
                    worst = max(worst, error)
                    XCTAssertLessThanOrEqual(error, relativeTolerance, "\(runName) step \(step + 1) \(name): \(actual) vs \(want)",
                                             file: file, line: line)
                }
            }
        }
        XCTAssertEqual(optimizer.stepCount, 5)
        print("\(runName): worst relative error \(worst)")
    }

    func testAdamWMatchesPyTorch() throws { try assertMatchesReference("adamw") }
    func testAdamWDecayingEverythingMatchesPyTorch() throws { try assertMatchesReference("adamw_decay_all") }
    func testAdamMatchesPyTorch() throws { try assertMatchesReference("adam") }
    func testSGDMomentumWithDampeningMatchesPyTorch() throws { try assertMatchesReference("sgd_momentum") }
    func testSGDNesterovMatchesPyTorch() throws { try assertMatchesReference("sgd_nesterov") }

    // MARK: - Weight decay selection and skipping

    func testDefaultWeightDecayAppliesToMatricesOnly() throws {
        var rng = SeededGenerator(seed: 0)
        let linear = Linear(inFeatures: 3, outFeatures: 2, using: &rng)
        let norm = LayerNorm(dimension: 2)
        let parameters = prefixed("linear", linear) + prefixed("norm", norm)
        let adamW = try AdamW(parameters: parameters, weightDecay: 0.1)
        XCTAssertEqual(parameters.map { adamW.isDecayed($0.0) }, [true, false, false, false])
        let everything = try AdamW(parameters: parameters, weightDecay: 0.1, weightDecayFilter: .all)
        XCTAssertEqual(parameters.map { everything.isDecayed($0.0) }, [true, true, true, true])
        let custom = try AdamW(parameters: parameters, weightDecayFilter: .custom { name, _ in name.hasPrefix("norm.") })
        XCTAssertEqual(parameters.map { custom.isDecayed($0.0) }, [false, false, true, true])
    }

    func testParametersWithoutGradientsAreSkipped() throws {
        let a = Variable(Tensor(shape: [2], scalars: [1, 2]), requiresGrad: true)
        let b = Variable(Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), requiresGrad: true)
        let optimizer = try AdamW(parameters: [("a", a), ("b", b)], learningRate: 0.1, weightDecay: 0.5)
        a.grad = Tensor(shape: [2], scalars: [1, -1])
        optimizer.step()
        XCTAssertEqual(b.value.scalars, [1, 2, 3, 4], "no gradient means no update, not even weight decay")
        XCTAssertEqual(Set(optimizer.exportState().tensors.keys), ["firstMoment/a", "secondMoment/a"])
        XCTAssertEqual(a.value.scalars.map { ($0 * 1000).rounded() / 1000 }, [0.9, 2.1])
        optimizer.zeroGradients()
        XCTAssertNil(a.grad)
    }

    // MARK: - State export and import

    /// Runs `first` steps, exports the state into a fresh model and optimizer, then checks that both continue
    /// bit for bit identically.
    func assertIdenticalContinuation(
        _ make: ([(String, Variable)]) throws -> Optimizer, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let reference = try OptimizerReference.load()
        let original = reference.makeParameters()
        let optimizer = try make(original)
        for step in 0..<3 {
            reference.applyGradients(step: step, to: original)
            optimizer.step()
        }
        optimizer.learningRate *= 0.5
        let state = optimizer.exportState()

        let copies = reference.makeParameters()
        for ((_, copy), (_, source)) in zip(copies, original) { copy.value = source.value }
        let resumed = try make(copies)
        try resumed.importState(state)
        XCTAssertEqual(resumed.stepCount, 3, file: file, line: line)
        XCTAssertEqual(resumed.learningRate, optimizer.learningRate, file: file, line: line)
        XCTAssertEqual(resumed.exportState(), state, file: file, line: line)
        for step in 3..<5 {
            reference.applyGradients(step: step, to: original)
            reference.applyGradients(step: step, to: copies)
            optimizer.step()
            resumed.step()
        }
        for ((name, a), (_, b)) in zip(original, copies) {
            XCTAssertEqual(a.value.scalars.map(\.bitPattern), b.value.scalars.map(\.bitPattern), name, file: file, line: line)
        }
    }

    func testAdamWStateImportContinuesIdentically() throws {
        try assertIdenticalContinuation { try AdamW(parameters: $0, learningRate: 1e-2, betas: (0.9, 0.95), weightDecay: 0.1) }
    }

    func testSGDStateImportContinuesIdentically() throws {
        try assertIdenticalContinuation { try SGD(parameters: $0, learningRate: 0.1, momentum: 0.9, nesterov: true) }
    }

    func testExportedStateIsASnapshot() throws {
        let reference = try OptimizerReference.load()
        let parameters = reference.makeParameters()
        let optimizer = try Adam(parameters: parameters)
        reference.applyGradients(step: 0, to: parameters)
        optimizer.step()
        let snapshot = optimizer.exportState()
        reference.applyGradients(step: 1, to: parameters)
        optimizer.step()
        XCTAssertNotEqual(optimizer.exportState(), snapshot)
        XCTAssertEqual(snapshot.scalars["step/weight"], 1)
        XCTAssertEqual(snapshot.scalars["stepCount"], 1)
    }

    func testStateSavesAndLoadsThroughSafetensors() throws {
        let reference = try OptimizerReference.load()
        let parameters = reference.makeParameters()
        let optimizer = try AdamW(parameters: parameters, learningRate: 3e-4)
        for step in 0..<3 {
            reference.applyGradients(step: step, to: parameters)
            optimizer.step()
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("optimizer-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try optimizer.exportState().save(to: url)
        let loaded = try OptimizerState.load(from: url)
        XCTAssertEqual(loaded, optimizer.exportState())
        XCTAssertEqual(loaded.scalars["learningRate"], Double(Float(3e-4)))
    }

    func testImportRejectsMismatchedStateAndChangesNothing() throws {
        let reference = try OptimizerReference.load()
        let parameters = reference.makeParameters()
        let optimizer = try AdamW(parameters: parameters)
        reference.applyGradients(step: 0, to: parameters)
        optimizer.step()
        let good = optimizer.exportState()

        func assertRejected(_ edit: (inout OptimizerState) -> Void, _ expected: CheckpointError, line: UInt = #line) {
            var bad = good
            edit(&bad)
            XCTAssertThrowsError(try optimizer.importState(bad), line: line) { error in
                XCTAssertEqual(error as? CheckpointError, expected, line: line)
            }
            XCTAssertEqual(optimizer.exportState(), good, "a rejected import must change nothing", line: line)
        }
        assertRejected({ $0.tensors["firstMoment/unknown"] = Tensor(zeros: [1]) }, .unexpectedParameter(name: "firstMoment/unknown"))
        assertRejected({ $0.tensors["momentumBuffer/weight"] = Tensor(zeros: [3, 4]) }, .unexpectedParameter(name: "momentumBuffer/weight"))
        assertRejected({ $0.tensors["secondMoment/bias"] = Tensor(zeros: [5]) }, .shapeMismatch(name: "secondMoment/bias", expected: [4], found: [5]))
        assertRejected({ $0.tensors["secondMoment/gain"] = nil }, .missingParameter(name: "secondMoment/gain"))
        assertRejected({ $0.scalars["stepCount"] = nil }, .missingParameter(name: "stepCount"))
        assertRejected({ $0.scalars["step/weight"] = nil }, .missingParameter(name: "step/weight"))
        assertRejected({ $0.scalars["step/weight"] = -1 }, .invalidScalar(name: "step/weight", value: -1, allowed: "a whole number ≥ 0"))
        assertRejected({ $0.scalars["learningRate"] = -.infinity }, .invalidScalar(name: "learningRate", value: -.infinity, allowed: "finite and ≥ 0"))
        assertRejected({ $0.scalars["momentum"] = 0.9 }, .unexpectedParameter(name: "momentum"))
    }

    // MARK: - Hyperparameter errors

    func assertInitThrows(_ expected: OptimizerError, message: String? = nil, _ body: () throws -> Optimizer,
                          line: UInt = #line) {
        XCTAssertThrowsError(try body(), line: line) { error in
            XCTAssertEqual(error as? OptimizerError, expected, line: line)
            if let message { XCTAssertEqual((error as? OptimizerError)?.description, message, line: line) }
        }
    }

    func testInvalidHyperparametersThrowWithHelpfulMessages() {
        let p = [("w", Variable(Tensor(zeros: [2, 2]), requiresGrad: true))]
        assertInitThrows(.invalidHyperparameter(field: "learningRate", value: -0.5, allowed: "finite and ≥ 0 (e.g. 3e-4)"),
                         message: "`learningRate` is -0.5, but it must be finite and ≥ 0 (e.g. 3e-4)") {
            try AdamW(parameters: p, learningRate: -0.5)
        }
        assertInitThrows(.invalidHyperparameter(field: "betas.0", value: 1, allowed: "in [0, 1) (e.g. 0.9)"),
                         message: "`betas.0` is 1, but it must be in [0, 1) (e.g. 0.9)") {
            try AdamW(parameters: p, betas: (1, 0.95))
        }
        assertInitThrows(.invalidHyperparameter(field: "betas.1", value: Double(Float(-0.1)), allowed: "in [0, 1) (e.g. 0.999 or 0.95)")) {
            try Adam(parameters: p, betas: (0.9, -0.1))
        }
        assertInitThrows(.invalidHyperparameter(field: "epsilon", value: 0, allowed: "finite and > 0 (e.g. 1e-8)"),
                         message: "`epsilon` is 0, but it must be finite and > 0 (e.g. 1e-8)") {
            try Adam(parameters: p, epsilon: 0)
        }
        assertInitThrows(.invalidHyperparameter(field: "weightDecay", value: -1, allowed: "finite and ≥ 0 (e.g. 0.1)")) {
            try AdamW(parameters: p, weightDecay: -1)
        }
        XCTAssertThrowsError(try AdamW(parameters: p, learningRate: .nan)) { error in
            XCTAssertEqual((error as? OptimizerError)?.description, "`learningRate` is nan, but it must be finite and ≥ 0 (e.g. 3e-4)")
        }
        assertInitThrows(.invalidHyperparameter(field: "momentum", value: 1.5, allowed: "in [0, 1) (e.g. 0.9)")) {
            try SGD(parameters: p, learningRate: 0.1, momentum: 1.5)
        }
        assertInitThrows(.invalidHyperparameter(field: "learningRate", value: -1, allowed: "finite and ≥ 0 (e.g. 0.01)")) {
            try SGD(parameters: p, learningRate: -1)
        }
        assertInitThrows(.nesterovRequiresMomentum(momentum: 0, dampening: 0),
                         message: "Nesterov momentum needs momentum > 0 and dampening = 0, but momentum is 0 and dampening is 0; set momentum to e.g. 0.9 and dampening to 0, or turn nesterov off") {
            try SGD(parameters: p, learningRate: 0.1, nesterov: true)
        }
    }

    func testInvalidParameterListsThrow() {
        let w = Variable(Tensor(zeros: [2]), requiresGrad: true)
        let v = Variable(Tensor(zeros: [2]), requiresGrad: true)
        assertInitThrows(.emptyParameterList,
                         message: "the optimizer was given no parameters; pass model.namedParameters() of a model that has parameters") {
            try AdamW(parameters: [])
        }
        assertInitThrows(.duplicateParameterName("w"),
                         message: "two parameters are named 'w'; optimizer state is keyed by name, so give each parameter a unique name (e.g. with prefixed(_:_:))") {
            try Adam(parameters: [("w", w), ("w", v)])
        }
        assertInitThrows(.duplicateParameter(name: "tied", otherName: "w"),
                         message: "parameters 'w' and 'tied' are the same Variable, which would be updated twice per step; list a shared (tied) parameter only once") {
            try SGD(parameters: [("w", w), ("tied", w)], learningRate: 0.1)
        }
    }

    // MARK: - Convergence

    /// AdamW with a cosine schedule and clipping fits a small linear regression.
    func testAdamWFitsLinearRegression() throws {
        var rng = SeededGenerator(seed: 11)
        let model = Linear(inFeatures: 4, outFeatures: 2, using: &rng)
        let trueWeight = Tensor.randomNormal([2, 4], using: &rng)
        let inputs = Tensor.randomNormal([32, 4], using: &rng)
        let targets = Variable(inputs.matmul(trueWeight, transposeOther: true) + 0.5)
        let optimizer = try AdamW(parameters: model.namedParameters(), learningRate: 0.05, weightDecay: 0)
        let schedule = LearningRateSchedule.warmupCosine(peak: 0.05, warmupSteps: 10, totalSteps: 300, minimumRatio: 0.1)
        func loss() -> Variable { (model(Variable(inputs)) - targets).pow(2).mean() }
        let initial = loss().value.item
        for _ in 0..<300 {
            optimizer.learningRate = schedule(optimizer.stepCount)
            try loss().backward()
            clipGradientNorm(model.parameters(), maxNorm: 5)
            optimizer.step()
            optimizer.zeroGradients()
        }
        let final = loss().value.item
        XCTAssertLessThan(final, initial * 1e-4, "loss went from \(initial) to \(final)")
    }
}

extension OptimizerTests {
    func testPlainSGDStepByHand() throws {
        let w = Variable(Tensor(shape: [1, 2], scalars: [1, -2]), requiresGrad: true)
        let b = Variable(Tensor(shape: [2], scalars: [0.5, 0.5]), requiresGrad: true)
        let sgd = try SGD(parameters: [("w", w), ("b", b)], learningRate: 0.5, weightDecay: 0.5)
        w.grad = Tensor(shape: [1, 2], scalars: [2, 2])
        b.grad = Tensor(shape: [2], scalars: [1, -1])
        sgd.step()
        // w: p − lr·(g + λ·p) = [1 − 0.5·2.5, −2 − 0.5·1] ; b is a vector, so it is not decayed.
        XCTAssertEqual(w.value.scalars, [-0.25, -2.5])
        XCTAssertEqual(b.value.scalars, [0, 1])
        XCTAssertEqual(sgd.exportState(), OptimizerState(scalars: ["stepCount": 1, "learningRate": 0.5]))
    }
}
