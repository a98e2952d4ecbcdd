import Foundation
import Testing

/// Faults while writing (docs/robustness.md §4): a full disk or a file-size limit, a SIGKILL in
/// the middle of a run, and two runs writing the same output at once. Each leaves the earlier
/// output byte for byte or one complete new output, never a partial or mixed one.
@Suite("Faults while writing", .serialized)
struct WriteFaultTests {
    static let checkpoint = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Demo/sgseg-demo.safetensors").path

    // MARK: - Helpers

    /// A demo dataset (`d/gt`, `d/images`, `d/predictions/<method>`, `d/results/<method>.ovseg.json`).
    static func dataset(_ workspace: Workspace, images: Int = 4, size: Int = 64) throws {
        let made = try CLI.run(["demo", "--out", workspace.path + "/d", "--images", "\(images)", "--size", "\(size)", "--skip-model"])
        try #require(made.status == 0, "\(made.stderr)")
    }

    /// Runs ovseg with a file-size limit (RLIMIT_FSIZE) of `blocks` × 512 bytes, set by the shell
    /// (`ulimit -f` counts 512-byte blocks in POSIX shells). ovseg itself ignores SIGXFSZ.
    static func runLimited(_ arguments: [String], blocks: Int) throws -> CLI.Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "ulimit -f \(blocks) && exec \"$0\" \"$@\"", CLI.binary.path] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["CI"] = "true"
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLI.Outcome(status: process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus,
                           stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Every regular file under `folder` (relative path → bytes), hidden ones included.
    static func snapshot(_ folder: String) -> [String: Data] {
        var files: [String: Data] = [:]
        for case let relative as String in FileManager.default.enumerator(atPath: folder)?.allObjects ?? [] {
            var isFolder: ObjCBool = false
            let path = folder + "/" + relative
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue {
                files[relative] = FileManager.default.contents(atPath: path)
            }
        }
        return files
    }

    static func temporaries(_ folder: String) -> [String] {
        snapshot(folder).keys.filter { ($0 as NSString).lastPathComponent.hasPrefix(".ovseg-tmp-") }.sorted()
    }

    static func errorLines(_ stderr: String) -> [Substring] {
        stderr.split(separator: "\n").filter { $0.hasPrefix("ovseg: error:") }
    }

    static func copy(_ source: String, to destination: String) throws {
        try FileManager.default.createDirectory(atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: destination)
        try FileManager.default.copyItem(atPath: source, toPath: destination)
    }

    /// The commands that write outputs, each with an earlier output already in place under `out/`.
    enum Writer: String, CaseIterable, CustomTestStringConvertible {
        case score, merge, report, check, evalPredictions, evalResults
        var testDescription: String { rawValue }
    }

    /// Prepares `out/` with the earlier output of `writer` and returns the command that would
    /// replace it, the path its error must name, and the limit (in 512-byte blocks) it runs under.
    static func prepare(_ writer: Writer, in workspace: Workspace) throws -> (arguments: [String], named: String, blocks: Int) {
        let d = workspace.path + "/d", out = workspace.path + "/out"
        let score = ["score", "--vocab", "potsdam", "--gt", d + "/gt", "--pred", d + "/predictions/boundary-drift", "--quiet"]
        switch writer {
        case .score:
            try copy(d + "/results/seen-collapse.ovseg.json", to: out + "/run.ovseg.json")
            return (score + ["-o", out + "/run.ovseg.json"], out + "/run.ovseg.json", 0)
        case .merge:
            for k in 1...2 {
                let shard = try CLI.run(score + ["--shard", "\(k)/2", "-o", workspace.path + "/s\(k).ovseg.json"])
                try #require(shard.status == 0, "\(shard.stderr)")
            }
            try copy(d + "/results/seen-collapse.ovseg.json", to: out + "/merged.ovseg.json")
            return (["merge", workspace.path + "/s1.ovseg.json", workspace.path + "/s2.ovseg.json", "-o", out + "/merged.ovseg.json", "--quiet"],
                    out + "/merged.ovseg.json", 0)
        case .report:
            let earlier = try CLI.run(["report", d + "/results/seen-collapse.ovseg.json", "--out", out + "/report",
                                       "--gt", d + "/gt", "--pred", "seen-collapse=" + d + "/predictions/seen-collapse"])
            try #require(earlier.status == 0, "\(earlier.stderr)")
            return (["report", d + "/results/boundary-drift.ovseg.json", "--out", out + "/report",
                     "--gt", d + "/gt", "--pred", "boundary-drift=" + d + "/predictions/boundary-drift"], out + "/report/", 0)
        case .check:
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try Data("<testsuites><!-- the earlier JUnit file --></testsuites>\n".utf8).write(to: URL(fileURLWithPath: out + "/junit.xml"))
            return (["check", "--baseline", d + "/results/boundary-drift.ovseg.json", d + "/results/seen-collapse.ovseg.json",
                     "--junit", out + "/junit.xml"], out + "/junit.xml", 0)
        case .evalPredictions, .evalResults:
            let eval = ["eval", "--vocab", "potsdam", "--data", d, "--checkpoint", checkpoint, "--jobs", "1",
                        "--save-predictions", out + "/pred", "-o", out + "/eval.ovseg.json", "--quiet"]
            let earlier = try CLI.run(eval)
            try #require(earlier.status == 0, "\(earlier.stderr)")
            if writer == .evalPredictions { return (eval, out + "/pred/", 0) }
            // Room for the predictions (64×64 palette PNGs, well under 1 KB) and the journal, not
            // for the results file (over 8 KB).
            let sizes = snapshot(out + "/pred").values.map(\.count)
            let results = try #require(FileManager.default.contents(atPath: out + "/eval.ovseg.json")).count
            try #require((sizes.max() ?? 0) < 2048 && results > 8192, "predictions \(sizes), results \(results) bytes")
            return (eval, out + "/eval.ovseg.json", 8)
        }
    }

    // MARK: - A file-size limit (RLIMIT_FSIZE): runs as any user

    @Test(arguments: Writer.allCases)
    func aFileSizeLimitLeavesTheEarlierOutput(_ writer: Writer) throws {
        let workspace = try Workspace()
        try Self.dataset(workspace)
        let (arguments, named, blocks) = try Self.prepare(writer, in: workspace)
        let out = workspace.path + "/out"
        var before = Self.snapshot(out)
        // The eval journal is eval's own state (rewritten by every run without --resume), not an output.
        before = before.filter { !$0.key.hasSuffix(".ovseg-eval-journal.jsonl") }

        let outcome = try Self.runLimited(arguments, blocks: blocks)
        #expect(outcome.status == 2, "exit \(outcome.status): \(outcome.stderr)")
        let errors = Self.errorLines(outcome.stderr)
        #expect(errors.count == 1, "\(outcome.stderr)")
        #expect(errors.first?.contains("file-size limit") == true, "\(outcome.stderr)")
        #expect(errors.first?.contains(named) == true, "the message must name \(named): \(outcome.stderr)")
        #expect(!outcome.stderr.contains("Unknown error"), "\(outcome.stderr)")
        let after = Self.snapshot(out).filter { !$0.key.hasSuffix(".ovseg-eval-journal.jsonl") }
        #expect(Self.temporaries(out).isEmpty, "left behind: \(Self.temporaries(out))")
        #expect(Set(after.keys) == Set(before.keys), "files changed: \(Set(after.keys).symmetricDifference(before.keys))")
        for (name, bytes) in before { #expect(after[name] == bytes, "\(name) changed") }
    }

    // MARK: - A full disk (a small tmpfs): needs root and a working `mount`

    static func mountTmpfs(at path: String, kilobytes: Int) -> Bool {
        guard getuid() == 0 else { return false }
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/mount")
        process.arguments = ["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    static func unmount(_ path: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/umount")
        process.arguments = [path]
        try? process.run()
        process.waitUntilExit()
    }

    /// Fills the file system holding `folder` up to the last byte.
    static func fill(_ folder: String) {
        let descriptor = open(folder + "/filler", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let chunk = [UInt8](repeating: 0x5A, count: 4096)
        for size in [4096, 512, 64, 1] {
            while chunk.withUnsafeBytes({ write(descriptor, $0.baseAddress!, size) }) == size {}
        }
    }

    @Test(arguments: [Writer.score, .report])
    func aFullDiskLeavesTheEarlierOutput(_ writer: Writer) throws {
        let workspace = try Workspace()
        try Self.dataset(workspace)
        let out = workspace.path + "/out"
        guard Self.mountTmpfs(at: out, kilobytes: 1024) else {
            print("skipped: needs root and mount for a tmpfs (the file-size-limit test covers the same paths)")
            return
        }
        defer { Self.unmount(out) }
        let (arguments, named, _) = try Self.prepare(writer, in: workspace)
        Self.fill(out)
        let before = Self.snapshot(out)
        let outcome = try CLI.run(arguments)
        #expect(outcome.status == 2, "exit \(outcome.status): \(outcome.stderr)")
        let errors = Self.errorLines(outcome.stderr)
        #expect(errors.count == 1 && errors.first?.contains("the disk is full") == true, "\(outcome.stderr)")
        #expect(errors.first?.contains(named) == true, "\(outcome.stderr)")
        let after = Self.snapshot(out)
        #expect(Self.temporaries(out).isEmpty, "left behind: \(Self.temporaries(out))")
        #expect(Set(after.keys) == Set(before.keys))
        for (name, bytes) in before { #expect(after[name] == bytes, "\(name) changed") }
    }
}
