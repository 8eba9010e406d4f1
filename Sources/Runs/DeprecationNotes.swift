// Notes about deprecated option and field spellings (see `OptionSpelling`): collected here, printed by the tool.
import Foundation

/// Where notes about deprecated spellings go: nowhere by default (libraries do not print); `rlft` sends them to
/// standard error. Each note is reported once per process.
public enum DeprecationNotes {
    nonisolated(unsafe) public static var handler: (String) -> Void = { _ in }
    nonisolated(unsafe) private static var reported: Set<String> = []

    /// Reports `note` unless it was reported before.
    public static func report(_ note: String) {
        guard reported.insert(note).inserted else { return }
        handler(note)
    }
}
