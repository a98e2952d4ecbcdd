import Foundation
import Testing

/// Runs the built `ovseg` binary end to end, as a user would.
struct CLI {
    static var binary: URL {
        // The test bundle sits next to the products in the build folder.
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("ovseg") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], in directory: String? = nil) throws -> Outcome {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["CI"] = "true"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }
}

final class Workspace {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("ovseg-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path + "/" + relative) }
}

@Suite("ovseg command line", .serialized)
struct CLITests {
    /// Generates a small demo dataset once per test that needs it.
    func demo(_ workspace: Workspace, images: Int = 6) throws {
        let outcome = try CLI.run(["demo", "--out", workspace.path + "/d", "--images", "\(images)", "--size", "64", "--skip-model"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
    }

    @Test func demoPrintsTablesAndWritesResults() throws {
        let workspace = try Workspace()
        let outcome = try CLI.run(["demo", "--out", workspace.path + "/d", "--images", "2", "--size", "64"])
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("hIoU"))
        #expect(outcome.stdout.contains("seen-collapse"))
        #expect(outcome.stdout.contains("sgseg-demo"))
        #expect(!outcome.stderr.contains("\u{1B}["), "no progress bar escapes outside a terminal")
        for method in ["boundary-drift", "class-confusion", "small-object-misses", "seen-collapse", "sgseg-demo"] {
            #expect(workspace.exists("d/results/\(method).ovseg.json"))
        }
        // The segmentation core's run: palette predictions for the report, and a report that says
        // plainly that the model is synthetic.
        // (Besides the PNGs, the folder holds eval's resume journal.)
        let predictions = try FileManager.default.contentsOfDirectory(atPath: workspace.path + "/d/predictions/sgseg-demo")
            .filter { $0.hasSuffix(".png") }
        #expect(predictions.count == 2)
        let markdown = try String(contentsOfFile: workspace.path + "/d/report/report.md", encoding: .utf8)
        #expect(markdown.contains("bundled synthetic checkpoint"))
        #expect(markdown.contains("they say nothing about SGSeg"))
    }

    @Test func scorePrintsTheSameFiguresItWrites() throws {
        let workspace = try Workspace()
        try demo(workspace)
        let output = workspace.path + "/run.ovseg.json"
        let outcome = try CLI.run([
            "score", "--vocab", "potsdam", "--split", "dlrsd-overlap", "--gt", workspace.path + "/d/gt",
            "--pred", workspace.path + "/d/predictions/class-confusion", "-o", output,
        ])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output))) as? [String: Any]
        let display = try #require(json?["display"] as? [String: String])
        let miou = try #require(display["miou"])
        let hiou = try #require(display["hiou"])
        #expect(outcome.stdout.contains("mIoU \(miou)"))
        #expect(outcome.stdout.contains("hIoU \(hiou)"))
        #expect((json?["method"] as? String) == "class-confusion")
    }

    @Test func scoreErrorsExitNonZeroAndWriteNothing() throws {
        let workspace = try Workspace()
        try demo(workspace)
        try FileManager.default.removeItem(atPath: workspace.path + "/d/predictions/boundary-drift/tile_0003.png")
        let output = workspace.path + "/run.ovseg.json"
        let missing = try CLI.run([
            "score", "--vocab", "potsdam", "--gt", workspace.path + "/d/gt",
            "--pred", workspace.path + "/d/predictions/boundary-drift", "-o", output,
        ])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("tile_0003.png"))
        #expect(missing.stderr.hasPrefix("ovseg: error:"))
        #expect(!workspace.exists("run.ovseg.json"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: workspace.path).filter { $0.hasPrefix(".ovseg-tmp") }.isEmpty)

        let badVocabulary = try CLI.run([
            "score", "--vocab", "nowhere", "--gt", workspace.path + "/d/gt",
            "--pred", workspace.path + "/d/predictions/boundary-drift", "-o", output,
        ])
        #expect(badVocabulary.status == 2)
        #expect(badVocabulary.stderr.contains("nowhere"))
        #expect(badVocabulary.stderr.contains("potsdam"), "lists the available vocabularies")

        let badSplit = try CLI.run([
            "score", "--vocab", "potsdam", "--split", "no-such-split", "--gt", workspace.path + "/d/gt",
            "--pred", workspace.path + "/d/predictions/class-confusion", "-o", output,
        ])
        #expect(badSplit.status == 2)
        #expect(badSplit.stderr.contains("no-such-split"))
        #expect(!workspace.exists("run.ovseg.json"))
    }

    @Test func existingResultsSurviveAFailedRun() throws {
        let workspace = try Workspace()
        try demo(workspace)
        let output = workspace.path + "/run.ovseg.json"
        let good = try CLI.run([
            "score", "--vocab", "potsdam", "--gt", workspace.path + "/d/gt",
            "--pred", workspace.path + "/d/predictions/class-confusion", "-o", output, "--quiet",
        ])
        #expect(good.status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: output))
        let corrupt = workspace.path + "/d/predictions/class-confusion/tile_0001.png"
        try Data("not a png".utf8).write(to: URL(fileURLWithPath: corrupt))
        let bad = try CLI.run([
            "score", "--vocab", "potsdam", "--gt", workspace.path + "/d/gt",
            "--pred", workspace.path + "/d/predictions/class-confusion", "-o", output,
        ])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("tile_0001.png"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == before)
    }

    @Test func checkExitCodesAndSummaries() throws {
        let workspace = try Workspace()
        try demo(workspace)
        let results = workspace.path + "/d/results/"
        let same = try CLI.run(["check", "--baseline", results + "boundary-drift.ovseg.json", results + "boundary-drift.ovseg.json", "--exact"])
        #expect(same.status == 0)
        #expect(same.stdout.contains("PASS"))

        let summary = workspace.path + "/summary.md"
        let junit = workspace.path + "/junit.xml"
        let worse = try CLI.run(
            ["check", "--baseline", results + "boundary-drift.ovseg.json", results + "seen-collapse.ovseg.json", "--junit", junit],
            environment: ["GITHUB_STEP_SUMMARY": summary])
        #expect(worse.status == 1)
        #expect(worse.stdout.contains("REGRESSION"))
        #expect(try String(contentsOfFile: summary, encoding: .utf8).contains("❌ regression"))
        #expect(try String(contentsOfFile: junit, encoding: .utf8).contains("<failure"))

        let damaged = workspace.path + "/damaged.json"
        try Data("{\"schema\": \"ovseg-results/1\"".utf8).write(to: URL(fileURLWithPath: damaged))
        let broken = try CLI.run(["check", "--baseline", results + "boundary-drift.ovseg.json", damaged])
        #expect(broken.status == 2)
        #expect(broken.stderr.contains("damaged.json"))

        // Exit 2 still writes both CI summaries, saying why the check could not run.
        let brokenSummary = workspace.path + "/broken-summary.md", brokenJUnit = workspace.path + "/broken-junit.xml"
        let unreadable = try CLI.run(
            ["check", "--baseline", results + "boundary-drift.ovseg.json", damaged, "--junit", brokenJUnit],
            environment: ["GITHUB_STEP_SUMMARY": brokenSummary])
        #expect(unreadable.status == 2)
        let markdown = try String(contentsOfFile: brokenSummary, encoding: .utf8)
        #expect(markdown.contains("could not run") && markdown.contains("damaged.json"))
        let xml = try String(contentsOfFile: brokenJUnit, encoding: .utf8)
        #expect(xml.contains("errors=\"1\"") && xml.contains("<error message=") && xml.contains("damaged.json"))
    }

    @Test func updateBaselineOnlyAfterAPass() throws {
        let workspace = try Workspace()
        try demo(workspace)
        let results = workspace.path + "/d/results/"
        let baseline = workspace.path + "/baseline.json"
        try FileManager.default.copyItem(atPath: results + "boundary-drift.ovseg.json", toPath: baseline)
        let original = try Data(contentsOf: URL(fileURLWithPath: baseline))
        let failing = try CLI.run(["check", "--baseline", baseline, results + "seen-collapse.ovseg.json", "--update-baseline"])
        #expect(failing.status == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: baseline)) == original, "a failed check leaves the baseline alone")

        let lenient = try CLI.run([
            "check", "--baseline", baseline, results + "seen-collapse.ovseg.json", "--update-baseline",
            "--max-drop-miou", "100", "--max-drop-hiou", "100", "--max-drop-class", "100",
        ])
        #expect(lenient.status == 0, "\(lenient.stdout)\(lenient.stderr)")
        let updated = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: baseline))) as? [String: Any]
        #expect(updated?["method"] as? String == "seen-collapse")

        let negative = try CLI.run(["check", "--baseline", baseline, baseline, "--max-drop-miou", "-1"])
        #expect(negative.status == 2, "usage errors exit 2, not 1 (regression)")
        #expect(negative.stderr.contains("--max-drop-miou"))
    }

    @Test func checkRefusesRunsOfDifferentDatasets() throws {
        let workspace = try Workspace()
        try demo(workspace, images: 4)
        let other = try Workspace()
        try demo(other, images: 5)
        let outcome = try CLI.run([
            "check", "--baseline", workspace.path + "/d/results/boundary-drift.ovseg.json",
            other.path + "/d/results/boundary-drift.ovseg.json",
        ])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("dataset fingerprint differs"))
    }

    @Test func shardsMergeToTheUnshardedRun() throws {
        let workspace = try Workspace()
        try demo(workspace, images: 8)
        var shardFiles: [String] = []
        for k in 1...3 {
            let file = workspace.path + "/s\(k).json"
            let outcome = try CLI.run([
                "score", "--vocab", "potsdam", "--split", "dlrsd-overlap", "--gt", workspace.path + "/d/gt", "--pred",
                workspace.path + "/d/predictions/boundary-drift", "--shard", "\(k)/3", "-o", file, "--quiet",
            ])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            shardFiles.append(file)
        }
        let merged = workspace.path + "/merged.json"
        let merge = try CLI.run(["merge"] + shardFiles + ["-o", merged, "--quiet"])
        #expect(merge.status == 0, "\(merge.stderr)")
        let check = try CLI.run(["check", "--exact", "--baseline", workspace.path + "/d/results/boundary-drift.ovseg.json", merged])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")

        let missing = try CLI.run(["merge", shardFiles[0], shardFiles[2], "-o", workspace.path + "/partial.json"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("2/3"))
    }

    @Test func vocabularyCommands() throws {
        let list = try CLI.run(["vocab", "list"])
        #expect(list.status == 0)
        for key in ["potsdam", "vaihingen", "isaid", "loveda", "dlrsd", "openearthmap", "uavid", "udd5", "vdd", "gid5"] {
            #expect(list.stdout.contains(key))
        }
        let validate = try CLI.run(["vocab", "validate"])
        #expect(validate.status == 0, "\(validate.stdout)")
        let show = try CLI.run(["vocab", "show", "isaid"])
        #expect(show.stdout.contains("helicopter"))

        let workspace = try Workspace()
        let bad = workspace.path + "/bad.json"
        try Data("{\"schema\": \"ovseg-vocabulary/1\", \"key\": \"bad\"}".utf8).write(to: URL(fileURLWithPath: bad))
        let invalid = try CLI.run(["vocab", "validate", bad])
        #expect(invalid.status == 2)
        #expect(invalid.stdout.contains("bad.json"))
    }
}


/// One spelling for outputs (`-o/--output`, `--out` kept as an alias), missing output folders
/// created, and every command's help ending with examples and no doubled defaults.
@Suite("Consistent options")
struct ConsistentOptionsTests {
    @Test func outputSpellingsAndMissingFolders() throws {
        let workspace = try Workspace()
        let demo = try CLI.run(["demo", "--output", workspace.path + "/d", "--images", "2", "--size", "64", "--skip-model"])
        try #require(demo.status == 0, "\(demo.stderr)")
        let run = workspace.path + "/new/nested/run.ovseg.json"
        let score = try CLI.run([
            "score", "--vocab", "potsdam", "--gt", workspace.path + "/d/gt",
            "--pred", workspace.path + "/d/predictions/boundary-drift", "-o", run,
        ])
        #expect(score.status == 0, "\(score.stderr)")
        #expect(FileManager.default.fileExists(atPath: run))
        for flag in ["-o", "--output", "--out"] {
            let folder = workspace.path + "/report\(flag)"
            let report = try CLI.run(["report", run, flag, folder, "--bootstrap", "0"])
            #expect(report.status == 0, "\(flag): \(report.stderr)")
            #expect(FileManager.default.fileExists(atPath: folder + "/report.md"), "\(flag)")
        }
    }

    @Test func everyCommandHelpEndsWithExamples() throws {
        for command in ["demo", "report", "score", "check", "merge", "vocab", "embed", "eval"] {
            let help = try CLI.run([command, "--help"])
            #expect(help.stdout.contains("Examples:\n  ovseg \(command)") || help.stdout.contains("Examples:\n  ovseg"),
                    "\(command) --help has no examples")
            #expect(!help.stdout.contains(") (default:"), "\(command) --help doubles a default")
        }
    }
}


/// `--seen … --unseen …` define a split for one run: the same classes as a named split give the
/// same seen/unseen means, recorded as a command-line split; contradictions are usage errors.
@Suite("Splits from the command line")
struct CommandLineSplitCLITests {
    @Test func givenSplitEqualsTheNamedOne() throws {
        let workspace = try Workspace()
        let demo = try CLI.run(["demo", "-o", workspace.path + "/d", "--images", "2", "--size", "64", "--skip-model"])
        try #require(demo.status == 0, "\(demo.stderr)")
        let base = ["score", "--vocab", "potsdam", "--gt", workspace.path + "/d/gt", "--pred", workspace.path + "/d/predictions/class-confusion"]
        let named = try CLI.run(base + ["--split", "dlrsd-overlap", "-o", workspace.path + "/named.ovseg.json"])
        let given = try CLI.run(base + [
            "--seen", "building", "tree", "car", "--unseen", "impervious surfaces", "low vegetation", "clutter/background",
            "-o", workspace.path + "/given.ovseg.json",
        ])
        try #require(named.status == 0 && given.status == 0, "\(named.stderr)\(given.stderr)")
        let read = { (name: String) throws -> [String: Any] in
            try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: workspace.path + "/" + name))) as? [String: Any])
        }
        let a = try read("named.ovseg.json"), b = try read("given.ovseg.json")
        let metrics = { (run: [String: Any]) in (run["metrics"] as? [String: Any]).map { [$0["miou_seen"] as? Double, $0["miou_unseen"] as? Double, $0["hiou"] as? Double] } }
        #expect(metrics(a) != nil && metrics(a) == metrics(b))
        #expect((b["split"] as? [String: Any])?["name"] as? String == "command-line")
        // Stored runs re-split: a run scored without a split, re-split by check/report, equals the
        // run scored with it; without --split the two are refused as incomparable.
        let plain = try CLI.run(base + ["--no-split", "-o", workspace.path + "/plain.ovseg.json"])
        try #require(plain.status == 0, "\(plain.stderr)")
        let pair = ["--baseline", workspace.path + "/named.ovseg.json", workspace.path + "/plain.ovseg.json"]
        #expect(try CLI.run(["check", "--exact"] + pair).status == 2)
        let junit = workspace.path + "/junit.xml"
        let resplit = try CLI.run(["check", "--exact", "--split", "dlrsd-overlap", "--junit", junit] + pair)
        #expect(resplit.status == 0, "\(resplit.stdout)\(resplit.stderr)")
        #expect(try String(contentsOfFile: junit, encoding: .utf8).contains("name=\"mIoU unseen\""))
        let none = try CLI.run(["check", "--exact", "--split", "none", "--junit", junit] + pair)
        #expect(none.status == 0, "\(none.stdout)\(none.stderr)")
        #expect(!(try String(contentsOfFile: junit, encoding: .utf8).contains("mIoU unseen")))
        #expect(try CLI.run(["check", "--split", "no-such-split"] + pair).status == 2)
        let report = try CLI.run([
            "report", workspace.path + "/named.ovseg.json", workspace.path + "/plain.ovseg.json", "-o", workspace.path + "/rep",
            "--split", "dlrsd-overlap", "--bootstrap", "0", "--label", workspace.path + "/plain.ovseg.json=plain",
        ])
        #expect(report.status == 0, "\(report.stderr)")
        let markdown = try String(contentsOfFile: workspace.path + "/rep/report.md", encoding: .utf8)
        #expect(markdown.contains("hIoU") && !markdown.contains("## Runs that cannot be compared"))
        for bad in [["--seen", "building"], ["--seen", "building", "--unseen", "car", "--split", "dlrsd-overlap"],
                    ["--seen", "building", "--unseen", "nothing"]] {
            let refused = try CLI.run(base + bad + ["-o", workspace.path + "/bad.ovseg.json"])
            #expect(refused.status == 2, "\(bad): \(refused.stderr)")
        }
    }
}
