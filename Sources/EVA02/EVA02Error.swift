import CLIP
import SafeTensors
import Tensor

/// Why an EVA02-CLIP tower could not be built or run.
public enum EVA02Error: Error, Equatable, CustomStringConvertible, Sendable {
    /// A tensor is missing or has the wrong shape or dtype (the error names
    /// the file, the key and, for a shape, both shapes).
    case checkpoint(SafeTensorsError)
    /// The checkpoint's shapes or metadata do not form an EVA02 tower.
    case unsupportedConfiguration(String)
    /// The input (pixels, token ids, taps) does not fit the model.
    case invalidInput(String)
    /// A tensor operation failed (shape detail included).
    case computation(TensorError)

    public var description: String {
        switch self {
        case .checkpoint(let error): return error.description
        case .unsupportedConfiguration(let detail): return "unsupported EVA02 configuration: \(detail)"
        case .invalidInput(let detail): return "invalid EVA02 input: \(detail)"
        case .computation(let error): return "EVA02 computation failed: \(error.description)"
        }
    }

    /// Maps any error raised while loading a tower to the error this module reports.
    static func loading(_ error: any Error) -> EVA02Error {
        switch error {
        case let error as SafeTensorsError: .checkpoint(error)
        case let error as EVA02Error: error
        case let error as TensorError: .computation(error)
        default: .unsupportedConfiguration("\(error)")
        }
    }

    /// The text tower runs on the CLIP module's encoder; its errors keep their kind.
    static func fromCLIP(_ error: CLIPError) -> EVA02Error {
        switch error {
        case .checkpoint(let error): .checkpoint(error)
        case .unsupportedConfiguration(let detail): .unsupportedConfiguration(detail)
        case .configuration: .unsupportedConfiguration(error.description)
        case .invalidInput(let detail): .invalidInput(detail)
        case .computation(let error): .computation(error)
        }
    }
}

/// The head count: an explicit value, else the metadata entry, else width / 64.
func resolveHeads(_ explicit: Int?, file: SafeTensorsFile, key: String, width: Int, tower: String) throws(EVA02Error) -> Int {
    var heads = explicit
    if heads == nil, let text = file.metadata[key] {
        guard let value = Int(text) else {
            throw .unsupportedConfiguration("__metadata__[\"\(key)\"] = '\(text)' is not an integer")
        }
        heads = value
    }
    let resolved = heads ?? width / 64
    guard resolved > 0, width % resolved == 0 else {
        throw .unsupportedConfiguration(
            "\(tower) width \(width) cannot be split into \(resolved) heads (declare __metadata__[\"\(key)\"])")
    }
    return resolved
}
