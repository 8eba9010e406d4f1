// What scores a system's completions on a prompt set: a gold score and a win-rate credit per prompt, as the
// AlpacaFarm evaluation reports them (Dubois et al. 2023, arXiv 2305.14387). A task supplies the judge
// (the built-in instruction task's are in Tasks); `scoreCompletions` adds the bootstrap intervals.
import Foundation

/// Judges completions: a gold score and a win-rate credit against a reference per prompt.
public protocol CompletionJudge {
    /// One gold score and one win-rate credit (1 win, ½ tie, 0 loss, or an expected credit) per prompt.
    func judge(prompts: [String], completions: [String]) throws -> (gold: [Double], winCredit: [Double])
}
