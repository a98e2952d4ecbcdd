/// A safetensors file that could not be opened, parsed or read, with the file
/// and the precise problem (and, where there is one, the tensor key).
public struct SafeTensorsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file (or `"<memory>"` for in-memory buffers).
    public let file: String
    /// What is wrong.
    public let problem: Problem

    public init(file: String, problem: Problem) {
        self.file = file
        self.problem = problem
    }

    /// The ways a safetensors file can be unusable.
    public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
        /// `open`/`fstat`/`mmap` failed (message from the system).
        case cannotRead(String)
        /// Fewer than the 8 bytes that hold the header length.
        case tooShort(size: Int)
        /// The declared header length is over the 100 MB limit of the reference parser.
        case headerTooLarge(declared: UInt64, limit: Int)
        /// The file ends before the declared header does.
        case truncatedHeader(declared: UInt64, available: Int)
        /// The header is not a UTF-8 JSON object (detail from the parser).
        case malformedHeader(String)
        /// A key appears twice in the header.
        case duplicateKey(String)
        /// `__metadata__` is not a string-to-string map.
        case invalidMetadata(String)
        /// A tensor entry lacks a field or has one of the wrong type.
        case invalidEntry(key: String, reason: String)
        /// The dtype string is not one safetensors defines.
        case unknownDType(key: String, dtype: String)
        /// `data_offsets` end before they begin, or lie outside the data buffer.
        case offsetsOutOfRange(key: String, begin: Int, end: Int, bufferLength: Int)
        /// The byte range does not hold `numel × sizeof(dtype)` bytes.
        case byteLengthMismatch(key: String, expected: Int, actual: Int)
        /// Two tensors share bytes.
        case overlap(key: String, other: String)
        /// Bytes between two tensors (or before the first) belong to none.
        case gap(before: String, start: Int, end: Int)
        /// The data buffer continues past the last tensor.
        case trailingBytes(count: Int)
        /// No tensor with this key.
        case missingTensor(key: String, available: Int)
        /// The tensor exists but its dtype cannot be read as floating point.
        case notFloatingPoint(key: String, dtype: String)
        /// The tensor has the wrong shape for the caller.
        case unexpectedShape(key: String, expected: [Int], actual: [Int])
        /// A sharded checkpoint's `model.safetensors.index.json` is unusable (the key is named).
        case invalidIndex(key: String, reason: String)
        /// A checkpoint path that is neither a safetensors file nor a folder holding one.
        case notACheckpoint(String)
        /// A weight is NaN or infinite: the model would silently predict garbage (e.g. class 0 everywhere).
        case nonFiniteValue(key: String, index: Int, value: Float)

        public var description: String {
            switch self {
            case .cannotRead(let message): return "cannot read the file: \(message)"
            case .invalidIndex(let key, let reason): return "index key '\(key)': \(reason)"
            case .notACheckpoint(let detail): return detail
            case .tooShort(let size): return "file is \(size) bytes long, too short for a safetensors header"
            case .headerTooLarge(let declared, let limit):
                return "header length \(declared) bytes exceeds the limit of \(limit) bytes (corrupt or not a safetensors file)"
            case .truncatedHeader(let declared, let available):
                return "header declares \(declared) bytes but only \(available) follow (file truncated?)"
            case .malformedHeader(let detail): return "header is not a valid JSON object: \(detail)"
            case .duplicateKey(let key): return "header lists key '\(key)' more than once"
            case .invalidMetadata(let detail): return "__metadata__ must map strings to strings: \(detail)"
            case .invalidEntry(let key, let reason): return "tensor '\(key)': \(reason)"
            case .unknownDType(let key, let dtype): return "tensor '\(key)': unknown dtype '\(dtype)'"
            case .offsetsOutOfRange(let key, let begin, let end, let length):
                return "tensor '\(key)': data_offsets [\(begin), \(end)] do not fit the \(length)-byte data buffer"
            case .byteLengthMismatch(let key, let expected, let actual):
                return "tensor '\(key)': dtype and shape need \(expected) bytes but data_offsets span \(actual)"
            case .overlap(let key, let other): return "tensors '\(other)' and '\(key)' overlap"
            case .gap(let before, let start, let end):
                return "bytes \(start)..<\(end) of the data buffer (before tensor '\(before)') belong to no tensor"
            case .trailingBytes(let count): return "\(count) bytes after the last tensor belong to no tensor"
            case .missingTensor(let key, let available): return "no tensor named '\(key)' (the file has \(available) tensors)"
            case .notFloatingPoint(let key, let dtype): return "tensor '\(key)' has dtype \(dtype), not F32/F16/BF16/F64"
            case .nonFiniteValue(let key, let index, let value):
                return "tensor '\(key)' holds \(value) at element \(index): the weights are damaged (a diverged training run or a bad conversion)"
            case .unexpectedShape(let key, let expected, let actual):
                return "tensor '\(key)' has shape \(actual), expected \(expected)"
            }
        }
    }

    public var description: String { "\(file): \(problem)" }
}
