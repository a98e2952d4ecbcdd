import Foundation
import Harness
import Reports
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where human output goes: results on stdout, progress and errors on stderr.
enum Terminal {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("ovseg: error: \(TerminalText.sanitized(message))\n".utf8))
    }

    static func warning(_ message: String) {
        FileHandle.standardError.write(Data("ovseg: warning: \(TerminalText.sanitized(message))\n".utf8))
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data("\(TerminalText.sanitized(message))\n".utf8))
    }

    /// A progress bar is drawn only on an interactive terminal, never under CI.
    static var showsProgress: Bool {
        let environment = ProcessInfo.processInfo.environment
        if environment["CI"] != nil || environment["TERM"] == "dumb" { return false }
        return isatty(STDERR_FILENO) != 0
    }

    /// How a long run shows its progress: a bar on an interactive terminal, else (Slurm, nohup,
    /// CI logs) a plain line every `OVSEG_PROGRESS_SECONDS` seconds (default 30) once the run
    /// has taken that long; nothing when `enabled` is false (`--quiet`, `--no-progress`).
    static func progress(label: String, enabled: Bool = true) -> (any ScoringProgress)? {
        guard enabled else { return nil }
        if showsProgress { return ProgressBar(label: label) }
        let seconds = ProcessInfo.processInfo.environment["OVSEG_PROGRESS_SECONDS"].flatMap(Double.init) ?? 30
        return ProgressLines(label: label, interval: max(0, seconds))
    }
}

/// Progress as plain lines on stderr for logs, where a redrawn bar would be noise: one line each
/// `interval` seconds, the first only after `interval` seconds (short runs print nothing), and
/// a closing line if any was printed.
final class ProgressLines: ScoringProgress, @unchecked Sendable {
    private let label: String
    private let interval: Double
    private let state = Mutex<(start: UInt64, last: UInt64, printed: Bool)>((0, 0, false))

    init(label: String, interval: Double) {
        self.label = label
        self.interval = interval
    }

    func started(total: Int) {
        let now = DispatchTime.now().uptimeNanoseconds
        state.withLock { $0 = (now, now, false) }
    }

    func advanced(completed: Int, total: Int) {
        let now = DispatchTime.now().uptimeNanoseconds
        let due = state.withLock { state -> UInt64? in
            guard Double(now - state.last) / 1e9 >= interval else { return nil }
            state.last = now
            state.printed = true
            return state.start
        }
        guard let start = due, total > 0 else { return }
        let seconds = Double(now - start) / 1e9
        let rate = seconds > 0 ? Double(completed) / seconds : 0
        let remaining = rate > 0 ? Double(total - completed) / rate : 0
        Terminal.note(
            "\(label): \(completed)/\(total) images (\(completed * 100 / total) %), "
                + String(format: "%.2f img/s, ETA %.0f s", rate, remaining))
    }

    func finished() {
        let (start, printed) = state.withLock { ($0.start, $0.printed) }
        guard printed else { return }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        Terminal.note("\(label): done in " + String(format: "%.1f s", seconds))
    }
}

/// A single-line progress bar on stderr, redrawn at most ten times a second.
final class ProgressBar: ScoringProgress, @unchecked Sendable {
    private let label: String
    private let state = Mutex<(last: UInt64, start: UInt64)>((0, 0))

    init(label: String) { self.label = label }

    func started(total: Int) {
        state.withLock { $0.start = DispatchTime.now().uptimeNanoseconds }
        draw(completed: 0, total: total, force: true)
    }

    func advanced(completed: Int, total: Int) {
        draw(completed: completed, total: total, force: completed == total)
    }

    func finished() {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    private func draw(completed: Int, total: Int, force: Bool) {
        let now = DispatchTime.now().uptimeNanoseconds
        let (shouldDraw, start) = state.withLock { state -> (Bool, UInt64) in
            if !force && now - state.last < 100_000_000 { return (false, state.start) }
            state.last = now
            return (true, state.start)
        }
        guard shouldDraw, total > 0 else { return }
        let width = 30
        let filled = completed * width / total
        let seconds = Double(now - start) / 1e9
        let rate = seconds > 0 ? Double(completed) / seconds : 0
        let remaining = rate > 0 ? Double(total - completed) / rate : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let text = "\r\u{1B}[K\(label) \(bar) \(completed)/\(total)  \(String(format: "%.1f", rate)) img/s  ETA \(Int(remaining.rounded())) s"
        FileHandle.standardError.write(Data(text.utf8))
    }
}
