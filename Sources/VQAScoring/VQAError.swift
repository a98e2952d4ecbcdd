/// A problem with VQA input or a VQA results file: one line for a person, naming the file, the
/// question and the value (docs/robustness.md §1).
public struct VQAError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Ground truth (questions, answers, images) that cannot be read or is inconsistent.
        case groundTruth
        /// Predictions that cannot be read or do not match the questions.
        case predictions
        /// A question without a prediction (an error unless missing predictions count as wrong).
        case missingPrediction
        /// A VQA results file that cannot be read.
        case resultsFile
        /// A setting out of range (bucket edges, …).
        case setting
    }

    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
