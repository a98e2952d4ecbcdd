#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The stored (uncompressed) entries of a zip archive, as `torch.save` writes them, read from a
/// read-only memory mapping.
///
/// Only what torch's writer produces is accepted: one disk, the classic or zip64 end records,
/// stored entries. A compressed entry is refused by name (torch never compresses), and every
/// offset is checked against the file size, so a truncated archive fails with a message
/// instead of reading past the mapping. CRCs are not verified (a full pass over gigabytes).
final class ZipArchive: @unchecked Sendable {
    struct Entry {
        let name: String
        let method: Int
        /// Offset of the entry's data in the file, and its length.
        let dataRange: Range<Int>
    }

    let file: String
    let mapping: MappedFile
    /// Entries by name.
    let entries: [String: Entry]
    let names: [String]

    typealias Problem = TorchCheckpointError.Problem

    init(mapping: MappedFile, file: String) throws(TorchCheckpointError) {
        self.file = file
        self.mapping = mapping
        let bytes = mapping.bytes
        do {
            let parsed = try Self.parseDirectory(bytes)
            self.entries = Dictionary(parsed.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            self.names = parsed.map(\.name)
        } catch {
            throw TorchCheckpointError(file: file, problem: error)
        }
    }

    /// The bytes of a stored entry.
    func data(_ name: String) throws(TorchCheckpointError) -> UnsafeRawBufferPointer {
        guard let entry = entries[name] else { throw TorchCheckpointError(file: file, problem: .missingEntry(name)) }
        guard entry.method == 0 else {
            throw TorchCheckpointError(file: file, problem: .compressedEntry(entry: name, method: entry.method))
        }
        return UnsafeRawBufferPointer(rebasing: mapping.bytes[entry.dataRange])
    }

    // MARK: - Parsing

    private static func u16(_ b: UnsafeRawBufferPointer, _ at: Int) -> Int {
        Int(UInt16(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt16.self)))
    }

    private static func u32(_ b: UnsafeRawBufferPointer, _ at: Int) -> Int {
        Int(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
    }

    private static func u64(_ b: UnsafeRawBufferPointer, _ at: Int) throws(Problem) -> Int {
        let value = UInt64(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt64.self))
        guard let exact = Int(exactly: value) else { throw .notZip("a zip64 field does not fit in 63 bits") }
        return exact
    }

    static func parseDirectory(_ b: UnsafeRawBufferPointer) throws(Problem) -> [Entry] {
        let size = b.count
        // End of central directory: 22 bytes plus a comment of at most 65535 bytes.
        var eocd = -1
        var position = size - 22
        let lowest = max(0, size - 22 - 65535)
        while position >= lowest {
            if u32(b, position) == 0x0605_4b50 { eocd = position; break }
            position -= 1
        }
        guard eocd >= 0 else {
            throw size >= 4 && u32(b, 0) == 0x0403_4b50
                ? .truncatedZip("no end-of-central-directory record")
                : .notZip("no end-of-central-directory record")
        }
        var count = u16(b, eocd + 10)
        var directorySize = u32(b, eocd + 12)
        var directoryOffset = u32(b, eocd + 16)
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            let locator = eocd - 20
            guard locator >= 0, u32(b, locator) == 0x0706_4b50 else {
                throw .truncatedZip("zip64 end locator missing")
            }
            let record = try u64(b, locator + 8)
            guard record >= 0, record + 56 <= size, u32(b, record) == 0x0606_4b50 else {
                throw .truncatedZip("zip64 end record outside the file")
            }
            count = try u64(b, record + 32)
            directorySize = try u64(b, record + 40)
            directoryOffset = try u64(b, record + 48)
        }
        guard directoryOffset <= size, directorySize <= size - directoryOffset else {
            throw .truncatedZip("central directory (\(directorySize) bytes at \(directoryOffset)) outside the \(size)-byte file")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(min(count, 1 << 20))
        var at = directoryOffset
        let end = directoryOffset + directorySize
        for _ in 0..<count {
            guard at + 46 <= end, u32(b, at) == 0x0201_4b50 else { throw .truncatedZip("central directory entry \(entries.count) is damaged") }
            let flags = u16(b, at + 8)
            let method = u16(b, at + 10)
            var compressed = u32(b, at + 20)
            var uncompressed = u32(b, at + 24)
            let nameLength = u16(b, at + 28)
            let extraLength = u16(b, at + 30)
            let commentLength = u16(b, at + 32)
            var localOffset = u32(b, at + 42)
            guard at + 46 + nameLength + extraLength + commentLength <= end else {
                throw .truncatedZip("central directory entry \(entries.count) is damaged")
            }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: b[(at + 46)..<(at + 46 + nameLength)]), as: UTF8.self)
            // The zip64 extra field holds the 64-bit values of the fields set to 0xFFFFFFFF, in order.
            var extra = at + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = u16(b, extra)
                let length = u16(b, extra + 2)
                guard extra + 4 + length <= extraEnd else { break }
                if id == 0x0001 {
                    var field = extra + 4
                    if uncompressed == 0xFFFF_FFFF, field + 8 <= extra + 4 + length { uncompressed = try u64(b, field); field += 8 }
                    if compressed == 0xFFFF_FFFF, field + 8 <= extra + 4 + length { compressed = try u64(b, field); field += 8 }
                    if localOffset == 0xFFFF_FFFF, field + 8 <= extra + 4 + length { localOffset = try u64(b, field) }
                }
                extra += 4 + length
            }
            if flags & 1 != 0 { throw .notZip("entry '\(name)' is encrypted") }
            guard localOffset <= size - 30, u32(b, localOffset) == 0x0403_4b50 else {
                throw .truncatedZip("local header of '\(name)' outside the file or damaged")
            }
            let dataStart = localOffset + 30 + u16(b, localOffset + 26) + u16(b, localOffset + 28)
            guard dataStart <= size, compressed <= size - dataStart else {
                throw .truncatedZip("entry '\(name)' (\(compressed) bytes) runs past the end of the file")
            }
            if method == 0 && compressed != uncompressed {
                throw .notZip("stored entry '\(name)' has different compressed and uncompressed sizes")
            }
            entries.append(Entry(name: name, method: method, dataRange: dataStart..<(dataStart + compressed)))
            at += 46 + nameLength + extraLength + commentLength
        }
        return entries
    }
}

/// A file mapped read-only (or an in-memory copy), owned for the lifetime of the reader.
final class MappedFile: @unchecked Sendable {
    let base: UnsafeRawPointer?
    let count: Int
    private let mapped: Bool

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    init(path: String) throws(TorchCheckpointError) {
        func failure(_ reason: String) -> TorchCheckpointError {
            TorchCheckpointError(file: path, problem: .cannotRead(reason))
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw failure(String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure(String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw failure("not a regular file") }
        count = Int(info.st_size)
        mapped = count > 0
        if count == 0 { base = nil; return }
        guard let pointer = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), pointer != MAP_FAILED else {
            throw failure(String(cString: strerror(errno)))
        }
        base = UnsafeRawPointer(pointer)
    }

    init(copying source: [UInt8]) {
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(source.count, 1), alignment: 16)
        source.withUnsafeBytes { if let address = $0.baseAddress { storage.copyMemory(from: address, byteCount: source.count) } }
        base = UnsafeRawPointer(storage)
        count = source.count
        mapped = false
    }

    deinit {
        if mapped, let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
        else if let base { UnsafeMutableRawPointer(mutating: base).deallocate() }
    }
}
