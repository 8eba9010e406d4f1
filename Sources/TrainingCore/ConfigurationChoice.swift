// ConfigurationChoice: a configuration field that picks one of a few named options, stored as a `String`-backed
// enum whose raw values are the JSON and command-line spellings.
import Foundation

/// A configuration field with a fixed set of named options (a loss, a schedule, a scaling).
///
/// Conforming enums are `String`-backed: the raw values are the spellings of JSON configuration files and of
/// `--key value` options. Decoding a spelling that names no case throws a `ConfigurationError` that names the field
/// (the last key of the decoding path), shows the value and lists every allowed spelling, the message `validate()`
/// gives for any other bad field:
///
/// ```swift
/// enum Shape: String, ConfigurationChoice { case constant, linear }
/// // decoding {"shape": "step"} throws "`shape` is step, but it must be one of constant, linear"
/// ```
public protocol ConfigurationChoice: RawRepresentable, CaseIterable, Codable, Sendable where RawValue == String {}

extension ConfigurationChoice {
    /// Every allowed spelling, in declaration order, joined by commas: "constant, linear, cosine".
    public static var allowedSpellings: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The case spelled `text`.
    ///
    /// - Throws: ``ConfigurationError/invalidValue(field:value:requirement:)`` naming `field`, the value and the
    ///   allowed spellings when no case is spelled so.
    public init(spelling text: String, field: String) throws(ConfigurationError) {
        guard let value = Self(rawValue: text) else {
            throw .invalidValue(field: field, value: text, requirement: "it must be one of \(Self.allowedSpellings)")
        }
        self = value
    }

    /// Decodes the raw spelling; a spelling that names no case throws a `ConfigurationError` naming the field.
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(spelling: text, field: decoder.codingPath.last?.stringValue ?? String(describing: Self.self))
    }

    /// Encodes the raw spelling.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
