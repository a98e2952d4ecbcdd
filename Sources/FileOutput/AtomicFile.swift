#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files so that a reader sees either the old content or the complete new content.
///
/// The data goes to a temporary file in the destination's directory, is flushed, and is then
/// renamed over the destination. On any failure the temporary file is removed and whatever was
/// at the destination is untouched.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: some Collection<UInt8>, to path: String) throws(FileOutputError) {
        let temporaryPath = try stage(bytes, for: path)
        try commit(temporaryPath, to: path)
    }

    /// Writes several files as one step: every file is first written in full to a temporary
    /// file beside its destination, and only when all of them succeeded are they renamed into
    /// place. A failure (a full disk, a missing permission) leaves every destination as it was,
    /// so a folder never mixes files of two runs (a report's Markdown, HTML and charts).
    public static func writeAll(_ files: [(path: String, bytes: [UInt8])]) throws(FileOutputError) {
        var staged: [(temporary: String, path: String)] = []
        for file in files {
            do {
                staged.append((try stage(file.bytes, for: file.path), file.path))
            } catch {
                for item in staged { InFlightFiles.shared.discard(item.temporary) }
                throw error
            }
        }
        for (index, item) in staged.enumerated() {
            do {
                try commit(item.temporary, to: item.path)
            } catch {
                for rest in staged[(index + 1)...] { InFlightFiles.shared.discard(rest.temporary) }
                throw error
            }
        }
    }

    /// Writes `bytes` to a new temporary file in `path`'s folder, flushed to disk; returns its path.
    static func stage(_ bytes: some Collection<UInt8>, for path: String) throws(FileOutputError) -> String {
        let directory = parentDirectory(of: path)
        // A missing output folder is created, as `mkdir -p` would (`-o results/run.ovseg.json`).
        var status = stat()
        if stat(directory, &status) != 0 { try createDirectory(directory) }
        let template = directory + "/.ovseg-tmp-XXXXXX"
        var templateBytes = Array(template.utf8CString)
        let descriptor = templateBytes.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw FileOutputError(path: path, reason: "cannot create a temporary file in \(directory): \(errnoText())")
        }
        let temporaryPath = String(decoding: templateBytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var failure: FileOutputError?
        let contiguous = Array(bytes)
        contiguous.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = FileOutputError(path: path, reason: "write failed: \(errnoText())")
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(descriptor) != 0 {
            failure = FileOutputError(path: path, reason: "flush failed: \(errnoText())")
        }
        if close(descriptor) != 0, failure == nil {
            failure = FileOutputError(path: path, reason: "close failed: \(errnoText())")
        }
        if let failure {
            unlink(temporaryPath)
            throw failure
        }
        // mkstemp creates 0600; results files are ordinary documents.
        chmod(temporaryPath, 0o644)
        InFlightFiles.shared.add(temporaryPath)
        return temporaryPath
    }

    /// Renames a staged file over `path`; removes it if that fails.
    static func commit(_ temporaryPath: String, to path: String) throws(FileOutputError) {
        defer { InFlightFiles.shared.remove(temporaryPath) }
        if rename(temporaryPath, path) != 0 {
            let failure = FileOutputError(path: path, reason: "cannot move the finished file into place: \(errnoText())")
            unlink(temporaryPath)
            throw failure
        }
    }

    /// Writes UTF-8 text to `path` atomically.
    public static func write(text: String, to path: String) throws(FileOutputError) {
        try write(Array(text.utf8), to: path)
    }

    /// Creates `path` and its missing parents, like `mkdir -p`.
    public static func createDirectory(_ path: String) throws(FileOutputError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw FileOutputError(path: path, reason: "cannot create directory \(current): \(errnoText())")
            }
        }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw FileOutputError(path: path, reason: "exists and is not a directory")
        }
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}

/// A file that could not be written, with the path and the reason.
public struct FileOutputError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let reason: String
    public var description: String { "cannot write \(path): \(reason)" }
}
