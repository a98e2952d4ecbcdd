import Foundation
import Testing

private func json(_ path: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
}

/// The committed synthetic SGSeg checkpoint, read from the source tree.
private let demoCheckpoint = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Demo/sgseg-demo.safetensors").path

/// `--split-file` on score, eval, check and report, and per-fold runs reported with a fold summary.
@Suite("Split files and folds on the command line", .serialized)
struct SplitFileCommandTests {
    /// Three folds of the potsdam classes, each leaving two others unseen.
    static let folds = [
        (["impervious surfaces", "building", "low vegetation", "tree"], ["car", "clutter/background"]),
        (["car", "clutter/background", "tree", "building"], ["impervious surfaces", "low vegetation"]),
        (["impervious surfaces", "low vegetation", "car", "clutter/background"], ["building", "tree"]),
    ]

    /// A demo dataset and the three fold files `demo-fold<N>.json` in `workspace`.
    func prepare(_ workspace: Workspace) throws {
        let demo = try CLI.run(["demo", "-o", workspace.path + "/d", "--images", "3", "--size", "64", "--skip-model"])
        try #require(demo.status == 0, "\(demo.stderr)")
        for (number, fold) in Self.folds.enumerated() {
            let document: [String: Any] = [
                "name": "demo-fold\(number)", "vocabulary": "potsdam", "seen": fold.0, "unseen": fold.1,
                "source": "made up for the tests",
            ]
            try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
                .write(to: URL(fileURLWithPath: workspace.path + "/demo-fold\(number).json"))
        }
    }

    func score(_ workspace: Workspace, method: String, _ extra: [String], output: String) throws -> CLI.Outcome {
        try CLI.run([
            "score", "--vocab", "potsdam", "--gt", workspace.path + "/d/gt", "--pred", workspace.path + "/d/predictions/" + method,
            "--quiet", "-o", workspace.path + "/" + output,
        ] + extra)
    }

    @Test func scoreRecordsTheFileCheckAndReportReSplitByIt() throws {
        let workspace = try Workspace()
        try prepare(workspace)
        let w = workspace.path
        let scored = try score(workspace, method: "class-confusion", ["--split-file", w + "/demo-fold0.json"], output: "f0.ovseg.json")
        try #require(scored.status == 0, "\(scored.stderr)")
        let split = try #require(try json(w + "/f0.ovseg.json")["split"] as? [String: Any])
        #expect(split["name"] as? String == "demo-fold0")
        #expect(split["source"] as? String == "split file \(w)/demo-fold0.json; made up for the tests")
        #expect(split["seen_ids"] as? [Int] == [0, 1, 2, 3] && split["unseen_ids"] as? [Int] == [4, 5], "\(split)")

        // The same classes given one by one measure the same seen/unseen means.
        let given = try score(workspace, method: "class-confusion", ["--seen"] + Self.folds[0].0 + ["--unseen"] + Self.folds[0].1, output: "g.ovseg.json")
        try #require(given.status == 0, "\(given.stderr)")
        let metrics = { (path: String) throws -> [Double?] in
            let m = try #require(try json(w + "/" + path)["metrics"] as? [String: Any])
            return [m["miou_seen"] as? Double, m["miou_unseen"] as? Double, m["hiou"] as? Double]
        }
        #expect(try metrics("f0.ovseg.json") == metrics("g.ovseg.json") && metrics("g.ovseg.json")[0] != nil)

        // A stored run without a split, re-split by the file, equals the run scored with it.
        #expect(try score(workspace, method: "class-confusion", ["--no-split"], output: "plain.ovseg.json").status == 0)
        let pair = ["--baseline", w + "/f0.ovseg.json", w + "/plain.ovseg.json"]
        #expect(try CLI.run(["check", "--exact"] + pair).status == 2)
        let resplit = try CLI.run(["check", "--exact", "--split-file", w + "/demo-fold0.json"] + pair)
        #expect(resplit.status == 0, "\(resplit.stdout)\(resplit.stderr)")
        let both = try CLI.run(["check", "--exact", "--split-file", w + "/demo-fold0.json", "--split", "none"] + pair)
        #expect(both.status == 2 && both.stderr.contains("--split and --split-file"), "\(both.stderr)")

        let report = try CLI.run([
            "report", w + "/f0.ovseg.json", w + "/plain.ovseg.json", "--label", w + "/plain.ovseg.json=plain",
            "--split-file", w + "/demo-fold0.json", "--bootstrap", "0", "-o", w + "/rep",
        ])
        #expect(report.status == 0, "\(report.stderr)")
        let markdown = try String(contentsOfFile: w + "/rep/report.md", encoding: .utf8)
        #expect(markdown.contains("demo-fold0: seen impervious surfaces, building, low vegetation, tree; unseen car, clutter/background"))
        #expect(!markdown.contains("Section 1"), "one table: both runs re-split the same way")
        let conflicting = try CLI.run(["report", w + "/f0.ovseg.json", "--split", "none", "--split-file", w + "/demo-fold0.json", "-o", w + "/x"])
        #expect(conflicting.status == 2 && !workspace.exists("x/report.md"))
    }

    /// Every kind of bad file stops score (exit 2, nothing written) with a message naming the file,
    /// the key and the value; so do contradicting options.
    @Test func badSplitFilesAndContradictingOptionsAreRefused() throws {
        let workspace = try Workspace()
        try prepare(workspace)
        let w = workspace.path
        let cases: [(String, [String])] = [
            (#"{"name": "x", "seen": ["car"], "unseen": ["tree", "buidling"]}"#,
             ["unseen[1]: 'buidling' is not a class name or synonym of ISPRS Potsdam; did you mean 'building'?"]),
            (#"{"name": "x", "seen": ["car", "tree"], "unseen": ["trees"]}"#, ["unseen[0]: tree is also listed as seen"]),
            (#"{"name": "x", "seen": ["car"], "unsen": ["tree"]}"#, ["unsen: unknown key 'unsen'; did you mean 'unseen'?"]),
            (#"{"name": "x", "seen": ["car"], "unseen": []}"#, ["unseen: the unseen list is empty"]),
            (#"{"seen": ["car"], "unseen": ["tree"]}"#, ["name: missing key 'name'"]),
            (#"{"name": "x", "vocabulary": "loveda", "seen": ["car"], "unseen": ["tree"]}"#, ["vocabulary: the split is for 'loveda'"]),
            (#"{"name": "dlrsd-overlap", "seen": ["car"], "unseen": ["tree"]}"#, ["name: ISPRS Potsdam already has a split 'dlrsd-overlap'"]),
            (#"{"name": "x", "seen": ["car"]"#, ["the JSON document ends early"]),
        ]
        for (number, (text, expected)) in cases.enumerated() {
            let path = w + "/bad\(number).json"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let outcome = try score(workspace, method: "class-confusion", ["--split-file", path], output: "bad.ovseg.json")
            #expect(outcome.status == 2, "\(text)")
            #expect(outcome.stderr.contains(path + ": "), "the message names the file: \(outcome.stderr)")
            for part in expected {
                #expect(outcome.stderr.contains(part), "\(text): \(outcome.stderr)")
            }
            #expect(!workspace.exists("bad.ovseg.json"))
        }
        let missing = try score(workspace, method: "class-confusion", ["--split-file", w + "/nope.json"], output: "bad.ovseg.json")
        #expect(missing.status == 2 && missing.stderr.contains(w + "/nope.json: cannot open"), "\(missing.stderr)")
        for other in [["--split", "dlrsd-overlap"], ["--no-split"], ["--seen", "car", "--unseen", "tree"]] {
            let outcome = try score(workspace, method: "class-confusion", other + ["--split-file", w + "/demo-fold0.json"], output: "bad.ovseg.json")
            #expect(outcome.status == 2 && outcome.stderr.contains("--split-file each choose the run's split"), "\(other): \(outcome.stderr)")
        }
        // eval shares the options and refuses the file before segmenting anything.
        let eval = try CLI.run([
            "eval", "--vocab", "potsdam", "--data", w + "/d", "--checkpoint", demoCheckpoint,
            "--split-file", w + "/bad0.json", "-o", w + "/bad.ovseg.json",
        ])
        #expect(eval.status == 2 && eval.stderr.contains("did you mean 'building'?"), "\(eval.stderr)")
        #expect(!workspace.exists("bad.ovseg.json"))
    }

    @Test func evalRecordsTheSplitFile() throws {
        let workspace = try Workspace()
        try prepare(workspace)
        let w = workspace.path
        let outcome = try CLI.run([
            "eval", "--vocab", "potsdam", "--data", w + "/d", "--checkpoint", demoCheckpoint,
            "--split-file", w + "/demo-fold2.json", "-o", w + "/e.ovseg.json",
        ])
        try #require(outcome.status == 0, "\(outcome.stderr)")
        let split = try #require(try json(w + "/e.ovseg.json")["split"] as? [String: Any])
        #expect(split["name"] as? String == "demo-fold2")
        #expect((split["source"] as? String)?.hasPrefix("split file \(w)/demo-fold2.json") == true)
    }

    /// Per-fold runs of two methods (one lacking fold 2) make one report: a section per fold and a
    /// fold summary, printed too, whose means equal the means of the files' own figures.
    @Test func foldRunsAreReportedWithAFoldSummary() throws {
        let workspace = try Workspace()
        try prepare(workspace)
        let w = workspace.path
        var files: [String] = []
        for fold in 0..<3 {
            for method in ["class-confusion", "seen-collapse"] where !(method == "seen-collapse" && fold == 2) {
                let output = "\(method)-fold\(fold).ovseg.json"
                let outcome = try score(workspace, method: method, ["--split-file", w + "/demo-fold\(fold).json"], output: output)
                try #require(outcome.status == 0, "\(outcome.stderr)")
                files.append(w + "/" + output)
            }
        }
        let report = try CLI.run(["report"] + files + ["--bootstrap", "0", "-o", w + "/folds"])
        try #require(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.hasPrefix("Fold summary: ISPRS Potsdam, demo-fold0, demo-fold1, demo-fold2"), "\(report.stdout)")
        #expect(report.stdout.contains("seen-collapse    demo-fold0, demo-fold1 (no demo-fold2)"), "\(report.stdout)")
        #expect(report.stdout.contains("seen-collapse has no run on demo-fold2, so it has no means"))

        // Independently: mean and sample std (n − 1) of the per-fold figures the results files hold.
        var expected: [String] = []
        for key in ["miou", "miou_seen", "miou_unseen", "hiou"] {
            let values = try (0..<3).map { fold -> Double in
                let metrics = try #require(try json(w + "/class-confusion-fold\(fold).ovseg.json")["metrics"] as? [String: Any])
                return try #require(metrics[key] as? Double) * 100
            }
            let mean = values.reduce(0, +) / 3
            let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2).squareRoot()
            expected.append(String(format: "%.2f ± %.2f", mean, std))
        }
        let row = "| class-confusion | all 3 | " + expected.joined(separator: " | ") + " |"
        let markdown = try String(contentsOfFile: w + "/folds/report.md", encoding: .utf8)
        #expect(markdown.contains(row), "expected \(row) in\n\(markdown.prefix(3000))")
        for cell in expected { #expect(report.stdout.contains(cell)) }
        #expect(markdown.contains("## Section 3 of 3: ISPRS Potsdam, demo-fold2"))
        #expect(!markdown.contains("did not measure the same thing"))
        let html = try String(contentsOfFile: w + "/folds/report.html", encoding: .utf8)
        #expect(html.contains("<table id=\"fold-summary-1\">") && html.contains("<a href=\"#fold-summary-1\">"))

        // A fold beside a run without a split is still refused.
        #expect(try score(workspace, method: "class-confusion", ["--no-split"], output: "plain.ovseg.json").status == 0)
        let refused = try CLI.run(["report", files[0], w + "/plain.ovseg.json", "--bootstrap", "0", "-o", w + "/mixed"])
        #expect(refused.status == 2 && refused.stderr.contains("split differs"), "\(refused.stderr)")
    }
}
