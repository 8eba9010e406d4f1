// The mean over independent runs (seeds) with a Student-t interval: with a handful of seeds a bootstrap has too
// few distinct resamples, and the t interval is the standard report of "mean ± CI over n seeds".
import Foundation

/// The mean of one value per independent run and its two-sided 95 % Student-t interval,
/// mean ± t₀.₉₇₅(n − 1) · s / √n, with s the sample standard deviation. One run gives the degenerate interval.
///
/// - Parameter values: One value per run (seed).
/// - Returns: The mean and its interval (confidence 0.95).
/// - Throws: ``EvaluationError/emptyInput(metric:)`` for no values.
public func seedMeanInterval(_ values: [Double]) throws(EvaluationError) -> ConfidenceInterval {
    guard !values.isEmpty else { throw .emptyInput(metric: "seedMeanInterval") }
    let n = Double(values.count)
    let mean = values.reduce(0, +) / n
    guard values.count > 1 else { return ConfidenceInterval(estimate: mean, lower: mean, upper: mean) }
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
    let half = studentT975(degreesOfFreedom: values.count - 1) * (variance / n).squareRoot()
    return ConfidenceInterval(estimate: mean, lower: mean - half, upper: mean + half)
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom (tabulated to 3 decimals for df ≤ 30, the
/// normal quantile's Cornish–Fisher expansion beyond).
func studentT975(degreesOfFreedom df: Int) -> Double {
    let table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
                 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
                 2.045, 2.042]
    if df <= table.count { return table[max(df, 1) - 1] }
    let z = 1.959964, v = Double(df)
    return z + (z * z * z + z) / (4 * v) + (5 * pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * v * v)
}
