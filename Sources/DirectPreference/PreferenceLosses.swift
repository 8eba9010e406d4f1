// The offline preference losses as TRL implements them — DPO (sigmoid, hinge, robust; arXiv 2305.18290 eq. 7), IPO
// (arXiv 2310.12036), KTO (arXiv 2402.01306) and ORPO (arXiv 2403.07691) — on sequence log-probabilities. Shape
// letter: N comparisons (or N unpaired examples).
//
// Each loss is one graph node over the policy's sequence log-probabilities `[N]` whose value and gradient are
// computed in Double with closed-form derivatives, so saturated sigmoids and log(1 − p) near p = 1 stay finite.
import Foundation
import TensorCore
import TrainingCore

/// The DPO-family loss of TRL's `loss_type` switch; ``DirectPreferenceConfig/loss``, spelled `sigmoid`, `hinge`,
/// `robust` or `ipo` in configuration files.
public enum DPOLossType: String, ConfigurationChoice {
    /// `−log σ(βΔ)` (DPO, Rafailov et al. 2023), with optional label smoothing ε (conservative DPO):
    /// `−(1−ε) log σ(βΔ) − ε log σ(−βΔ)`.
    case sigmoid
    /// `relu(1 − βΔ)` (SLiC-style hinge).
    case hinge
    /// `[−(1−ε) log σ(βΔ) + ε log σ(−βΔ)] / (1 − 2ε)` (robust DPO, unbiased under label noise ε).
    case robust
    /// `(ρ̄_w − ρ̄_l − 1/(2β))²` with per-token averaged log-ratios ρ̄ (IPO, Azar et al. 2023).
    case ipo
}

/// A preference loss with the statistics TRL logs.
public struct PreferenceLossResult {
    /// The mean loss over the batch, differentiable with respect to the policy's log-probabilities.
    public let loss: Variable
    /// The implicit reward of each chosen (or desirable) completion, `β·ρ` (ORPO: `β·ā`).
    public let chosenRewards: [Double]
    /// The implicit reward of each rejected (or undesirable) completion.
    public let rejectedRewards: [Double]
    /// Extra statistics under namespaced keys (ORPO: `nll_loss`, `log_odds_ratio`, `log_odds_chosen`; KTO: `kl`).
    public let statistics: [String: Double]

    /// `mean 1[r_w > r_l]` over paired rewards (nil for unpaired batches).
    public var rewardAccuracy: Double? {
        guard chosenRewards.count == rejectedRewards.count, !chosenRewards.isEmpty else { return nil }
        return Double(zip(chosenRewards, rejectedRewards).filter { $0 > $1 }.count) / Double(chosenRewards.count)
    }

    /// `mean (r_w − r_l)` over paired rewards (nil for unpaired batches).
    public var rewardMargin: Double? {
        guard chosenRewards.count == rejectedRewards.count, !chosenRewards.isEmpty else { return nil }
        return zip(chosenRewards, rejectedRewards).reduce(0) { $0 + $1.0 - $1.1 } / Double(chosenRewards.count)
    }
}

// MARK: - Scalar helpers

/// `log σ(x)`, stable for any x.
func logSigmoid(_ x: Double) -> Double { x >= 0 ? -Foundation.log1p(Foundation.exp(-x)) : x - Foundation.log1p(Foundation.exp(x)) }

/// `σ(x)`, stable for any x.
func sigmoid(_ x: Double) -> Double { x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x)) }

/// `log(1 − eᵃ)` for a < 0, stable at both ends (Mächler 2012): `log(−expm1(a))` for a > −log 2, else
/// `log1p(−eᵃ)`. Returns −∞ at a = 0.
@inlinable
public func log1mexp(_ a: Double) -> Double {
    a > -0.6931471805599453 ? Foundation.log(-Foundation.expm1(a)) : Foundation.log1p(-Foundation.exp(a))
}

/// A scalar graph node over `inputs` (each `[N]`) whose value and gradients (one `[N]` array per input, for a
/// seed of 1) are computed by the caller.
func scalarNode(_ inputs: [Variable], value: Double, gradients: [[Double]]) -> Variable {
    Variable.record(Tensor(Float(value)), parents: inputs) { g in
        let seed = Double(g.item)
        for (input, gradient) in zip(inputs, gradients) where input.requiresGrad {
            input.accumulateGradient(Tensor(shape: input.shape, scalars: gradient.map { Float($0 * seed) }))
        }
    }
}

// MARK: - DPO and IPO

/// The DPO-family loss of a batch of comparisons (TRL `DPOTrainer.dpo_loss`).
///
/// With `ρ_w = log π(y_w|x) − log π_ref(y_w|x)` (sums over completion tokens; for IPO divided by the completion
/// length) and `Δ = ρ_w − ρ_l`, the per-pair losses are those of ``DPOLossType``; the batch loss is their mean.
/// Implicit rewards are `β ρ_w` and `β ρ_l`.
///
/// - Parameters:
///   - policyChosen: Σ_t log π(y_w,t), `[N]`, with gradient.
///   - policyRejected: Σ_t log π(y_l,t), `[N]`.
///   - referenceChosen: Σ_t log π_ref(y_w,t), N values.
///   - referenceRejected: Σ_t log π_ref(y_l,t).
///   - chosenLengths: completion lengths |y_w| (used by IPO only).
///   - rejectedLengths: |y_l| (IPO only).
///   - beta: β > 0. Default 0.1.
///   - type: the loss. Default `.sigmoid`.
///   - labelSmoothing: ε ∈ [0, 0.5) for `.sigmoid` and `.robust`. Default 0.
public func dpoLoss(policyChosen: Variable, policyRejected: Variable, referenceChosen: [Float], referenceRejected: [Float],
                    chosenLengths: [Int], rejectedLengths: [Int], beta: Double = 0.1, type: DPOLossType = .sigmoid,
                    labelSmoothing: Double = 0) -> PreferenceLossResult {
    let n = policyChosen.shape[0]
    precondition(policyRejected.shape == [n] && referenceChosen.count == n && referenceRejected.count == n
                 && chosenLengths.count == n && rejectedLengths.count == n, "dpoLoss: every input needs N = \(n) entries")
    let pw = policyChosen.value.scalars, pl = policyRejected.value.scalars
    var total = 0.0
    var gw = [Double](repeating: 0, count: n), gl = [Double](repeating: 0, count: n)
    var rw = [Double](), rl = [Double]()
    let eps = labelSmoothing
    for i in 0..<n {
        // IPO averages the log-ratios over tokens; the others use sums.
        let sw = type == .ipo ? 1 / Double(max(chosenLengths[i], 1)) : 1
        let sl = type == .ipo ? 1 / Double(max(rejectedLengths[i], 1)) : 1
        let rhoW = (Double(pw[i]) - Double(referenceChosen[i])) * sw
        let rhoL = (Double(pl[i]) - Double(referenceRejected[i])) * sl
        let delta = rhoW - rhoL
        rw.append(beta * rhoW)
        rl.append(beta * rhoL)
        let x = beta * delta
        let loss: Double, dDelta: Double   // dℓ/dΔ
        switch type {
        case .sigmoid:
            // −(1−ε) log σ(x) − ε log σ(−x); d/dx = −(1−ε)(1−σ(x)) + ε σ(x).
            loss = -(1 - eps) * logSigmoid(x) - eps * logSigmoid(-x)
            dDelta = beta * (-(1 - eps) * sigmoid(-x) + eps * sigmoid(x))
        case .hinge:
            loss = max(0, 1 - x)
            dDelta = x < 1 ? -beta : 0
        case .robust:
            // [−(1−ε) log σ(x) + ε log σ(−x)] / (1 − 2ε); d/dx = [−(1−ε)σ(−x) − ε σ(x)] / (1 − 2ε).
            loss = (-(1 - eps) * logSigmoid(x) + eps * logSigmoid(-x)) / (1 - 2 * eps)
            dDelta = beta * (-(1 - eps) * sigmoid(-x) - eps * sigmoid(x)) / (1 - 2 * eps)
        case .ipo:
            let d = delta - 1 / (2 * beta)
            loss = d * d
            dDelta = 2 * d
        }
        total += loss
        gw[i] = dDelta * sw / Double(n)
        gl[i] = -dDelta * sl / Double(n)
    }
    return PreferenceLossResult(loss: scalarNode([policyChosen, policyRejected], value: total / Double(n), gradients: [gw, gl]),
                                chosenRewards: rw, rejectedRewards: rl, statistics: [:])
}

// MARK: - KTO

/// KTO's reference point `z = max(0, mean_i(log π(y′_i|x_i) − log π_ref(y′_i|x_i)))` on mismatched pairs
/// (each prompt with another example's completion), as a constant (no gradient) (TRL `kto_trainer.py`).
public func ktoReferencePoint(policyMismatched: [Float], referenceMismatched: [Float]) -> Double {
    precondition(policyMismatched.count == referenceMismatched.count, "ktoReferencePoint: counts differ")
    guard !policyMismatched.isEmpty else { return 0 }
    let mean = zip(policyMismatched, referenceMismatched).reduce(0.0) { $0 + Double($1.0) - Double($1.1) }
        / Double(policyMismatched.count)
    return max(0, mean)
}

/// The KTO loss of a batch of unpaired examples (Ethayarajh et al. 2024; TRL `KTOTrainer.kto_loss`).
///
/// With `ρ = log π(y|x) − log π_ref(y|x)` (sums) and the reference point z: desirable examples lose
/// `λ_D (1 − σ(β(ρ − z)))`, undesirable ones `λ_U (1 − σ(β(z − ρ)))`; the batch loss is the mean over all N
/// examples. `chosenRewards` holds β ρ of the desirable examples, `rejectedRewards` of the undesirable ones.
///
/// - Parameters:
///   - policy: Σ_t log π(y_t), `[N]`, with gradient.
///   - reference: Σ_t log π_ref(y_t), N values.
///   - desirable: the label of each example.
///   - referencePoint: z (see ``ktoReferencePoint(policyMismatched:referenceMismatched:)``).
///   - beta: β. Default 0.1.
///   - desirableWeight: λ_D. Default 1.
///   - undesirableWeight: λ_U. Default 1.
public func ktoLoss(policy: Variable, reference: [Float], desirable: [Bool], referencePoint z: Double, beta: Double = 0.1,
                    desirableWeight: Double = 1, undesirableWeight: Double = 1) -> PreferenceLossResult {
    let n = policy.shape[0]
    precondition(reference.count == n && desirable.count == n, "ktoLoss: every input needs N = \(n) entries")
    let p = policy.value.scalars
    var total = 0.0
    var g = [Double](repeating: 0, count: n)
    var rw = [Double](), rl = [Double]()
    for i in 0..<n {
        let rho = Double(p[i]) - Double(reference[i])
        if desirable[i] {
            let s = sigmoid(beta * (rho - z))
            total += desirableWeight * (1 - s)
            g[i] = -desirableWeight * beta * s * (1 - s) / Double(n)
            rw.append(beta * rho)
        } else {
            let s = sigmoid(beta * (z - rho))
            total += undesirableWeight * (1 - s)
            g[i] = undesirableWeight * beta * s * (1 - s) / Double(n)
            rl.append(beta * rho)
        }
    }
    return PreferenceLossResult(loss: scalarNode([policy], value: total / Double(max(n, 1)), gradients: [g]),
                                chosenRewards: rw, rejectedRewards: rl, statistics: ["kl": z])
}

// MARK: - ORPO

/// The ORPO loss of a batch of comparisons (Hong et al. 2024; TRL `ORPOTrainer.odds_ratio_loss`), no reference.
///
/// With per-token averaged log-probabilities `ā = Σ_t log π(y_t) / |y|`:
/// `logodds = (ā_w − ā_l) − (log(1 − e^{ā_w}) − log(1 − e^{ā_l}))` and
/// `L = NLL_chosen − β · mean log σ(logodds)`, where NLL_chosen is the token-mean cross-entropy of the chosen
/// completions (Σ over the batch of −Σ_t log π(y_w,t) divided by Σ|y_w|). Implicit rewards are `β ā`.
///
/// - Parameters:
///   - policyChosen: Σ_t log π(y_w,t), `[N]`, with gradient.
///   - policyRejected: Σ_t log π(y_l,t), `[N]`.
///   - chosenLengths: |y_w|.
///   - rejectedLengths: |y_l|.
///   - beta: β (λ in the paper). Default 0.1.
///   - denominators: Σ|y_w| and N of the global batch when this batch is one rank's shard of it (data parallel):
///     the shard's loss is then its part of the global loss, and the ranks' losses and gradients add up to the
///     global ones. Default: this batch's own.
public func orpoLoss(policyChosen: Variable, policyRejected: Variable, chosenLengths: [Int], rejectedLengths: [Int],
                     beta: Double = 0.1, denominators: (chosenTokens: Double, pairs: Double)? = nil) -> PreferenceLossResult {
    let n = policyChosen.shape[0]
    precondition(policyRejected.shape == [n] && chosenLengths.count == n && rejectedLengths.count == n,
                 "orpoLoss: every input needs N = \(n) entries")
    let pw = policyChosen.value.scalars, pl = policyRejected.value.scalars
    let chosenTokens = denominators?.chosenTokens ?? Double(max(chosenLengths.reduce(0, +), 1))
    let pairCount = denominators?.pairs ?? Double(n)
    var nll = 0.0, oddsTerm = 0.0, logOddsSum = 0.0
    var gw = [Double](repeating: 0, count: n), gl = [Double](repeating: 0, count: n)
    var rw = [Double](), rl = [Double]()
    for i in 0..<n {
        let lw = Double(max(chosenLengths[i], 1)), ll = Double(max(rejectedLengths[i], 1))
        // ā < 0 strictly for a real distribution; clamp so that log(1 − e^ā) stays finite.
        let aw = min(Double(pw[i]) / lw, -1e-7), al = min(Double(pl[i]) / ll, -1e-7)
        nll -= Double(pw[i]) / chosenTokens
        let logOdds = (aw - al) - (log1mexp(aw) - log1mexp(al))
        logOddsSum += logOdds
        oddsTerm += logSigmoid(logOdds)
        // d logodds/dā = 1 + e^ā/(1 − e^ā) = 1/(1 − e^ā) = −1/expm1(ā); d logσ(u)/du = σ(−u).
        let dUpper = -1 / Foundation.expm1(aw), dLower = -1 / Foundation.expm1(al)
        let s = sigmoid(-logOdds)
        gw[i] = -1 / chosenTokens - beta * s * dUpper / lw / pairCount
        gl[i] = beta * s * dLower / ll / pairCount
        rw.append(beta * aw)
        rl.append(beta * al)
    }
    let value = nll - beta * oddsTerm / pairCount
    return PreferenceLossResult(
        loss: scalarNode([policyChosen, policyRejected], value: value, gradients: [gw, gl]),
        chosenRewards: rw, rejectedRewards: rl,
        statistics: ["nll_loss": nll, "log_odds_ratio": oddsTerm / Double(n), "log_odds_chosen": logOddsSum / Double(n)])
}
