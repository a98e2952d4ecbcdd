/// A PyTorch checkpoint that could not be read, with the file and, where there is one, the
/// archive entry or state-dict key at fault.
public struct TorchCheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    public let file: String
    public let problem: Problem

    public init(file: String, problem: Problem) {
        self.file = file
        self.problem = problem
    }

    public enum Problem: Error, Equatable, Sendable {
        case cannotRead(String)
        /// Not a zip archive: the pre-1.6 `torch.save` format, or something else.
        case legacyFormat
        case notZip(String)
        /// The zip's directory or an entry points past the end of the file.
        case truncatedZip(String)
        case compressedEntry(entry: String, method: Int)
        case missingEntry(String)
        case bigEndian(String)
        /// TorchScript archives hold code, not a state dict.
        case torchScript
        case malformedPickle(offset: Int, reason: String)
        /// A global outside the allow-list (the reader never imports or calls anything).
        case forbiddenGlobal(String)
        case missingStorage(key: String, storage: String)
        case shortStorage(key: String, storage: String, needed: Int, available: Int)
        case viewOutOfBounds(key: String, reason: String)
        case unsupportedDType(key: String, dtype: String)
        case noStateDict(String)
        case missingTensor(String)
    }

    public var description: String {
        let what: String
        switch problem {
        case .cannotRead(let reason): what = "cannot read: \(reason)"
        case .legacyFormat:
            what = "written in PyTorch's legacy (pre-1.6, non-zip) format, which ovseg does not read; "
                + "re-save it with a current torch.save, or convert it with the reference exporter"
        case .notZip(let reason): what = "not a PyTorch zip checkpoint: \(reason)"
        case .truncatedZip(let reason): what = "truncated or damaged zip archive: \(reason)"
        case .compressedEntry(let entry, let method):
            what = "archive entry '\(entry)' is compressed (zip method \(method)); torch.save stores entries uncompressed"
        case .missingEntry(let entry): what = "archive has no '\(entry)'"
        case .bigEndian(let entry): what = "'\(entry)' says the tensors are big-endian; only little-endian checkpoints are read"
        case .torchScript: what = "a TorchScript archive (torch.jit.save), not a torch.save checkpoint"
        case .malformedPickle(let offset, let reason): what = "malformed data.pkl at byte \(offset): \(reason)"
        case .forbiddenGlobal(let name):
            what = "data.pkl asks for the Python global '\(name)', which is not on the allow-list "
                + "(tensor rebuild functions, storage types, OrderedDict, torch.Size); refused without running anything"
        case .missingStorage(let key, let storage): what = "tensor '\(key)': storage record 'data/\(storage)' is missing"
        case .shortStorage(let key, let storage, let needed, let available):
            what = "tensor '\(key)': storage record 'data/\(storage)' has \(available) bytes, the tensor needs \(needed)"
        case .viewOutOfBounds(let key, let reason): what = "tensor '\(key)': \(reason)"
        case .unsupportedDType(let key, let dtype): what = "tensor '\(key)': unsupported dtype \(dtype)"
        case .noStateDict(let reason): what = "no state dict: \(reason)"
        case .missingTensor(let key): what = "no tensor '\(key)'"
        }
        return "\(file): \(what)"
    }
}
