// One spelling for every command-line option: kebab-case (`--learning-rate`, `--checkpoint-every`), as the tool's
// own options were already spelled. A configuration field keeps its camelCase name in JSON files
// (`"learningRate"`); on the command line that name still works and prints a one-line deprecation note.
import Foundation

/// Conversions between a configuration field's JSON name and its command-line spelling.
public enum OptionSpelling {
    /// `learningRate` → `learning-rate`; a name without capitals is unchanged.
    public static func kebab(_ name: String) -> String {
        var out = ""
        for character in name {
            if character.isUppercase {
                if !out.isEmpty { out.append("-") }
                out += character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// `learning-rate` → `learningRate`; a name without dashes is unchanged.
    public static func camel(_ option: String) -> String {
        let parts = option.split(separator: "-", omittingEmptySubsequences: true)
        guard let first = parts.first else { return option }
        return String(first) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}
