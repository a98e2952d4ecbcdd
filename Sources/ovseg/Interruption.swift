import Dispatch
import FileOutput
import Foundation

/// What ovseg does on SIGINT (Ctrl-C) and SIGTERM (Slurm's time limit, `kill`): remove the
/// temporary files it was writing, say that the command did not finish and that no finished file
/// was changed, and exit with 128 + the signal number (130, 143) as shells expect.
///
/// Every output is written to a temporary file and renamed into place only when complete, so an
/// interrupted run leaves earlier results, baselines and reports as they were.
enum Interruption {
    /// Kept alive for the life of the process.
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install(command: String) {
        // Past a file-size limit (`ulimit -f`, RLIMIT_FSIZE) the kernel would kill the process with
        // SIGXFSZ before it could say which file; ignored, the write fails with EFBIG and the
        // command reports it like a full disk and leaves the earlier file (docs/robustness.md §4).
        signal(SIGXFSZ, SIG_IGN)
        let queue = DispatchQueue(label: "ovseg.signals")
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                let removed = InFlightFiles.shared.discardAll()
                let partial = removed > 0 ? " (removed \(removed) unfinished temporary file\(removed == 1 ? "" : "s"))" : ""
                FileHandle.standardError.write(Data(
                    ("\novseg: interrupted by \(name): `ovseg \(command)` did not finish; files it had already "
                        + "finished are complete, the rest were not written\(partial)\n").utf8))
                // `_exit`, not `exit`: worker threads may still be running, and `exit` would run
                // atexit handlers and library destructors (OpenBLAS frees its buffers) under them,
                // which crashed an interrupted `eval` with SIGSEGV now and then.
                fflush(nil)
                _exit(128 + number)
            }
            source.resume()
            sources.append(source)
        }
    }
}
