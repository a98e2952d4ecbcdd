import Harness

/// A report option that an error message names (`ReportOptions` and `QualitativeSources`);
/// a command line renders it as its own option.
public enum ReportSetting: Sendable, Hashable, CustomStringConvertible {
    /// The prediction folder shown for a method in the qualitative panel.
    case predictionFolder(method: String, folder: String)
    /// `ReportOptions.baseline`.
    case baseline(String)
    /// `ReportOptions.allowMixed`.
    case allowMixed
    /// A run label as written (`RUN=NAME`).
    case label(String)

    public var description: String {
        switch self {
        case .predictionFolder(let method, let folder): "prediction folder of \(method) (\(folder))"
        case .baseline(let method): "baseline `\(method)`"
        case .allowMixed: "the allow-mixed setting"
        case .label(let text): "run label `\(text)`"
        }
    }
}

/// A message of Reports, naming `ReportSetting`s.
public typealias ReportMessage = SettingMessage<ReportSetting>

/// A report that cannot be made: a kind, the file it concerns where there is one, a message for
/// a person, and the error it wraps.
public struct ReportError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        /// No runs, or an option that names no run.
        case input
        /// A run label that cannot be parsed or applied.
        case label
        /// Runs that measured different things share a table.
        case incomparable
        /// Two runs of one table have the same method name.
        case duplicateMethod
        /// A panel image could not be read.
        case qualitative
        /// A prediction file is not the one the run was scored with.
        case predictionMismatch
    }

    public let kind: Kind
    public let file: String?
    public let message: ReportMessage
    public let underlying: (any Error)?

    public init(_ kind: Kind, file: String? = nil, _ message: ReportMessage, underlying: (any Error)? = nil) {
        self.kind = kind
        self.file = file
        self.message = message
        self.underlying = underlying
    }

    public init(_ kind: Kind, file: String? = nil, _ message: String, underlying: (any Error)? = nil) {
        self.init(kind, file: file, ReportMessage(message), underlying: underlying)
    }

    /// The settings the message suggests changing.
    public var settings: [ReportSetting] { message.settings }

    public var description: String { message.description }

    public static func == (lhs: ReportError, rhs: ReportError) -> Bool {
        lhs.kind == rhs.kind && lhs.file == rhs.file && lhs.message == rhs.message
    }
}
