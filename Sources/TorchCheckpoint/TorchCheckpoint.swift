/// A checkpoint written by `torch.save` (`.pth`, `.pt`, `.bin`), read without Python.
///
/// The file is the zip format torch has written since 1.6: `<archive>/data.pkl` (the pickled
/// object), `<archive>/data/<key>` (one raw storage per key), `<archive>/byteorder`. The archive
/// is memory-mapped; `data.pkl` is read by a pickle reader that never runs code (an allow-list
/// of globals, see `PickleReader`); tensors are strided views of storages, copied out contiguous
/// on request, so views (transposes, slices) and storages shared by several tensors read
/// correctly. The legacy non-zip format and TorchScript archives are refused with a message.
public final class TorchCheckpoint: @unchecked Sendable {
    /// The path given at open (or the name given to an in-memory buffer).
    public let file: String
    /// The unpickled object.
    public let root: PickleValue

    private let archive: ZipArchive
    /// `<archive>/` of the entries.
    private let prefix: String

    /// Maps and parses the checkpoint at `path`.
    public convenience init(path: String) throws(TorchCheckpointError) {
        try self.init(mapping: try MappedFile(path: path), file: path)
    }

    /// Parses an in-memory checkpoint (tests).
    public convenience init(bytes: [UInt8], name: String = "<memory>") throws(TorchCheckpointError) {
        try self.init(mapping: MappedFile(copying: bytes), file: name)
    }

    private init(mapping: MappedFile, file: String) throws(TorchCheckpointError) {
        self.file = file
        let head = Array(mapping.bytes.prefix(4))
        if Self.isLegacy(head) {
            throw TorchCheckpointError(file: file, problem: .legacyFormat)
        }
        if !Self.isZip(head) {
            throw TorchCheckpointError(
                file: file, problem: head.count < 4 ? .truncatedZip("only \(mapping.count) bytes") : .notZip("it does not start with a zip header"))
        }
        let archive = try ZipArchive(mapping: mapping, file: file)
        let pickles = archive.names.filter { name in
            name.hasSuffix("/data.pkl") && !name.dropLast("/data.pkl".count).contains("/")
        }
        guard let pickle = pickles.first else {
            let torchScript = archive.names.contains { $0.hasSuffix("/constants.pkl") || $0.contains("/code/") }
            throw TorchCheckpointError(file: file, problem: torchScript ? .torchScript : .missingEntry("<archive>/data.pkl"))
        }
        let prefix = String(pickle.dropLast("data.pkl".count))
        if archive.entries[prefix + "byteorder"] != nil {
            let order = String(decoding: try archive.data(prefix + "byteorder"), as: UTF8.self)
            guard order == "little" else { throw TorchCheckpointError(file: file, problem: .bigEndian(prefix + "byteorder")) }
        }
        let data = try archive.data(pickle)
        do {
            root = try PickleReader.read(data)
        } catch {
            throw TorchCheckpointError(file: file, problem: error)
        }
        self.archive = archive
        self.prefix = prefix
    }

    /// Whether a file starting with `head` is a zip archive (a local file header).
    public static func isZip(_ head: [UInt8]) -> Bool { head.starts(with: [0x50, 0x4b, 0x03, 0x04]) }

    /// Whether a file starting with `head` is in the legacy format: pickle protocol 2, then the
    /// 10-byte integer of torch's magic number (`\x80\x02\x8a\x0a`).
    public static func isLegacy(_ head: [UInt8]) -> Bool { head.starts(with: [0x80, 0x02, 0x8a, 0x0a]) }

    /// The model's tensors: the top-level dict, unwrapped from `["model"]` (detectron2) or
    /// `["state_dict"]` (open_clip and Lightning), with a `module.` prefix (DataParallel)
    /// removed when every key has it. Values that are not tensors (iteration counts, optimizer
    /// state, nested dicts of the state dict) are left out.
    public func stateDict() throws(TorchCheckpointError) -> TorchStateDict {
        guard case .dict(let top) = root else {
            throw TorchCheckpointError(file: file, problem: .noStateDict("data.pkl holds a \(root.kindName), not a dict"))
        }
        var dict = top
        var location = ""
        for wrapper in ["model", "state_dict"] {
            if case .dict(let inner)? = top[wrapper] {
                dict = inner
                location = wrapper
                break
            }
        }
        var names: [String] = []
        var tensors: [String: TorchTensorReference] = [:]
        for (key, value) in dict.pairs {
            guard case .string(let name) = key, case .tensor(let tensor) = value else { continue }
            if tensors.updateValue(tensor, forKey: name) == nil { names.append(name) }
        }
        guard !names.isEmpty else {
            throw TorchCheckpointError(
                file: file, problem: .noStateDict(location.isEmpty ? "the top-level dict holds no tensors" : "['\(location)'] holds no tensors"))
        }
        var stripped: String?
        if names.allSatisfy({ $0.hasPrefix("module.") }) {
            stripped = "module."
            names = names.map { String($0.dropFirst(7)) }
            tensors = Dictionary(uniqueKeysWithValues: tensors.map { (String($0.key.dropFirst(7)), $0.value) })
        }
        return TorchStateDict(names: names, tensors: tensors, location: location, strippedPrefix: stripped)
    }

    /// The tensor's elements in row-major order, as little-endian bytes of its dtype.
    ///
    /// - Parameter key: the name to report in errors.
    /// - Throws: `missingStorage`, `shortStorage`, `viewOutOfBounds`, `unsupportedDType`.
    public func contiguousBytes(_ tensor: TorchTensorReference, key: String) throws(TorchCheckpointError) -> [UInt8] {
        let (dtype, source, count) = try view(tensor, key: key)
        let size = dtype.byteSize
        return [UInt8](unsafeUninitializedCapacity: count * size) { out, initialized in
            if count > 0, let destination = out.baseAddress {
                Self.gather(tensor, elementSize: size, from: source, into: UnsafeMutableRawPointer(destination))
            }
            initialized = count * size
        }
    }

    /// The tensor widened (F16, BF16) or narrowed (F64) to Float32, row-major.
    /// - Throws: as `contiguousBytes`, and `unsupportedDType` for integer tensors.
    public func floats(_ tensor: TorchTensorReference, key: String) throws(TorchCheckpointError) -> [Float] {
        let (dtype, source, count) = try view(tensor, key: key)
        guard dtype.isFloatingPoint else {
            throw TorchCheckpointError(file: file, problem: .unsupportedDType(key: key, dtype: "\(dtype.rawValue) (not floating point)"))
        }
        if dtype == .f32 {
            #if _endian(little)
            return [Float](unsafeUninitializedCapacity: count) { out, initialized in
                if count > 0, let destination = out.baseAddress {
                    Self.gather(tensor, elementSize: 4, from: source, into: UnsafeMutableRawPointer(destination))
                }
                initialized = count
            }
            #endif
        }
        let raw = try contiguousBytes(tensor, key: key)
        return raw.withUnsafeBytes { b in
            [Float](unsafeUninitializedCapacity: count) { out, initialized in
                switch dtype {
                case .f32:
                    for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
                case .f16:
                    for i in 0..<count { out[i] = halfToFloat(UInt16(littleEndian: b.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
                case .bf16:
                    for i in 0..<count { out[i] = Float(bitPattern: UInt32(UInt16(littleEndian: b.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16) }
                case .f64:
                    for i in 0..<count { out[i] = Float(Double(bitPattern: UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
                default: break
                }
                initialized = count
            }
        }
    }

    /// Checks a view against its storage record; returns the dtype, the record and the element count.
    private func view(_ tensor: TorchTensorReference, key: String) throws(TorchCheckpointError) -> (TorchDType, UnsafeRawPointer?, Int) {
        func failure(_ problem: TorchCheckpointError.Problem) -> TorchCheckpointError {
            TorchCheckpointError(file: file, problem: problem)
        }
        let storage = tensor.storage
        guard let dtype = storage.dtype else {
            throw failure(.unsupportedDType(key: key, dtype: "torch.\(storage.storageClass)"))
        }
        let entry = prefix + "data/" + storage.key
        guard archive.entries[entry] != nil else { throw failure(.missingStorage(key: key, storage: storage.key)) }
        let record = try archive.data(entry)
        var count = 1
        var last = tensor.storageOffset
        for (extent, stride) in zip(tensor.shape, tensor.strides) {
            let (c, o1) = count.multipliedReportingOverflow(by: extent)
            let (reach, o2) = max(extent - 1, 0).multipliedReportingOverflow(by: stride)
            let (sum, o3) = last.addingReportingOverflow(reach)
            guard !o1, !o2, !o3 else { throw failure(.viewOutOfBounds(key: key, reason: "size \(tensor.shape) with stride \(tensor.strides) overflows")) }
            count = c
            last = sum
        }
        if count == 0 { return (dtype, nil, 0) }
        guard last < storage.count else {
            throw failure(.viewOutOfBounds(
                key: key, reason: "the view (offset \(tensor.storageOffset), size \(tensor.shape), stride \(tensor.strides)) reaches element \(last) of a \(storage.count)-element storage"))
        }
        let (needed, overflow) = (last + 1).multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, needed <= record.count else {
            throw failure(.shortStorage(key: key, storage: storage.key, needed: overflow ? Int.max : needed, available: record.count))
        }
        return (dtype, record.baseAddress, count)
    }

    /// Copies a checked strided view into contiguous memory (runs of the innermost dimension
    /// copied at once when it is contiguous).
    private static func gather(
        _ tensor: TorchTensorReference, elementSize: Int, from source: UnsafeRawPointer?, into destination: UnsafeMutableRawPointer
    ) {
        guard let source else { return }
        let shape = tensor.shape
        let strides = tensor.strides
        let base = source + tensor.storageOffset * elementSize
        guard let innermost = shape.indices.last else {
            destination.copyMemory(from: base, byteCount: elementSize)
            return
        }
        var contiguous = true
        var expected = 1
        for d in shape.indices.reversed() where shape[d] != 1 {
            if strides[d] != expected { contiguous = false; break }
            expected *= shape[d]
        }
        if contiguous {
            destination.copyMemory(from: base, byteCount: shape.reduce(1, *) * elementSize)
            return
        }
        let run = shape[innermost]
        let runContiguous = strides[innermost] == 1 || run == 1
        var index = [Int](repeating: 0, count: shape.count)
        var out = destination
        let outer = shape.dropLast().reduce(1, *)
        for _ in 0..<outer {
            var offset = 0
            for d in 0..<innermost { offset += index[d] * strides[d] }
            let start = base + offset * elementSize
            if runContiguous {
                out.copyMemory(from: start, byteCount: run * elementSize)
            } else {
                for j in 0..<run {
                    (out + j * elementSize).copyMemory(from: start + j * strides[innermost] * elementSize, byteCount: elementSize)
                }
            }
            out += run * elementSize
            var d = innermost - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
    }
}

/// The tensors of a checkpoint's state dict, in the order the file lists them.
public struct TorchStateDict: Sendable {
    public let names: [String]
    public let tensors: [String: TorchTensorReference]
    /// `"model"`, `"state_dict"`, or `""` for the top-level dict.
    public let location: String
    /// `"module."` when that prefix was removed.
    public let strippedPrefix: String?
}

extension PickleValue {
    var kindName: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .tuple: "tuple"
        case .list: "list"
        case .dict: "dict"
        case .global(let name): name
        case .storage: "storage"
        case .tensor: "tensor"
        }
    }
}

/// IEEE 754 binary16 → Float32, exact (subnormals, ±∞, NaN).
func halfToFloat(_ bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = Int(bits >> 10) & 0x1f
    let mantissa = UInt32(bits & 0x3ff)
    if exponent == 0 {
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    }
    if exponent == 0x1f { return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13)) }
    return Float(bitPattern: sign | (UInt32(exponent + 112) << 23) | (mantissa << 13))
}
