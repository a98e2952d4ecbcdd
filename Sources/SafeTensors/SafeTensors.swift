import Foundation
import Tensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Element types defined by the safetensors format.
public enum SafeTensorsDType: String, Sendable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
    case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8"
    case bool = "BOOL", f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64, .u64: 8
        case .f32, .i32, .u32: 4
        case .f16, .bf16, .i16, .u16: 2
        case .i8, .u8, .bool, .f8e4m3, .f8e5m2: 1
        }
    }

    /// Whether `SafeTensorsFile.tensor(_:)` can widen it to Float32.
    public var isReadableAsFloat: Bool { [.f64, .f32, .f16, .bf16].contains(self) }
}

/// One tensor's header entry.
public struct SafeTensorsEntry: Sendable, Equatable {
    public let name: String
    public let dtype: SafeTensorsDType
    /// `[]` for a scalar.
    public let shape: [Int]
    /// Byte range relative to the start of the data buffer (end exclusive).
    public let dataRange: Range<Int>
}

/// A safetensors file, memory-mapped read-only and validated on open.
///
/// Opening checks everything the format promises (safetensors README and the
/// reference parser): header length within 100 MB and within the file, a UTF-8
/// JSON object without duplicate keys, known dtypes, integer shapes,
/// `data_offsets` inside the buffer with `numel × sizeof(dtype)` bytes each,
/// and tensors tiling the buffer with no overlap, gap or trailing bytes. A
/// malformed file therefore fails with a `SafeTensorsError` naming the
/// problem (and key) before any tensor is read, and no allocation is sized
/// from unchecked header values. Reading a tensor copies (and widens) its
/// bytes into a `Tensor`; unaligned data is handled.
///
/// The class is immutable after `init` and only reads its private read-only
/// mapping, hence `@unchecked Sendable`.
public final class SafeTensorsFile: @unchecked Sendable {
    /// Header lengths above this are rejected (reference `MAX_HEADER_SIZE`).
    public static let maximumHeaderLength = 100_000_000

    /// Path given at open, or `"<memory>"`.
    public let file: String
    /// `__metadata__` (empty if absent).
    public let metadata: [String: String]
    /// Tensor entries by key.
    public let entries: [String: SafeTensorsEntry]
    /// Keys in data-offset order.
    public let names: [String]

    private let region: Region
    private let dataStart: Int
    /// For a sharded checkpoint: the shard holding each key (empty for one file).
    private let shardByKey: [String: SafeTensorsFile]
    /// The files behind this one: itself, or its shards sorted by file name.
    public var shardFiles: [String] { shardByKey.isEmpty ? [file] : shardPaths }
    private let shardPaths: [String]

    /// Maps and validates the file at `path`.
    public convenience init(path: String) throws(SafeTensorsError) {
        let region: Region
        do {
            region = try Region(mapping: path)
        } catch {
            throw SafeTensorsError(file: path, problem: .cannotRead(error.message))
        }
        try self.init(region: region, file: path)
    }

    /// Validates an in-memory safetensors buffer (tests, generated files).
    public convenience init(bytes: [UInt8], name: String = "<memory>") throws(SafeTensorsError) {
        try self.init(region: Region(copying: bytes), file: name)
    }

    private init(region: Region, file: String) throws(SafeTensorsError) {
        self.region = region
        self.file = file
        let parsed: Header
        do {
            parsed = try Header.parse(UnsafeRawBufferPointer(start: region.base, count: region.count))
        } catch {
            throw SafeTensorsError(file: file, problem: error)
        }
        self.metadata = parsed.metadata
        self.entries = Dictionary(uniqueKeysWithValues: parsed.entries.map { ($0.name, $0) })
        self.names = parsed.entries.map(\.name)
        self.dataStart = parsed.dataStart
        self.shardByKey = [:]
        self.shardPaths = []
    }

    /// A sharded checkpoint (Hugging Face `model.safetensors.index.json`): the
    /// `weight_map` names the shard of every tensor; each shard is mapped and
    /// validated as a file of its own and read in place. Every mapped key must
    /// be in its shard, and no key may be in two shards. `metadata` is the
    /// union of the shards' `__metadata__`.
    public convenience init(index path: String) throws(SafeTensorsError) {
        let map = try Self.weightMap(index: path)
        let folder = (path as NSString).deletingLastPathComponent
        var shards: [String: SafeTensorsFile] = [:]
        var order: [String] = []
        for shard in Set(map.map(\.shard)).sorted() {
            guard !shard.contains("/"), shard != "..", shard != "." else {
                throw SafeTensorsError(file: path, problem: .invalidIndex(key: "weight_map", reason: "shard '\(shard)' is not a file name beside the index"))
            }
            shards[shard] = try SafeTensorsFile(path: (folder as NSString).appendingPathComponent(shard))
            order.append(shard)
        }
        var byKey: [String: SafeTensorsFile] = [:]
        var metadata: [String: String] = [:]
        for shard in order {
            guard let file = shards[shard] else { continue }
            metadata.merge(file.metadata) { first, _ in first }
            for name in file.names {
                if let other = byKey[name] {
                    throw SafeTensorsError(file: path, problem: .invalidIndex(
                        key: name, reason: "tensor is in both \(other.file) and \(file.file)"))
                }
                byKey[name] = file
            }
        }
        for (key, shard) in map where byKey[key]?.file != shards[shard]?.file {
            throw SafeTensorsError(file: path, problem: .invalidIndex(
                key: "weight_map.\(key)", reason: "tensor '\(key)' is not in shard '\(shard)'"))
        }
        self.init(file: path, metadata: metadata, shards: byKey, paths: order.compactMap { shards[$0]?.file })
    }

    private init(file: String, metadata: [String: String], shards: [String: SafeTensorsFile], paths: [String]) {
        self.file = file
        self.metadata = metadata
        self.region = Region(copying: [])
        self.dataStart = 0
        self.shardByKey = shards
        self.shardPaths = paths
        var entries: [String: SafeTensorsEntry] = [:]
        var names: [String] = []
        for path in paths {
            guard let shard = shards.values.first(where: { $0.file == path }) else { continue }
            for name in shard.names {
                entries[name] = shard.entries[name]
                names.append(name)
            }
        }
        self.entries = entries
        self.names = names
    }

    /// The `weight_map` of an index file: tensor key → shard file name.
    private static func weightMap(index path: String) throws(SafeTensorsError) -> [(key: String, shard: String)] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SafeTensorsError(file: path, problem: .cannotRead(error.localizedDescription))
        }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SafeTensorsError(file: path, problem: .invalidIndex(key: "", reason: "not a JSON object"))
        }
        guard let map = root["weight_map"] as? [String: Any], !map.isEmpty else {
            throw SafeTensorsError(file: path, problem: .invalidIndex(key: "weight_map", reason: "missing, empty or not an object"))
        }
        var pairs: [(key: String, shard: String)] = []
        for key in map.keys.sorted() {
            guard let shard = map[key] as? String, !shard.isEmpty else {
                throw SafeTensorsError(file: path, problem: .invalidIndex(key: "weight_map.\(key)", reason: "not a file name"))
            }
            pairs.append((key, shard))
        }
        return pairs
    }

    /// The entry for `key`, or `missingTensor` naming the key.
    public func entry(_ key: String) throws(SafeTensorsError) -> SafeTensorsEntry {
        guard let entry = entries[key] else {
            throw SafeTensorsError(file: file, problem: .missingTensor(key: key, available: entries.count))
        }
        return entry
    }

    /// Whether a tensor named `key` exists.
    public func contains(_ key: String) -> Bool { entries[key] != nil }

    /// The tensor `key` as Float32 (F32 copied, F16/BF16/F64 converted).
    ///
    /// - Parameters:
    ///   - shape: if given, the tensor must have exactly this shape.
    ///   - allowNonFinite: accept NaN and infinities. Model weights never hold them, so by default
    ///     they are refused: a damaged checkpoint would otherwise predict one class everywhere.
    /// - Throws: `missingTensor`, `notFloatingPoint`, `unexpectedShape` or `nonFiniteValue`.
    public func tensor(_ key: String, shape expected: [Int]? = nil, allowNonFinite: Bool = false) throws(SafeTensorsError) -> Tensor {
        if let shard = shardByKey[key] { return try shard.tensor(key, shape: expected, allowNonFinite: allowNonFinite) }
        let entry = try entry(key)
        if let expected, expected != entry.shape {
            throw SafeTensorsError(file: file, problem: .unexpectedShape(key: key, expected: expected, actual: entry.shape))
        }
        guard entry.dtype.isReadableAsFloat else {
            throw SafeTensorsError(file: file, problem: .notFloatingPoint(key: key, dtype: entry.dtype.rawValue))
        }
        let count = entry.shape.reduce(1, *)
        let source = UnsafeRawPointer(region.base + dataStart + entry.dataRange.lowerBound)
        let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            switch entry.dtype {
            case .f32:
                #if _endian(little)
                if count > 0 { UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: source, byteCount: count * 4) }
                #else
                for i in 0..<count {
                    out[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                }
                #endif
            case .f16:
                for i in 0..<count {
                    let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
                    out[i] = halfToFloat(bits)
                }
            case .bf16:
                for i in 0..<count {
                    let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
                    out[i] = Float(bitPattern: UInt32(bits) << 16)
                }
            case .f64:
                for i in 0..<count {
                    let bits = UInt64(littleEndian: source.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
                    out[i] = Float(Double(bitPattern: bits))
                }
            default:
                break  // excluded above
            }
            initialized = count
        }
        if !allowNonFinite, let index = Self.firstNonFinite(values) {
            throw SafeTensorsError(file: file, problem: .nonFiniteValue(key: key, index: index, value: values[index]))
        }
        do {
            return try Tensor(shape: entry.shape, scalars: values)
        } catch {
            throw SafeTensorsError(file: file, problem: .invalidEntry(key: key, reason: error.description))
        }
    }

    /// The index of the first NaN or infinity, if any. Reads exponent bits in blocks, so the
    /// common all-finite case is one vectorised pass.
    static func firstNonFinite(_ values: [Float]) -> Int? {
        values.withUnsafeBufferPointer { buffer -> Int? in
            let bits = UnsafeRawBufferPointer(buffer).bindMemory(to: UInt32.self)
            let block = 4096
            var start = 0
            while start < bits.count {
                let end = min(start + block, bits.count)
                var saturated: UInt32 = 0
                for i in start..<end {
                    // All exponent bits set: infinity or NaN.
                    saturated |= (bits[i] & 0x7F80_0000) == 0x7F80_0000 ? 1 : 0
                }
                if saturated != 0 { return (start..<end).first { !buffer[$0].isFinite } }
                start = end
            }
            return nil
        }
    }

    /// The raw little-endian bytes of `key` (any dtype).
    public func rawBytes(_ key: String) throws(SafeTensorsError) -> [UInt8] {
        if let shard = shardByKey[key] { return try shard.rawBytes(key) }
        let entry = try entry(key)
        return Array(UnsafeRawBufferPointer(start: region.base + dataStart + entry.dataRange.lowerBound,
                                            count: entry.dataRange.count))
    }
}

/// IEEE 754 binary16 → Float32, exact for every value (subnormals, ±∞, NaN).
@inline(__always)
func halfToFloat(_ bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = Int(bits >> 10) & 0x1f
    let mantissa = UInt32(bits & 0x3ff)
    if exponent == 0 {
        // Zero or subnormal: mantissa · 2^-24.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    }
    if exponent == 0x1f {
        return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
    }
    return Float(bitPattern: sign | (UInt32(exponent + 112) << 23) | (mantissa << 13))
}

/// Owner of the file bytes: a read-only private mapping or a heap copy.
private final class Region {
    let base: UnsafeMutableRawPointer
    let count: Int
    private let mapped: Bool

    struct SystemError: Error { let message: String }

    init(mapping path: String) throws(SystemError) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw SystemError(message: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SystemError(message: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw SystemError(message: "not a regular file") }
        let size = Int(info.st_size)
        if size == 0 {
            // mmap rejects length 0; an empty file is reported as too short by the parser.
            base = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 16)
            count = 0
            mapped = false
            return
        }
        guard let pointer = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), pointer != MAP_FAILED else {
            throw SystemError(message: String(cString: strerror(errno)))
        }
        base = pointer
        count = size
        mapped = true
    }

    init(copying bytes: [UInt8]) {
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        bytes.withUnsafeBytes { source in
            if let address = source.baseAddress { storage.copyMemory(from: address, byteCount: bytes.count) }
        }
        base = storage
        count = bytes.count
        mapped = false
    }

    deinit {
        if mapped { munmap(base, count) } else { base.deallocate() }
    }
}
