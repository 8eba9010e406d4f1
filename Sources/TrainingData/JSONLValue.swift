// A JSONL line is parsed and written by the package's one JSON parser and writer (the JSON target).
@_exported import JSON

/// One parsed JSON value, as found on a line of a JSONL file: the JSON target's ``JSONValue``.
///
/// The reader parses each line into a value first and validates record fields against it, so that a wrong type can
/// be reported precisely ("`prompt` must be a string, found number 3"). Booleans and numbers are kept apart: `1` is
/// never accepted where `true` is expected. ``JSONValue/serialized(sortingKeys:)`` writes a value as one line.
public typealias JSONLValue = JSONValue

/// A JSON syntax error on one line: what was wrong and the 1-based byte column where it was noticed.
public typealias JSONLSyntaxError = JSONSyntaxError
