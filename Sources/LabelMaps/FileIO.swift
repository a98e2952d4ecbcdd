import FileOutput

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `read(2)`; a free function because `FileBytes.read` shadows the name inside the enum.
private func readSome(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

/// Whole-file reads with POSIX calls (no Foundation), errors as `LabelMapError`.
public enum FileBytes {
    /// The bytes of the file at `path`. Throws `.cannotOpen` naming the file and the system error.
    public static func read(path: String) throws -> [UInt8] {
        let (descriptor, size) = try openRegularFile(path)
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while true {
            if filled == bytes.count {
                // The file may have grown since fstat: keep reading until EOF.
                bytes.append(contentsOf: repeatElement(0, count: max(4096, bytes.count / 2)))
            }
            let got = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return readSome(descriptor, base + filled, buffer.count - filled)
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw systemError(.cannotOpen, path, "cannot read file")
            }
            if got == 0 { break }
            filled += got
        }
        bytes.removeSubrange(filled...)
        return bytes
    }

    /// Whether `path` names a regular file (symbolic links followed).
    public static func isRegularFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
    }

    /// Up to `count` first bytes of the file at `path` (fewer when the file is shorter), to
    /// recognise its format without reading it whole. Throws `.cannotOpen` like `read`.
    public static func head(path: String, count: Int) throws(LabelMapError) -> [UInt8] {
        let (descriptor, _) = try openRegularFile(path)
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return readSome(descriptor, base + filled, count - filled)
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw systemError(.cannotOpen, path, "cannot read file")
            }
            if got == 0 { break }
            filled += got
        }
        return Array(bytes.prefix(filled))
    }

    /// Opens `path` for reading if it is a regular file; returns the descriptor and the size.
    /// O_NONBLOCK: opening a FIFO or a device must not wait for a writer before the regular-file
    /// check can refuse it (it has no effect on regular files).
    private static func openRegularFile(_ path: String) throws(LabelMapError) -> (descriptor: Int32, size: Int) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw systemError(.cannotOpen, path, "cannot open file") }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let failure = systemError(.cannotOpen, path, "cannot stat file")
            close(descriptor)
            throw failure
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw LabelMapError(.cannotOpen, file: path, detail: "cannot open file (not a regular file)")
        }
        return (descriptor, Int(status.st_size))
    }

    static func systemError(_ kind: LabelMapError.Kind, _ path: String, _ what: String) -> LabelMapError {
        let reason = strerror(errno).map { String(cString: $0) } ?? "errno \(errno)"
        return LabelMapError(kind, file: path, detail: "\(what) (\(reason))")
    }
}
