#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files so that a reader sees either the old content or the complete new content.
///
/// The data goes to a hidden temporary file (`.ovseg-tmp-XXXXXX`) in the destination's directory,
/// is flushed, and is then renamed over the destination. On any failure the temporary file is
/// removed and whatever was at the destination is untouched (docs/robustness.md §4).
///
/// While a temporary file is being written its writer holds an exclusive `flock` on it. A
/// temporary file nobody holds a lock on belongs to a process that died without cleaning up
/// (SIGKILL, a power cut); the first write into a folder removes such files (`removeAbandoned`).
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: some Collection<UInt8>, to path: String) throws(FileOutputError) {
        let staged = try stage(bytes, for: path)
        try commit([staged])
    }

    /// Writes UTF-8 text to `path` atomically.
    public static func write(text: String, to path: String) throws(FileOutputError) {
        try write(Array(text.utf8), to: path)
    }

    /// Writes `path` atomically through a writer that takes a file name (libpng's): `body` writes
    /// the complete file at the temporary path it is given; the file is then flushed and renamed
    /// into place. An error thrown by `body` is rethrown after the temporary file was removed.
    public static func write(to path: String, _ body: (String) throws -> Void) throws {
        let staged = try createTemporary(for: path)
        do {
            try body(staged.temporary)
        } catch {
            discard(staged)
            throw error
        }
        try finish(staged)
        try commit([staged])
    }

    /// Writes several files as one step: every file is first written in full to a temporary
    /// file beside its destination, and only when all of them succeeded are they renamed into
    /// place. A failure (a full disk, a missing permission) leaves every destination as it was,
    /// so a folder never mixes files of two runs (a report's Markdown, HTML and charts).
    ///
    /// The renames happen while holding an exclusive `flock` on every destination folder, so two
    /// processes writing the same set of files at once cannot interleave their renames: the
    /// folder ends with all the files of one of them.
    public static func writeAll(_ files: [(path: String, bytes: [UInt8])]) throws(FileOutputError) {
        var staged: [StagedFile] = []
        for file in files {
            do {
                staged.append(try stage(file.bytes, for: file.path))
            } catch {
                for item in staged { discard(item) }
                throw error
            }
        }
        try commit(staged)
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

    /// The prefix of every temporary file ovseg writes (hidden, so no command reads it as input).
    public static let temporaryPrefix = ".ovseg-tmp-"

    /// Removes the temporary files in `directory` that no live process is writing: those left by
    /// a process killed with SIGKILL (or a machine that lost power) while it wrote them. A file a
    /// running ovseg is writing is locked by it and left alone. Returns how many were removed.
    @discardableResult
    public static func removeAbandoned(in directory: String) -> Int {
        guard let folder = opendir(directory) else { return 0 }
        var names: [String] = []
        while let entry = readdir(folder) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(temporaryPrefix) { names.append(name) }
        }
        closedir(folder)
        var removed = 0
        for name in names {
            let path = directory + "/" + name
            let descriptor = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            // A writer holds its lock from creation to rename; getting it means the writer is gone.
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { continue }
            // Still the same file under that name (not renamed into place meanwhile)?
            guard sameFile(descriptor, path), unlink(path) == 0 else { continue }
            removed += 1
        }
        return removed
    }

    // MARK: - Staging and committing

    /// A temporary file being written for `path`; `descriptor` is open (and holds the lock) until
    /// the file is renamed or discarded.
    struct StagedFile {
        let temporary: String
        let path: String
        let descriptor: Int32
    }

    /// Writes `bytes` to a new temporary file in `path`'s folder, flushed to disk.
    static func stage(_ bytes: some Collection<UInt8>, for path: String) throws(FileOutputError) -> StagedFile {
        let staged = try createTemporary(for: path)
        var failure: FileOutputError?
        let contiguous = Array(bytes)
        contiguous.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(staged.descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = FileOutputError(path: path, reason: writeFailure(errno))
                    return
                }
                offset += written
            }
        }
        if let failure {
            discard(staged)
            throw failure
        }
        try finish(staged)
        return staged
    }

    /// Creates and locks an empty temporary file for `path` and registers it with `InFlightFiles`
    /// (so SIGINT/SIGTERM remove it even while it is being written).
    static func createTemporary(for path: String) throws(FileOutputError) -> StagedFile {
        let directory = parentDirectory(of: path)
        // A missing output folder is created, as `mkdir -p` would (`-o results/run.ovseg.json`).
        var status = stat()
        if stat(directory, &status) != 0 { try createDirectory(directory) }
        sweepOnce(directory)
        for _ in 0..<8 {
            var templateBytes = Array((directory + "/" + temporaryPrefix + "XXXXXX").utf8CString)
            let descriptor = templateBytes.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard descriptor >= 0 else {
                throw FileOutputError(path: path, reason: "cannot create a temporary file in \(directory): \(writeFailure(errno))")
            }
            let temporary = String(decoding: templateBytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            InFlightFiles.shared.add(temporary)
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            _ = flock(descriptor, LOCK_EX | LOCK_NB)
            // Another process's `removeAbandoned` may have taken the file between mkstemp and
            // flock; then it is gone from the folder and we start over with a new name.
            if sameFile(descriptor, temporary) {
                // mkstemp creates 0600; results files are ordinary documents.
                fchmod(descriptor, 0o644)
                return StagedFile(temporary: temporary, path: path, descriptor: descriptor)
            }
            InFlightFiles.shared.remove(temporary)
            close(descriptor)
        }
        throw FileOutputError(path: path, reason: "cannot create a temporary file in \(directory) (it keeps disappearing)")
    }

    /// Flushes a staged file to the disk; deferred write errors (a full disk on a network file
    /// system) surface here.
    static func finish(_ staged: StagedFile) throws(FileOutputError) {
        if fsync(staged.descriptor) != 0 {
            let failure = FileOutputError(path: staged.path, reason: writeFailure(errno))
            discard(staged)
            throw failure
        }
    }

    /// Renames staged files over their destinations, holding every destination folder's lock
    /// while doing so; on a failure the files not yet renamed are removed.
    static func commit(_ staged: [StagedFile]) throws(FileOutputError) {
        var folderLocks: [Int32] = []
        if staged.count > 1 {
            for folder in Set(staged.map { parentDirectory(of: $0.path) }).sorted() {
                let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                guard descriptor >= 0 else { continue }
                while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
                folderLocks.append(descriptor)
            }
        }
        defer { for descriptor in folderLocks { close(descriptor) } }
        for (index, item) in staged.enumerated() {
            if rename(item.temporary, item.path) != 0 {
                let failure = FileOutputError(path: item.path, reason: "cannot move the finished file into place: \(errnoText())")
                for rest in staged[index...] { discard(rest) }
                throw failure
            }
            InFlightFiles.shared.remove(item.temporary)
            close(item.descriptor)
        }
    }

    /// Deletes a staged file that will not be committed.
    static func discard(_ staged: StagedFile) {
        unlink(staged.temporary)
        InFlightFiles.shared.remove(staged.temporary)
        close(staged.descriptor)
    }

    /// Folders already swept for abandoned temporary files by this process.
    private static let swept = SweptFolders()

    private static func sweepOnce(_ directory: String) {
        if swept.insert(directory) { removeAbandoned(in: directory) }
    }

    /// Whether `descriptor` is the file `path` names now.
    static func sameFile(_ descriptor: Int32, _ path: String) -> Bool {
        var opened = stat()
        var named = stat()
        guard fstat(descriptor, &opened) == 0, lstat(path, &named) == 0 else { return false }
        return opened.st_dev == named.st_dev && opened.st_ino == named.st_ino && (named.st_mode & S_IFMT) == S_IFREG
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    static func errnoText() -> String {
        String(cString: strerror(errno))
    }

    /// A failed write's reason in words a person acts on: a full disk and a file-size limit are
    /// named as such (the system's own text, "File too large", hides that it is a limit).
    public static func writeFailure(_ code: Int32) -> String {
        let system = String(cString: strerror(code))
        switch code {
        case ENOSPC: return "the disk is full (\(system))"
        case EFBIG: return "the file-size limit was reached (ulimit -f / RLIMIT_FSIZE, or the file system's maximum file size: \(system))"
        case EDQUOT: return "the disk quota is exhausted (\(system))"
        default: return "write failed (\(system))"
        }
    }
}

/// A file that could not be written, with the path and the reason.
public struct FileOutputError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let reason: String
    public var description: String { "cannot write \(path): \(reason)" }

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}
