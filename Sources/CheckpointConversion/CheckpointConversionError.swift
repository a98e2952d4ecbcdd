import TorchCheckpoint

/// The conversion settings an error can be about (a command maps each to its option).
public enum ConversionSetting: String, Sendable, Equatable, CaseIterable {
    case visionHeads, textHeads, hiddenActivation
}

/// What was wrong with a conversion, independent of the file.
public enum ConversionProblem: Error, Equatable, Sendable {
    case noCLIP(String)
    case unknownTensor(key: String, reason: String)
    case missingTensor(key: String)
    case unexpectedShape(key: String, shape: [Int], expected: String)
    case architecture(String)
    /// A setting is missing or does not fit the checkpoint.
    case setting(ConversionSetting, String)
    case unsupportedDType(key: String, dtype: String)
    case cannotRead(String)
    case cannotWrite(String)
}

/// A checkpoint that could not be converted, naming the file and, where there is one, the key.
public struct CheckpointConversionError: Error, Equatable, Sendable, CustomStringConvertible {
    public let file: String
    public let problem: ConversionProblem?
    /// Set when the checkpoint itself could not be read.
    public let reading: TorchCheckpointError?

    public init(file: String, problem: ConversionProblem) {
        self.file = file
        self.problem = problem
        self.reading = nil
    }

    public init(_ reading: TorchCheckpointError) {
        self.file = reading.file
        self.problem = nil
        self.reading = reading
    }

    public var description: String {
        if let reading { return reading.description }
        let what: String
        switch problem {
        case .noCLIP(let reason): what = reason
        case .unknownTensor(let key, let reason): what = "tensor '\(key)': \(reason)"
        case .missingTensor(let key): what = "tensor '\(key)' is missing"
        case .unexpectedShape(let key, let shape, let expected): what = "tensor '\(key)' has shape \(shape), expected \(expected)"
        case .architecture(let reason): what = reason
        case .setting(_, let reason): what = reason
        case .unsupportedDType(let key, let dtype): what = "tensor '\(key)': unsupported dtype \(dtype)"
        case .cannotRead(let reason): what = "cannot read: \(reason)"
        case .cannotWrite(let reason): what = "cannot write: \(reason)"
        case nil: what = "conversion failed"
        }
        return "\(file): \(what)"
    }
}
