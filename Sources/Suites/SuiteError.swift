/// A suite file that cannot be used, or a suite run that cannot go on: one line naming the
/// file and, where there is one, the entry (`suite.json: datasets[2] ("potsdam"): unknown
/// vocabulary "potsdm" (did you mean "potsdam"?)`).
public struct SuiteError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The suite file is not valid JSON, breaks the schema, or names something that does not exist.
        case invalidSuite
        /// The output folder cannot be used or written.
        case output
        /// A suite-run manifest cannot be read.
        case manifest
    }

    public let kind: Kind
    /// The file the problem is in (the suite file as given, or the manifest).
    public let file: String
    /// Where in the file: `datasets[2] ("potsdam")`, `methods[0] ("CAT-Seg").predictions`; nil for
    /// the file as a whole.
    public let entry: String?
    public let message: String

    public init(_ kind: Kind, file: String, entry: String? = nil, _ message: String) {
        self.kind = kind
        self.file = file
        self.entry = entry
        self.message = message
    }

    public var description: String {
        [file, entry, message].compactMap { $0 }.joined(separator: ": ")
    }
}
