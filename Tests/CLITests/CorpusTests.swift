import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs every case of the malformed-input corpus (`Fixtures/corpus/corpus.json`, written by
/// scripts/fixtures/make_corpus.py) through the real binary and checks what docs/robustness.md
/// promises: the documented exit code, one `ovseg: error:` line naming the file and the problem,
/// no control characters in it, no output file (an existing one unchanged), an answer within a
/// time bound and a bounded peak memory.
@Suite("Malformed-input corpus")
struct CorpusTests {
    /// Seconds a case may run before it is killed and counted as a hang.
    static let timeout = 20.0
    /// Peak resident memory a case may reach (the binary alone takes about 40 MB).
    static let maximumPeakMiB = 400

    struct Case: Decodable, Sendable {
        let name: String
        let args: [String]
        let exit: Int32
        let stderr: [String]
        /// What `{out}` is before the run: "file", "directory" or "none".
        let output: String
        /// Where the error line goes: "stderr", or "stdout" for `vocab validate`'s report.
        let stream: String
    }

    struct Manifest: Decodable {
        let cases: [Case]
    }

    static var corpus: String {
        get throws { try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).path + "/corpus" }
    }

    @Test func theManifestCoversEveryCategory() throws {
        let manifest = try JSONDecoder().decode(
            Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: try Self.corpus + "/corpus.json")))
        #expect(manifest.cases.count >= 200)
        let categories = Set(manifest.cases.map { String($0.name.prefix { $0 != "/" }) })
        #expect(categories.isSuperset(of: ["png", "png-pred", "tiff", "jpeg", "safetensors", "pth", "vocab", "split", "pairs", "results"]))
    }

    @Test func everyCaseFailsCleanlyQuicklyAndInBoundedMemory() throws {
        let corpus = try Self.corpus
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: corpus + "/corpus.json")))
        let binary = CLI.binary.path
        let failures = Failures()
        let workers = 2
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in stride(from: worker, to: manifest.cases.count, by: workers) {
                let problems = Self.check(manifest.cases[index], corpus: corpus, binary: binary)
                if !problems.isEmpty { failures.add("\(manifest.cases[index].name): " + problems.joined(separator: "; ")) }
            }
        }
        let report = failures.all.sorted().joined(separator: "\n")
        #expect(failures.all.isEmpty, "\(failures.all.count) corpus case(s) failed:\n\(report)")
    }

    /// Runs one case; returns what is wrong with the outcome (empty when it behaved).
    static func check(_ item: Case, corpus: String, binary: String) -> [String] {
        var problems: [String] = []
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ovseg-corpus-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let out = scratch + "/out"
        let sentinel = Data("left here before the run\n".utf8)
        do {
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            switch item.output {
            case "file": try sentinel.write(to: URL(fileURLWithPath: out))
            case "directory":
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
                try sentinel.write(to: URL(fileURLWithPath: out + "/report.md"))
            default: break
            }
        } catch {
            return ["cannot prepare the scratch folder: \(error)"]
        }
        let arguments = item.args.map {
            $0.replacingOccurrences(of: "{corpus}", with: corpus).replacingOccurrences(of: "{out}", with: out)
        }
        let outcome: Spawned
        do {
            outcome = try Spawned.run(binary: binary, arguments: arguments, scratch: scratch, timeout: timeout)
        } catch {
            return ["cannot run ovseg: \(error)"]
        }
        if outcome.timedOut { problems.append("no answer within \(Int(timeout)) s (killed)") }
        if outcome.status != item.exit { problems.append("exit code \(outcome.status), expected \(item.exit)") }
        if outcome.peakKiB > maximumPeakMiB * 1024 { problems.append("peak memory \(outcome.peakKiB / 1024) MiB") }
        let stderr = String(decoding: outcome.stderr, as: UTF8.self)
        let message: String
        if item.stream == "stdout" {
            message = String(decoding: outcome.stdout, as: UTF8.self)
            if !stderr.isEmpty { problems.append("unexpected stderr \(stderr.debugDescription)") }
        } else {
            message = stderr
            var lines = stderr.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.last == "" { lines.removeLast() }
            if lines.count != 1 || !stderr.hasPrefix("ovseg: error: ") {
                problems.append("stderr is not one 'ovseg: error:' line: \(stderr.debugDescription)")
            }
            if stderr.dropLast().unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                problems.append("control character in \(stderr.debugDescription)")
            }
        }
        for fragment in item.stderr where !message.contains(fragment) {
            problems.append("message lacks \(fragment.debugDescription): \(message.debugDescription)")
        }
        switch item.output {
        case "file":
            if (try? Data(contentsOf: URL(fileURLWithPath: out))) != sentinel { problems.append("the existing output file changed") }
        case "directory":
            let listing = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
            if listing != ["report.md"] || (try? Data(contentsOf: URL(fileURLWithPath: out + "/report.md"))) != sentinel {
                problems.append("the existing output folder changed: \(listing)")
            }
        default:
            if FileManager.default.fileExists(atPath: out) { problems.append("an output file appeared") }
        }
        let left = ((try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? [])
            .filter { $0 != "out" && $0 != "stdout" && $0 != "stderr" }
        if !left.isEmpty { problems.append("files left beside the output: \(left)") }
        return problems
    }
}

/// Failures collected from the worker threads.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ item: String) { lock.withLock { items.append(item) } }
    var all: [String] { lock.withLock { items } }
}

/// A child process run with `posix_spawn` and reaped with `wait4`, for its resource usage.
struct Spawned {
    /// The exit code, or 128 + the signal that ended it.
    let status: Int32
    let stdout: Data
    let stderr: Data
    /// Peak resident set size (`ru_maxrss`, KiB on Linux).
    let peakKiB: Int
    let timedOut: Bool

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `binary` with `arguments`, stdout and stderr going to files in `scratch`; kills it
    /// after `timeout` seconds.
    static func run(binary: String, arguments: [String], scratch: String, timeout: Double) throws -> Spawned {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, scratch + "/stdout", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, scratch + "/stderr", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var environment = ProcessInfo.processInfo.environment
        environment["CI"] = "true"
        let argv: [UnsafeMutablePointer<CChar>?] = ([binary] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, binary, &actions, nil, argv, envp)
        guard spawned == 0 else { throw Failure(description: "posix_spawn: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        var usage = rusage()
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while true {
            let reaped = wait4(pid, &status, WNOHANG, &usage)
            if reaped == pid { break }
            if reaped < 0 && errno != EINTR { throw Failure(description: "wait4: \(String(cString: strerror(errno)))") }
            if Date() > deadline {
                timedOut = true
                kill(pid, SIGKILL)
                _ = wait4(pid, &status, 0, &usage)
                break
            }
            usleep(5000)
        }
        let signal = status & 0x7F
        let code = signal == 0 ? (status >> 8) & 0xFF : 128 + signal
        return Spawned(
            status: code,
            stdout: (try? Data(contentsOf: URL(fileURLWithPath: scratch + "/stdout"))) ?? Data(),
            stderr: (try? Data(contentsOf: URL(fileURLWithPath: scratch + "/stderr"))) ?? Data(),
            peakKiB: Int(usage.ru_maxrss), timedOut: timedOut)
    }
}
