import Foundation
import Testing

/// SIGKILL, SIGTERM and two runs writing one output at once (docs/robustness.md §4): the output
/// is always either the earlier one, byte for byte, or one complete new one.
@Suite("Killed and concurrent writers", .serialized)
struct KillAndRaceTests {
    typealias Writer = WriteFaultTests.Writer

    /// What a folder's visible outputs look like: path → content with the run-specific parts
    /// (the date and duration in a results file's provenance) taken out, so two complete runs of
    /// the same command compare equal.
    static func outputs(_ folder: String) -> [String: Data] {
        var result: [String: Data] = [:]
        for (name, bytes) in WriteFaultTests.snapshot(folder) where !(name as NSString).lastPathComponent.hasPrefix(".") {
            result[name] = comparable(bytes, name: name)
        }
        return result
    }

    static func comparable(_ bytes: Data, name: String) -> Data {
        guard name.hasSuffix(".json"),
              var object = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any] else { return bytes }
        if var provenance = object["provenance"] as? [String: Any] {
            for key in ["date", "seconds", "command", "host"] { provenance[key] = nil }
            object["provenance"] = provenance
        }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? bytes
    }

    static func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["CI"] = "true"
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Where each writer's output lives (a file or a folder under `out/`).
    static func watched(_ writer: Writer, _ out: String) -> String {
        switch writer {
        case .report: out + "/report"
        case .evalPredictions, .evalResults: out
        default: out
        }
    }

    /// The earlier outputs and a complete new run's outputs of `writer`, with `out/` reset to the earlier state.
    static func states(_ writer: Writer, _ workspace: Workspace) throws -> (arguments: [String], earlier: [String: Data], complete: [String: Data], seconds: Double) {
        let (arguments, _, _) = try WriteFaultTests.prepare(writer, in: workspace)
        let out = workspace.path + "/out"
        let saved = workspace.path + "/out-earlier"
        try FileManager.default.copyItem(atPath: out, toPath: saved)
        let earlier = outputs(out)
        let began = Date()
        let complete = try CLI.run(arguments)
        let seconds = Date().timeIntervalSince(began)
        try #require(complete.status == 0 || (writer == .check && complete.status == 1), "\(complete.stderr)")
        let completed = outputs(out)
        try FileManager.default.removeItem(atPath: out)
        try FileManager.default.copyItem(atPath: saved, toPath: out)
        return (arguments, earlier, completed, seconds)
    }

    /// A folder's outputs must be all earlier or all new; for eval's predictions folder each
    /// prediction is earlier or new (both are the same model's output) and the results file whole.
    static func expectWhole(_ writer: Writer, _ found: [String: Data], earlier: [String: Data], complete: [String: Data], _ note: String) {
        if writer == .evalPredictions || writer == .evalResults {
            for (name, bytes) in found {
                #expect(bytes == earlier[name] || bytes == complete[name], "\(note): \(name) is neither the earlier nor a complete file")
            }
            #expect(Set(found.keys).isSubset(of: Set(earlier.keys).union(complete.keys)), "\(note): unexpected files \(found.keys.sorted())")
        } else {
            #expect(found == earlier || found == complete,
                    "\(note): the output is neither the earlier one nor a complete new one (\(found.keys.sorted()))")
        }
    }

    // MARK: - SIGKILL

    @Test(arguments: [Writer.score, .merge, .report, .evalPredictions])
    func aKilledRunLeavesTheEarlierOrACompleteOutput(_ writer: Writer) throws {
        let workspace = try Workspace()
        try WriteFaultTests.dataset(workspace, images: 12, size: writer == .evalPredictions ? 128 : 256)
        let (arguments, earlier, complete, seconds) = try Self.states(writer, workspace)
        let out = workspace.path + "/out"
        // Kills spread over the run's duration, and one as soon as a temporary file appears.
        var attempts = [0.2, 0.4, 0.6, 0.8].map { Optional($0 * seconds) }
        attempts.append(nil)
        for delay in attempts {
            let process = try Self.start(arguments)
            if let delay {
                usleep(useconds_t(delay * 1_000_000))
            } else {
                let deadline = Date().addingTimeInterval(seconds * 2 + 5)
                while process.isRunning, Date() < deadline, WriteFaultTests.temporaries(out).isEmpty { usleep(200) }
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            Self.expectWhole(writer, Self.outputs(out), earlier: earlier, complete: complete,
                             "killed after \(delay.map { String(format: "%.3f s", $0) } ?? "the first temporary file")")
        }
        // As a SIGKILL during a write leaves it: a temporary file nobody holds.
        try Data("half-written".utf8).write(to: URL(fileURLWithPath: Self.watched(writer, out) + "/.ovseg-tmp-killed"))
        let next = try CLI.run(arguments)
        #expect(next.status == 0 || (writer == .check && next.status == 1), "\(next.stderr)")
        #expect(Self.outputs(out) == complete || writer == .evalPredictions)
        #expect(WriteFaultTests.temporaries(out).isEmpty, "the next run must remove abandoned temporary files: \(WriteFaultTests.temporaries(out))")
    }

    // MARK: - SIGTERM and SIGINT

    // `merge` finishes too quickly for a timed signal to land inside it; it shares the handler
    // and the writer with these commands, and the SIGKILL test covers it.
    @Test(arguments: [(Writer.score, SIGTERM), (.score, SIGINT), (.report, SIGTERM), (.report, SIGINT)])
    func anInterruptedRunSaysSoAndLeavesTheEarlierOutput(_ writer: Writer, _ signal: Int32) throws {
        let workspace = try Workspace()
        try WriteFaultTests.dataset(workspace, images: 12, size: 512)
        let (arguments, earlier, complete, seconds) = try Self.states(writer, workspace)
        let out = workspace.path + "/out"
        let name = signal == SIGTERM ? "SIGTERM" : "SIGINT"
        var interrupted = 0
        var outcomes: [String] = []
        for fraction in [0.3, 0.45, 0.6, 0.75] {
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = arguments
            var environment = ProcessInfo.processInfo.environment
            environment["CI"] = "true"
            process.environment = environment
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            usleep(useconds_t(fraction * seconds * 1_000_000))
            // Stopped first, so the signal lands where the process is, not wherever it got to
            // while a loaded machine scheduled this test.
            kill(process.processIdentifier, SIGSTOP)
            kill(process.processIdentifier, signal)
            kill(process.processIdentifier, SIGCONT)
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let found = Self.outputs(out)
            outcomes.append("\(fraction): \(process.terminationReason == .exit ? "exit" : "signal") \(process.terminationStatus)")
            #expect(WriteFaultTests.temporaries(out).isEmpty, "left behind: \(WriteFaultTests.temporaries(out))")
            if process.terminationReason == .exit && process.terminationStatus == 128 + signal {
                interrupted += 1
                #expect(stderr.contains("interrupted by \(name): `ovseg \(arguments[0])` did not finish"), "\(stderr)")
                // A signal that lands after the rename finds the output complete; before, the earlier one.
                Self.expectWhole(writer, found, earlier: earlier, complete: complete, "\(name) at \(fraction)")
            } else {
                // Finished before the signal, or stopped before the handler was installed.
                Self.expectWhole(writer, found, earlier: earlier, complete: complete, "\(name) at \(fraction)")
            }
        }
        #expect(interrupted > 0, "no attempt interrupted the run (it takes \(seconds) s): \(outcomes)")
    }

    // MARK: - Two writers at once

    @Test func twoScoresWritingOneFileLeaveOneCompleteRun() throws {
        let workspace = try Workspace()
        try WriteFaultTests.dataset(workspace, images: 12, size: 128)
        let d = workspace.path + "/d", output = workspace.path + "/out/run.ovseg.json"
        func arguments(_ method: String) -> [String] {
            ["score", "--vocab", "potsdam", "--gt", d + "/gt", "--pred", d + "/predictions/" + method, "--quiet", "-o", output]
        }
        var references: [Data] = []
        for method in ["boundary-drift", "seen-collapse"] {
            try #require(try CLI.run(arguments(method)).status == 0)
            references.append(Self.comparable(try Data(contentsOf: URL(fileURLWithPath: output)), name: output))
        }
        for _ in 0..<4 {
            let first = try Self.start(arguments("boundary-drift"))
            let second = try Self.start(arguments("seen-collapse"))
            first.waitUntilExit()
            second.waitUntilExit()
            #expect(first.terminationStatus == 0 && second.terminationStatus == 0)
            let found = Self.comparable(try Data(contentsOf: URL(fileURLWithPath: output)), name: output)
            #expect(references.contains(found), "the results file is neither run's output")
            #expect(WriteFaultTests.temporaries(workspace.path + "/out").isEmpty)
        }
    }

    @Test func twoReportsWritingOneFolderLeaveOneCompleteReport() throws {
        let workspace = try Workspace()
        try WriteFaultTests.dataset(workspace, images: 12, size: 128)
        let d = workspace.path + "/d", folder = workspace.path + "/out/report"
        // One run, two titles: the same files with different contents, so a mix shows.
        func arguments(_ title: String) -> [String] {
            ["report", d + "/results/boundary-drift.ovseg.json", "--out", folder, "--gt", d + "/gt",
             "--pred", "boundary-drift=" + d + "/predictions/boundary-drift", "--title", title]
        }
        var references: [[String: Data]] = []
        for title in ["Run alpha", "Run beta"] {
            try? FileManager.default.removeItem(atPath: folder)
            try #require(try CLI.run(arguments(title)).status == 0)
            references.append(Self.outputs(folder))
        }
        try #require(Set(references[0].keys) == Set(references[1].keys) && references[0] != references[1])
        for _ in 0..<4 {
            let first = try Self.start(arguments("Run alpha"))
            let second = try Self.start(arguments("Run beta"))
            first.waitUntilExit()
            second.waitUntilExit()
            #expect(first.terminationStatus == 0 && second.terminationStatus == 0)
            let found = Self.outputs(folder)
            #expect(references.contains(found), "the report folder mixes the two runs' files")
            #expect(WriteFaultTests.temporaries(folder).isEmpty)
        }
    }
}
