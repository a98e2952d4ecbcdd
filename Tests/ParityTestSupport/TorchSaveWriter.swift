import SafeTensors

/// Writes tensors in the file format `torch.save` writes since torch 1.6, for tests that need a
/// `.pth` of a model too large to commit twice (a real 49 408-token text vocabulary): a stored
/// (uncompressed) zip holding `archive/data.pkl` (a protocol-2 pickle of a dict of
/// `torch._utils._rebuild_tensor_v2(persistent storage, 0, size, stride, False, OrderedDict())`),
/// one `archive/data/<n>` record per tensor, `archive/byteorder` and `archive/version`
/// (docs/checkpoint-format.md §7 describes what the reader accepts).
///
/// That the reader understands real `torch.save` files is tested on files torch wrote
/// (Tests/TorchCheckpointTests); this writer only lets a test build a `.pth` from a committed
/// safetensors fixture, so that ovseg on the `.pth` can be compared with ovseg on its conversion.
public enum TorchSaveWriter {
    /// The `.pth` bytes of the tensors of `file` that `keep` selects (F32, F16 and BF16 kept in
    /// their dtype), as a state dict wrapped under `wrapper` (`"model"` as detectron2 saves,
    /// `"state_dict"` as open_clip's trainer does, nil: the state dict itself), every key with
    /// `keyPrefix` in front (open_clip's DataParallel `module.`).
    public static func bytes(
        of file: SafeTensorsFile, keep: (String) -> Bool = { _ in true }, wrapper: String? = nil, keyPrefix: String = ""
    ) throws -> [UInt8] {
        let names = file.names.filter(keep).sorted()
        var records: [(name: String, bytes: [UInt8])] = []
        var pickle = Pickle()
        pickle.protocol2()
        if let wrapper {
            pickle.emptyDict()
            pickle.string(wrapper)
        }
        pickle.emptyDict()
        pickle.mark()
        for (index, name) in names.enumerated() {
            let entry = try file.entry(name)
            let storage: String
            switch entry.dtype {
            case .f32: storage = "FloatStorage"
            case .f16: storage = "HalfStorage"
            case .bf16: storage = "BFloat16Storage"
            default: throw TorchSaveWriterError(message: "\(name) is \(entry.dtype.rawValue), not a floating dtype")
            }
            let count = entry.shape.reduce(1, *)
            var strides = [Int](repeating: 1, count: entry.shape.count)
            for axis in stride(from: entry.shape.count - 2, through: 0, by: -1) {
                strides[axis] = strides[axis + 1] * entry.shape[axis + 1]
            }
            pickle.string(keyPrefix + name)
            pickle.global("torch._utils", "_rebuild_tensor_v2")
            pickle.mark()
            // persistent id ('storage', torch.<Name>Storage, key, location, numel)
            pickle.mark()
            pickle.string("storage")
            pickle.global("torch", storage)
            pickle.string(String(index))
            pickle.string("cpu")
            pickle.int(count)
            pickle.tuple()
            pickle.persistentID()
            pickle.int(0)
            pickle.intTuple(entry.shape)
            pickle.intTuple(strides)
            pickle.bool(false)
            pickle.global("collections", "OrderedDict")
            pickle.emptyTuple()
            pickle.reduce()
            pickle.tuple()
            pickle.reduce()
            records.append(("archive/data/\(index)", try file.rawBytes(name)))
        }
        pickle.setItems()
        if wrapper != nil { pickle.setItem() }
        pickle.stop()
        var zip = StoredZip()
        zip.add("archive/data.pkl", pickle.bytes)
        zip.add("archive/byteorder", Array("little".utf8))
        for record in records { zip.add(record.name, record.bytes) }
        zip.add("archive/version", Array("3\n".utf8))
        return zip.finish()
    }
}

/// A tensor the writer does not write.
public struct TorchSaveWriterError: Error {
    public let message: String
}

/// The pickle opcodes `TorchSaveWriter` needs (protocol 2).
private struct Pickle {
    var bytes: [UInt8] = []

    mutating func protocol2() { bytes += [0x80, 2] }
    mutating func mark() { bytes.append(UInt8(ascii: "(")) }
    mutating func emptyDict() { bytes.append(UInt8(ascii: "}")) }
    mutating func emptyTuple() { bytes.append(UInt8(ascii: ")")) }
    mutating func tuple() { bytes.append(UInt8(ascii: "t")) }
    mutating func setItem() { bytes.append(UInt8(ascii: "s")) }
    mutating func setItems() { bytes.append(UInt8(ascii: "u")) }
    mutating func reduce() { bytes.append(UInt8(ascii: "R")) }
    mutating func persistentID() { bytes.append(UInt8(ascii: "Q")) }
    mutating func stop() { bytes.append(UInt8(ascii: ".")) }
    mutating func bool(_ value: Bool) { bytes.append(value ? 0x88 : 0x89) }

    mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        bytes.append(UInt8(ascii: "X"))
        bytes += littleEndian(UInt32(utf8.count))
        bytes += utf8
    }

    /// BININT: a signed 32-bit integer.
    mutating func int(_ value: Int) {
        bytes.append(UInt8(ascii: "J"))
        bytes += littleEndian(UInt32(bitPattern: Int32(value)))
    }

    mutating func intTuple(_ values: [Int]) {
        mark()
        for value in values { int(value) }
        tuple()
    }

    mutating func global(_ module: String, _ name: String) {
        bytes.append(UInt8(ascii: "c"))
        bytes += Array("\(module)\n\(name)\n".utf8)
    }
}

/// A zip archive of stored entries with correct CRC-32s (as torch's writer makes them).
private struct StoredZip {
    var data: [UInt8] = []
    var directory: [UInt8] = []
    var count = 0

    mutating func add(_ name: String, _ content: [UInt8]) {
        let nameBytes = Array(name.utf8)
        let crc = crc32(content)
        let offset = data.count
        func common() -> [UInt8] {
            littleEndian(UInt16(20)) + littleEndian(UInt16(0)) + littleEndian(UInt16(0))  // version, flags, method: stored
                + littleEndian(UInt16(0)) + littleEndian(UInt16(0))  // time, date
                + littleEndian(crc) + littleEndian(UInt32(content.count)) + littleEndian(UInt32(content.count))
                + littleEndian(UInt16(nameBytes.count)) + littleEndian(UInt16(0))
        }
        data += littleEndian(UInt32(0x0403_4b50)) + common() + nameBytes + content
        directory += littleEndian(UInt32(0x0201_4b50)) + littleEndian(UInt16(20)) + common()
            + littleEndian(UInt16(0)) + littleEndian(UInt16(0)) + littleEndian(UInt16(0)) + littleEndian(UInt32(0))
            + littleEndian(UInt32(offset)) + nameBytes
        count += 1
    }

    func finish() -> [UInt8] {
        data + directory + littleEndian(UInt32(0x0605_4b50)) + littleEndian(UInt16(0)) + littleEndian(UInt16(0))
            + littleEndian(UInt16(count)) + littleEndian(UInt16(count))
            + littleEndian(UInt32(directory.count)) + littleEndian(UInt32(data.count)) + littleEndian(UInt16(0))
    }
}

private func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

private func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}
