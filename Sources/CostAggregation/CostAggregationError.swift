import SafeTensors
import Tensor

/// Why a cost-aggregation head could not be loaded or run.
public enum CostAggregationError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A tensor is missing or has the wrong shape in the checkpoint; the
    /// underlying error names the file, the key and both shapes.
    case checkpoint(SafeTensorsError)
    /// A `__metadata__` value the head reads is not one it understands.
    case invalidMetadata(key: String, value: String, expected: String)
    /// The checkpoint's tensors do not form a head this implementation runs
    /// (inconsistent sizes, no layers, an invalid GroupNorm split…).
    case unsupportedConfiguration(String)
    /// The inputs (dense map, text, taps, pooling) do not fit the head.
    case invalidInput(String)
    /// A tensor operation failed (its message carries the shapes).
    case computation(TensorError)

    public var description: String {
        switch self {
        case .checkpoint(let error):
            return error.description
        case .invalidMetadata(let key, let value, let expected):
            return "checkpoint metadata \(key) = \"\(value)\" is not valid (expected \(expected))"
        case .unsupportedConfiguration(let detail):
            return "unsupported cost-aggregation head: \(detail)"
        case .invalidInput(let detail):
            return "invalid cost-aggregation input: \(detail)"
        case .computation(let error):
            return "cost-aggregation computation failed: \(error.description)"
        }
    }
}
