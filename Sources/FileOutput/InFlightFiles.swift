import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The temporary files being written right now, so an interrupted process (SIGINT, SIGTERM) can
/// remove them: no half-written `.ovseg-tmp-*` file is left beside the outputs.
///
/// Only a kill that cannot be caught (SIGKILL, a power cut) can leave one behind; it is a hidden
/// file that no ovseg command reads, and the destination it was meant for is unchanged.
public final class InFlightFiles: Sendable {
    public static let shared = InFlightFiles()

    private let paths = Mutex<Set<String>>([])

    /// Records a temporary file that is being written (writers outside this module, such as
    /// libpng's, register theirs too).
    public func add(_ path: String) { paths.withLock { _ = $0.insert(path) } }

    /// Forgets a temporary file once it was renamed into place or removed.
    public func remove(_ path: String) { paths.withLock { _ = $0.remove(path) } }

    /// Deletes a staged file that will not be committed.
    func discard(_ path: String) {
        unlink(path)
        remove(path)
    }

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
