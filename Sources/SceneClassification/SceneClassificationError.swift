/// A problem with scene labels, predictions or a scene results file: one line for a person,
/// naming the file, the row or image and the value (docs/robustness.md §1).
public struct SceneClassificationError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Ground-truth labels that cannot be read or are inconsistent.
        case labels
        /// Predictions that cannot be read, or do not match the labels.
        case predictions
        /// A scene results file that cannot be read or does not add up.
        case resultsFile
        /// Settings that do not fit (a split, bootstrap settings, …).
        case setting
    }

    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
