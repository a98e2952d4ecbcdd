/// A suite report that cannot be made: a kind, the file it concerns, and a one-line message for a
/// person that names the file, the entry and the value (docs/suite-report.md §6).
public struct SuiteReportError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The manifest is missing, not JSON, or has the wrong schema or shape.
        case manifest
        /// A cell's results file is missing, unreadable, or does not fit the manifest.
        case cell
        /// The bundled or given published-baselines data is malformed.
        case baselines
        /// The report files could not be written.
        case output
    }

    public let kind: Kind
    public let file: String?
    public let message: String

    public init(_ kind: Kind, file: String? = nil, _ message: String) {
        self.kind = kind
        self.file = file
        self.message = message
    }

    public var description: String { message }
}
