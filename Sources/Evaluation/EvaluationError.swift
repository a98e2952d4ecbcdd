/// The settings of an evaluation that an error can be about (a command maps each to its option).
public enum EvaluationSetting: String, Sendable, CaseIterable {
    case attention, background, longSide, threads, resume
}

/// Why a model evaluation could not run, with a message for a person.
///
/// The message never names a command-line option: a command adds its own hint for `setting`
/// errors (which option of its own sets that value).
public struct EvaluationError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// A setting has a value that cannot be used.
        case setting(EvaluationSetting)
        /// The checkpoint is not of the kind the evaluation needs.
        case checkpoint
        /// Reading the dataset, running the model or writing its files failed.
        case run
    }

    public let kind: Kind
    public let message: String
    /// The error this one wraps, where there is one.
    public let underlying: (any Error)?

    public init(_ kind: Kind, _ message: String, underlying: (any Error)? = nil) {
        self.kind = kind
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }

    /// Wraps an error of a lower layer (its description is the message) unless it is already ours.
    static func wrapping(_ error: any Error) -> EvaluationError {
        if let error = error as? EvaluationError { return error }
        return EvaluationError(.run, "\(error)", underlying: error)
    }
}
