import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The temporary files being written right now, so an interrupted process (SIGINT, SIGTERM) can
/// remove them: no half-written `.ovseg-tmp-*` file is left beside the outputs.
///
/// Only a kill that cannot be caught (SIGKILL, a power cut) can leave one behind; it is a hidden
/// file that no ovseg command reads, the destination it was meant for is unchanged, and the next
/// ovseg that writes into the folder removes it (`AtomicFile.removeAbandoned`).
public final class InFlightFiles: Sendable {
    public static let shared = InFlightFiles()

    private let paths = Mutex<Set<String>>([])

    /// Records a temporary file that is being written (writers outside this module, such as
    /// libpng's, register theirs too).
    public func add(_ path: String) { paths.withLock { _ = $0.insert(path) } }

    /// Forgets a temporary file once it was renamed into place or removed.
    public func remove(_ path: String) { paths.withLock { _ = $0.remove(path) } }

    /// Deletes every temporary file still being written; returns how many there were.
    @discardableResult
    public func discardAll() -> Int {
        let pending = paths.withLock { paths in
            defer { paths.removeAll() }
            return paths
        }
        for path in pending { unlink(path) }
        return pending.count
    }
}

/// The folders a process has already swept for abandoned temporary files (once each is enough).
final class SweptFolders: Sendable {
    private let folders = Mutex<Set<String>>([])

    /// Records `folder`; true if it was not recorded before.
    func insert(_ folder: String) -> Bool { folders.withLock { $0.insert(folder).inserted } }
}
