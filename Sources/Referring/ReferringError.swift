/// A problem with referring-segmentation input or a referring results file: one line for a person,
/// naming the file, the sample and the value (docs/robustness.md §1).
public struct ReferringError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Ground-truth annotations that cannot be read or are inconsistent.
        case annotations
        /// Predictions that cannot be read, or do not match the annotations.
        case predictions
        /// A referring results file that cannot be read.
        case resultsFile
        /// A sample without a prediction (an error unless missing predictions count as empty).
        case missingPrediction
        /// A setting out of range (size thresholds, …).
        case setting
        /// Shard files that cannot be merged into one run.
        case shard
    }

    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
