// The model: configuration, parameters, padding invariance, scoring, heads, copies, vocabulary growth,
// input errors and a finite-difference check through the whole network.
import LanguageModels
import NeuralNetworks
import TensorCore
import XCTest

final class GPTTests: XCTestCase {
    func testConfigDecodesHuggingFaceJSON() throws {
        let json = #"{"n_layer": 2, "n_head": 4, "n_embd": 32, "n_positions": 64, "vocab_size": 100, "resid_pdrop": 0.1, "model_type": "gpt2", "n_inner": null}"#
        let config = try JSONDecoder().decode(GPTConfig.self, from: Data(json.utf8))
        XCTAssertEqual(config, GPTConfig(layerCount: 2, headCount: 4, embeddingSize: 32, contextLength: 64, vocabularySize: 100, dropout: 0.1))
        let again = try JSONDecoder().decode(GPTConfig.self, from: JSONEncoder().encode(config))
        XCTAssertEqual(again, config)
    }

    func testConfigValidationMessages() {
        var bad = tinyConfig
        bad.headCount = 3
        assertThrows(LanguageModelError.invalid(.invalidValue(field: "headCount", value: "3", requirement: "it must divide embeddingSize (16); choose one of 2, 4, 8, 16")),
                     "`headCount` is 3, but it must divide embeddingSize (16); choose one of 2, 4, 8, 16") {
            try bad.validate()
        }
        bad = tinyConfig
        bad.dropout = 1
        assertThrows(LanguageModelError.invalid(.invalidValue(field: "dropout", value: "1.0", requirement: "it must be a probability in [0, 1), such as 0.1"))) { try bad.validate() }
        bad = tinyConfig
        bad.layerCount = 0
        var rng = SeededGenerator(seed: 0)
        assertThrows(LanguageModelError.invalid(.invalidValue(field: "layerCount", value: "0", requirement: "it must be at least 1 layer"))) {
            _ = try GPT(config: bad, using: &rng)
        }
    }

    func testParameterNamesAndCount() {
        let model = makeTinyModel()
        let names = model.namedParameters().map(\.0)
        XCTAssertEqual(names.count, 2 + 12 * 2 + 2)
        XCTAssertEqual(Array(names.prefix(4)), ["tokenEmbedding.weight", "positionEmbedding.weight", "blocks.0.attentionNorm.weight", "blocks.0.attentionNorm.bias"])
        XCTAssertTrue(names.contains("blocks.1.attention.qkv.weight"))
        XCTAssertEqual(names.last, "finalNorm.bias")
        // V·C + T·C + L·(12C² + 13C) + 2C
        let c = 16
        XCTAssertEqual(model.parameterCount, 40 * c + 32 * c + 2 * (12 * c * c + 13 * c) + 2 * c)
    }

    func testGPT2Initialisation() {
        var rng = SeededGenerator(seed: 3)
        let config = GPTConfig(layerCount: 8, headCount: 4, embeddingSize: 64, contextLength: 64, vocabularySize: 256)
        let model = try! GPT(config: config, using: &rng)
        func std(_ t: Tensor) -> Float {
            let m = t.mean()
            return ((t - m) * (t - m)).mean().squareRoot()
        }
        XCTAssertEqual(std(model.tokenEmbedding.value), 0.02, accuracy: 0.001)
        XCTAssertEqual(std(model.blocks[0].qkvWeight.value), 0.02, accuracy: 0.001)
        XCTAssertEqual(std(model.blocks[0].mlpOutputWeight.value), 0.02 / 4, accuracy: 0.0003)
        XCTAssertEqual(std(model.blocks[0].attentionOutputWeight.value), 0.02 / 4, accuracy: 0.0005)
        XCTAssertEqual(model.blocks[0].qkvBias.value.scalars, [Float](repeating: 0, count: 192))
        XCTAssertEqual(model.finalNormWeight.value.scalars, [Float](repeating: 1, count: 64))
    }

    func testLeftAndRightPaddingKeepRealLogits() throws {
        let model = makeTinyModel()
        let sequence: [Int32] = [3, 9, 27, 1, 5]
        let (alone, _) = try model.forward(TokenBatch(leftPadding: [sequence], padToken: 0))
        let left = try model.forward(TokenBatch(leftPadding: [sequence, [7, 7, 7, 7, 7, 7, 7, 7]], padToken: 39)).logits
        let right = try model.forward(TokenBatch(rightPadding: [sequence, [7, 7, 7, 7, 7, 7, 7, 7]], padToken: -1)).logits
        let V = 40
        let reference = alone.value.scalars
        assertClose(Array(left.value.scalars[(3 * V)..<(8 * V)]), reference, tolerance: 1e-5, "left padding")
        assertClose(Array(right.value.scalars[0..<(5 * V)]), reference, tolerance: 1e-5, "right padding")
    }

    func testPositionsAreExclusiveCumsumOfMask() {
        let batch = TokenBatch(leftPadding: [[1, 2, 3], [4]], padToken: 0)
        XCTAssertEqual(batch.positions, [0, 1, 2, 0, 0, 0])
        let joined = batch.concatenated(with: TokenBatch(rightPadding: [[5], [6, 7]], padToken: 0))
        XCTAssertEqual(joined.positions, [0, 1, 2, 3, 0, 0, 0, 0, 1, 2])
    }

    func testScoreResponsesMatchesFullLogSoftmax() throws {
        let model = makeTinyModel()
        let prompts = TokenBatch(leftPadding: [[1, 2, 3], [4]], padToken: 0)
        let responses = TokenBatch(rightPadding: [[5, 6], [7, 8]], padToken: 0)
        let tau: Float = 0.7
        let scores = try model.scoreResponses(prompts: prompts, responses: responses, temperature: tau)
        let full = try model.forward(prompts.concatenated(with: responses)).logits.value   // [2, 5, V]
        let logp = (full * (1 / tau)).logSoftmax()
        var expected = [Float]()
        var expectedEntropy = [Float]()
        for b in 0..<2 {
            for t in 0..<2 {
                let position = 3 + t - 1
                expected.append(logp[b, position, Int(responses.tokens[b * 2 + t])])
                var h: Float = 0
                for v in 0..<40 { let lp = logp[b, position, v]; h -= Foundation.exp(lp) * lp }
                expectedEntropy.append(h)
            }
        }
        assertClose(scores.logProbabilities.value.scalars, expected, tolerance: 1e-5)
        assertClose(scores.entropies!.scalars, expectedEntropy, tolerance: 1e-4)
        XCTAssertNil(scores.values)
    }

    func testLanguageModelLossIsTokenMeanCrossEntropy() throws {
        let model = makeTinyModel()
        let batch = TokenBatch(rightPadding: [[1, 2, 3, 4], [5, 6]], padToken: 0)
        let loss = try model.languageModelLoss(batch).value.item
        let logp = try model.forward(batch).logits.value.logSoftmax()
        let pairs = [(0, 0, 2), (0, 1, 3), (0, 2, 4), (1, 0, 6)]
        let expected = -pairs.map { logp[$0.0, $0.1, $0.2] }.reduce(0, +) / 4
        XCTAssertEqual(loss, expected, accuracy: 1e-5)
    }

    func testValueHeadIsZeroAtInit() throws {
        let policy = PolicyWithValue(policy: makeTinyModel())
        let scores = try policy.scoreResponses(prompts: TokenBatch(leftPadding: [[1, 2], [3]], padToken: 0),
                                               responses: TokenBatch(rightPadding: [[4, 5, 6], [7]], padToken: 0))
        XCTAssertEqual(scores.values!.shape, [2, 3])
        XCTAssertEqual(scores.values!.value.scalars, [Float](repeating: 0, count: 6))
        XCTAssertEqual(policy.namedParameters().suffix(2).map(\.0), ["valueHead.weight", "valueHead.bias"])
    }

    func testRewardReadsLastRealToken() throws {
        var rng = SeededGenerator(seed: 5)
        let rm = RewardModel(trunk: makeTinyModel(), using: &rng)
        let a: [Int32] = [1, 2, 3, 4], b: [Int32] = [5, 6]
        let left = try rm.rewards(TokenBatch(leftPadding: [a, b], padToken: 0)).value.scalars
        let right = try rm.rewards(TokenBatch(rightPadding: [a, b], padToken: 0)).value.scalars
        let alone = try rm.rewards(TokenBatch(leftPadding: [b], padToken: 0)).value.scalars
        assertClose(left, right, tolerance: 1e-5)
        XCTAssertEqual(left[1], alone[0], accuracy: 1e-5)
        let perPosition = try rm.perPositionScores(TokenBatch(leftPadding: [a], padToken: 0)).value.scalars
        XCTAssertEqual(perPosition[3], left[0], accuracy: 1e-5)
        XCTAssertNotEqual(perPosition[2], left[0])
        // The reward head starts at N(0, 1/√(C+1)) with a zero bias.
        XCTAssertEqual(rm.head.bias.value.item, 0)
    }

    func testCopyIsIndependentAndFrozenCopyHasNoGradients() throws {
        let model = makeTinyModel()
        let copy = model.copy()
        let frozen = model.frozenCopy()
        let batch = TokenBatch(leftPadding: [[1, 2, 3]], padToken: 0)
        let before = try model.forward(batch).logits.value.scalars
        XCTAssertEqual(try frozen.forward(batch).logits.value.scalars, before)
        copy.blocks[0].qkvWeight.value = copy.blocks[0].qkvWeight.value * 2
        copy.tokenEmbedding.value.withUnsafeMutableBufferPointer { $0[0] += 1 }
        XCTAssertEqual(try model.forward(batch).logits.value.scalars, before)
        XCTAssertNotEqual(try copy.forward(batch).logits.value.scalars, before)
        XCTAssertTrue(frozen.parameters().allSatisfy { !$0.requiresGrad })
        XCTAssertTrue(copy.parameters().allSatisfy { $0.requiresGrad })
        let loss = try frozen.languageModelLoss(batch)
        try loss.backward()
        XCTAssertTrue(frozen.parameters().allSatisfy { $0.grad == nil })
    }

    func testVocabularyGrowthUsesMeanAndSpreadOfExistingRows() throws {
        var rng = SeededGenerator(seed: 9)
        let config = GPTConfig(layerCount: 1, headCount: 2, embeddingSize: 8, contextLength: 16, vocabularySize: 500)
        let model = try GPT(config: config, using: &rng)
        // Give each dimension its own mean and spread.
        var table = model.tokenEmbedding.value
        for r in 0..<500 { for j in 0..<8 { table[r, j] = Float(j) + Float(j + 1) * 0.1 * table[r, j] / 0.02 } }
        model.tokenEmbedding.value = table
        try model.addTokens(count: 4000, using: &rng)
        XCTAssertEqual(model.config.vocabularySize, 4500)
        XCTAssertEqual(model.tokenEmbedding.shape, [4500, 8])
        let grown = model.tokenEmbedding.value
        XCTAssertEqual(Array(grown.scalars[0..<(500 * 8)]), table.scalars)
        let added = grown.slice(axis: 0, 500..<4500)
        let mean = added.mean(axis: 0)
        let spread = ((added - mean) * (added - mean)).mean(axis: 0).sqrt()
        for j in 0..<8 {
            XCTAssertEqual(mean[j], Float(j), accuracy: 0.05 * Float(j + 1))
            XCTAssertEqual(spread[j], Float(j + 1) * 0.1, accuracy: 0.01 * Float(j + 1))
        }
        _ = try model.forward(TokenBatch(leftPadding: [[4499, 3]], padToken: 0))
    }

    func testInputErrorsSayWhatToFix() {
        let model = makeTinyModel()
        assertThrows(LanguageModelError.tokenOutOfRange(id: 40, row: 1, position: 0, vocabularySize: 40),
                     "token id 40 at row 1, position 0 is outside the vocabulary 0..<40; check the tokenizer matches the model, or grow the vocabulary with addTokens(count:)") {
            _ = try model.forward(TokenBatch(rightPadding: [[1], [40]], padToken: 0))
        }
        assertThrows(LanguageModelError.sequenceTooLong(length: 33, contextLength: 32),
                     "sequence of 33 tokens exceeds the context length 32; truncate it or use a model with a longer context") {
            _ = try model.forward(TokenBatch(leftPadding: [[Int32](repeating: 1, count: 33)], padToken: 0))
        }
        var rng = SeededGenerator(seed: 0)
        assertThrows(LanguageModelError.promptTooLong(promptLength: 30, maximumNewTokens: 8, contextLength: 32),
                     "prompt of 30 tokens plus 8 new tokens exceeds the context length 32; truncate the prompt to at most 24 tokens or lower maximumNewTokens") {
            _ = try model.generate(prompts: TokenBatch(leftPadding: [[Int32](repeating: 1, count: 30)], padToken: 0),
                                   options: GenerationOptions(maximumNewTokens: 8), using: &rng)
        }
        assertThrows(LanguageModelError.invalid(.invalidValue(field: "temperature", value: "0.0", requirement: "it must be positive, such as 1.0; for greedy decoding set greedy = true"))) {
            _ = try model.generate(prompts: TokenBatch(leftPadding: [[1]], padToken: 0),
                                   options: GenerationOptions(temperature: 0), using: &rng)
        }
    }

    /// Central differences (in Float, step 1e-2) against backward, on a few entries of several parameters,
    /// through the whole model: scoring with a value head plus the language-model loss.
    func testGradientsMatchFiniteDifferences() throws {
        let policy = PolicyWithValue(policy: makeTinyModel(seed: 4, scale: 10))
        policy.valueHead.weight.value = Tensor.randomNormal([1, 16], standardDeviation: 0.3, using: &policyRng)
        let model = policy.policy
        let prompts = TokenBatch(leftPadding: [[1, 2, 3], [4]], padToken: 0)
        let responses = TokenBatch(rightPadding: [[5, 6], [7, 8]], padToken: 0)
        let text = TokenBatch(rightPadding: [[9, 10, 11, 12], [13, 14]], padToken: 0)
        func loss() throws -> Variable {
            let s = try policy.scoreResponses(prompts: prompts, responses: responses, temperature: 0.8)
            return s.logProbabilities.sum() + (s.values! * s.values!).sum() * 0.5 + (try model.languageModelLoss(text))
        }
        policy.zeroGradients()
        try loss().backward()
        let checks: [(Variable, [Int])] = [
            (model.tokenEmbedding, [5 * 16 + 3, 9 * 16 + 0, 39 * 16 + 1]),
            (model.positionEmbedding, [2 * 16 + 4]),
            (model.blocks[0].qkvWeight, [7, 300, 700]),
            (model.blocks[1].attentionOutputWeight, [17]),
            (model.blocks[0].mlpHiddenWeight, [123]),
            (model.blocks[1].mlpOutputBias, [2]),
            (model.blocks[0].attentionNormWeight, [5]),
            (model.finalNormBias, [7]),
            (policy.valueHead.weight, [3]),
        ]
        for (parameter, indices) in checks {
            let analytic = parameter.grad!.scalars
            for i in indices {
                let h: Float = 1e-2
                let original = parameter.value.scalars[i]
                parameter.value.withUnsafeMutableBufferPointer { $0[i] = original + h }
                let plus = try withoutGradients { try loss().value.item }
                parameter.value.withUnsafeMutableBufferPointer { $0[i] = original - h }
                let minus = try withoutGradients { try loss().value.item }
                parameter.value.withUnsafeMutableBufferPointer { $0[i] = original }
                let numeric = (plus - minus) / (2 * h)
                XCTAssertEqual(analytic[i], numeric, accuracy: 2e-3 + 2e-2 * abs(numeric), "\(parameter.name ?? "?")[\(i)]")
            }
        }
    }
}

nonisolated(unsafe) private var policyRng = SeededGenerator(seed: 77)

final class TiedCrossEntropyTests: XCTestCase {
    /// The fused loss equals the composed `matmul` + `crossEntropy`, in value and in both gradients.
    func testFusedEqualsComposed() throws {
        var rng = SeededGenerator(seed: 12)
        let h = Tensor.randomNormal([2, 5, 8], using: &rng), w = Tensor.randomNormal([11, 8], using: &rng)
        let targets: [Int32] = [3, -100, 10, 0, 4, -100, -100, 7, 2, 1]
        let h1 = Variable(h, requiresGrad: true), w1 = Variable(w, requiresGrad: true)
        let h2 = Variable(h, requiresGrad: true), w2 = Variable(w, requiresGrad: true)
        let fused = Variable.tiedProjectionCrossEntropy(hidden: h1, table: w1, targets: targets)
        let composed = h2.matmul(w2, transposeOther: true).crossEntropy(targets: targets, ignoreIndex: -100)
        XCTAssertEqual(fused.value.item, composed.value.item, accuracy: 1e-5)
        try (fused * 3).backward()
        try (composed * 3).backward()
        assertClose(h1.grad!.scalars, h2.grad!.scalars, tolerance: 1e-5)
        assertClose(w1.grad!.scalars, w2.grad!.scalars, tolerance: 1e-5)
        let none = Variable.tiedProjectionCrossEntropy(hidden: h1, table: w1, targets: [Int32](repeating: -100, count: 10))
        XCTAssertEqual(none.value.item, 0)
    }
}
