import Foundation
import Testing

/// SIGINT and SIGTERM stop a run cleanly: a message on stderr, exit 128 + signal, no results
/// file and no temporary file left behind.
@Suite("Interrupted runs", .serialized)
struct InterruptionTests {
    static let checkpoint = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Demo/sgseg-demo.safetensors").path

    @Test(arguments: [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")])
    func anInterruptedEvalLeavesNoPartialFile(signal number: Int32, name: String) throws {
        let workspace = try Workspace()
        let made = try CLI.run(["demo", "--out", workspace.path + "/d", "--images", "16", "--size", "512", "--skip-model"])
        try #require(made.status == 0, "\(made.stderr)")
        let output = workspace.path + "/eval.ovseg.json"
        let predictions = workspace.path + "/pred"
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = [
            "eval", "--vocab", "potsdam", "--data", workspace.path + "/d", "--checkpoint", Self.checkpoint,
            "--save-predictions", predictions, "-o", output, "--jobs", "1",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["CI"] = "true"
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Interrupt once the run is under way (its first prediction is written).
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning,
              ((try? FileManager.default.contentsOfDirectory(atPath: predictions)) ?? []).filter({ $0.hasSuffix(".png") }).isEmpty {
            usleep(20_000)
        }
        try #require(process.isRunning, "the run finished before it could be interrupted")
        kill(process.processIdentifier, number)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 128 + number)
        #expect(stderr.contains("interrupted by \(name): `ovseg eval` did not finish"), "\(stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
        let leftovers = (FileManager.default.enumerator(atPath: workspace.path)?.allObjects as? [String] ?? [])
            .filter { ($0 as NSString).lastPathComponent.hasPrefix(".ovseg-tmp-") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }
}
