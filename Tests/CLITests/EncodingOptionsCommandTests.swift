import Foundation
import Testing

/// `--reduce-zero-label`, `--ignore`, `--ignore-color`, `--label-format` and the default-split rule,
/// through the built binary on the demo data (Potsdam RGB ground truth with black boundaries).
@Suite("ovseg encoding options and default split", .serialized)
struct EncodingOptionsCommandTests {
    func demo(_ workspace: Workspace) throws {
        let outcome = try CLI.run(["demo", "--out", workspace.path + "/d", "--images", "3", "--size", "64", "--skip-model"])
        try #require(outcome.status == 0, "\(outcome.stderr)")
    }

    func score(_ workspace: Workspace, _ output: String, _ extra: [String], vocab: String = "potsdam") throws -> CLI.Outcome {
        try CLI.run(
            ["score", "--vocab", vocab, "--gt", workspace.path + "/d/gt", "--pred",
             workspace.path + "/d/predictions/boundary-drift", "-o", workspace.path + "/" + output, "--no-progress"] + extra)
    }

    func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    @Test func withoutSplitAVocabularyWithoutDefaultReportsAllClassFiguresOnly() throws {
        let workspace = try Workspace()
        try demo(workspace)
        let plain = try score(workspace, "plain.ovseg.json", [])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout.contains("split: none: no --split given and the vocabulary declares no default_split"), "\(plain.stdout)")
        #expect(!plain.stdout.contains("hIoU"))
        let document = try json(workspace.path + "/plain.ovseg.json")
        #expect(document["split"] is NSNull)
        #expect(document["split_origin"] as? String == "no-default")

        let named = try score(workspace, "named.ovseg.json", ["--split", "dlrsd-overlap"])
        #expect(named.status == 0, "\(named.stderr)")
        #expect(named.stdout.contains("split dlrsd-overlap, chosen by --split"), "\(named.stdout)")
        #expect(try json(workspace.path + "/named.ovseg.json")["split_origin"] as? String == "split-name")
    }

    @Test func aVocabularysDefaultSplitIsUsedAndNamed() throws {
        let workspace = try Workspace()
        try demo(workspace)
        let file = workspace.path + "/potsdam-default.json"
        let exported = try CLI.run(["vocab", "export", "potsdam", "-o", file])
        try #require(exported.status == 0, "\(exported.stderr)")
        var vocabulary = try json(file)
        vocabulary["default_split"] = "dlrsd-overlap"
        try JSONSerialization.data(withJSONObject: vocabulary).write(to: URL(fileURLWithPath: file))

        let run = try score(workspace, "default.ovseg.json", [], vocab: file)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("split dlrsd-overlap, chosen by the vocabulary's default_split"), "\(run.stdout)")
        #expect(run.stdout.contains("hIoU"))
        let document = try json(workspace.path + "/default.ovseg.json")
        #expect((document["split"] as? [String: Any])?["name"] as? String == "dlrsd-overlap")
        #expect(document["split_origin"] as? String == "vocabulary-default")

        let report = try CLI.run(["report", workspace.path + "/default.ovseg.json", "-o", workspace.path + "/report"])
        #expect(report.status == 0, "\(report.stderr)")
        let markdown = try String(contentsOfFile: workspace.path + "/report/report.md", encoding: .utf8)
        #expect(markdown.contains("**Split chosen by:** the vocabulary's default\\_split"), "\(markdown)")

        vocabulary["default_split"] = "no-such-split"
        try JSONSerialization.data(withJSONObject: vocabulary).write(to: URL(fileURLWithPath: file))
        let broken = try score(workspace, "broken.ovseg.json", [], vocab: file)
        #expect(broken.status == 2)
        #expect(broken.stderr.contains("default_split 'no-such-split' names no split of this file"), "\(broken.stderr)")
    }

    @Test func overridesAreRecordedNamedAndMakeRunsIncomparable() throws {
        let workspace = try Workspace()
        try demo(workspace)
        try #require(try score(workspace, "plain.ovseg.json", ["--split", "dlrsd-overlap"]).status == 0)
        let overridden = try score(
            workspace, "over.ovseg.json", ["--split", "dlrsd-overlap", "--reduce-zero-label", "no", "--ignore", "255", "7"])
        #expect(overridden.status == 0, "\(overridden.stderr)")
        #expect(overridden.stdout.contains(
            "label encoding: ignore values: 255, 7 (command line; vocabulary says 255); reduce_zero_label: no (command line; vocabulary says yes)"),
            "\(overridden.stdout)")
        let policy = try #require(try json(workspace.path + "/over.ovseg.json")["policy"] as? [String: Any])
        #expect(policy["reduce_zero_label"] as? Bool == false)
        #expect(policy["ignore_values"] as? [Int] == [255, 7])
        #expect(policy["label_format"] is NSNull)
        let origins = try #require(policy["encoding_origin"] as? [String: String])
        #expect(origins == ["reduce_zero_label": "command line", "ignore_values": "command line",
                            "ignore_colors": "vocabulary", "label_format": "vocabulary"])

        let report = try CLI.run(["report", workspace.path + "/over.ovseg.json", "-o", workspace.path + "/report"])
        #expect(report.status == 0, "\(report.stderr)")
        let markdown = try String(contentsOfFile: workspace.path + "/report/report.md", encoding: .utf8)
        #expect(markdown.contains("**reduce\\_zero\\_label:** no (command line; vocabulary says yes)"), "\(markdown)")

        // Colour-coded ground truth has no reduce_zero_label, so the counts agree, but the gate
        // still refuses to compare runs read with different encodings.
        let check = try CLI.run(["check", "--baseline", workspace.path + "/plain.ovseg.json", workspace.path + "/over.ovseg.json"])
        #expect(check.status == 2, "\(check.stdout)\(check.stderr)")
        #expect(check.stderr.contains("evaluation policy differs"), "\(check.stderr)")
        #expect(check.stderr.contains("reduce_zero_label true") && check.stderr.contains("reduce_zero_label false"))
    }

    @Test func badOverridesAreClearErrors() throws {
        let workspace = try Workspace()
        try demo(workspace)
        let cases: [([String], String)] = [
            (["--ignore", "3"], "ignore value 3 is the id of class 'tree'"),
            (["--ignore", "70000"], "ignore value 70000 is outside 0…65535"),
            (["--ignore", "x"], "--ignore takes integers 0–65535"),
            (["--ignore-color", "255,255,255"], "ignore colour (255,255,255) is the colour of class 'impervious surfaces'"),
            (["--ignore-color", "1,2"], "--ignore-color takes colours R,G,B"),
            // Without black as an ignore colour, the boundaries are unknown colours.
            (["--ignore-color", "none"], "unknown colour (0,0,0)"),
            (["--label-format", "palette"], "is an 8-bit RGB PNG, not a palette PNG"),
            (["--label-format", "index"], "read as label format 'index', but its channels differ at pixel"),
        ]
        for (arguments, message) in cases {
            let outcome = try score(workspace, "bad.ovseg.json", arguments)
            #expect(outcome.status == 2, "\(arguments): \(outcome.stderr)")
            #expect(outcome.stderr.contains(message), "\(arguments): \(outcome.stderr)")
        }
        let reduce = try score(workspace, "bad.ovseg.json", ["--reduce-zero-label", "maybe"])
        #expect(reduce.status != 0)
        #expect(!FileManager.default.fileExists(atPath: workspace.path + "/bad.ovseg.json"))
    }

    @Test func theOptionsExistWhereLabelsAreRead() throws {
        for command in ["score", "eval"] {
            let help = try CLI.run([command, "--help"])
            for option in ["--reduce-zero-label", "--ignore ", "--ignore-color", "--label-format"] {
                #expect(help.stdout.contains(option), "\(command) lacks \(option)")
            }
        }
        // eval reads its ground truth with the options too.
        let workspace = try Workspace()
        try demo(workspace)
        let checkpoint = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Demo/sgseg-demo.safetensors").path
        for (arguments, message) in [
            (["--ignore", "3"], "ignore value 3 is the id of class 'tree'"),
            (["--label-format", "palette"], "is an 8-bit RGB PNG, not a palette PNG"),
        ] {
            let eval = try CLI.run(
                ["eval", "--vocab", "potsdam", "--data", workspace.path + "/d", "--checkpoint", checkpoint, "--no-progress",
                 "-o", workspace.path + "/eval.ovseg.json"] + arguments)
            #expect(eval.status == 2, "\(arguments): \(eval.stderr)")
            #expect(eval.stderr.contains(message), "\(arguments): \(eval.stderr)")
        }
        let inspect = try CLI.run(["inspect", "--help"])
        #expect(inspect.stdout.contains("--reduce-zero-label") && inspect.stdout.contains("--ignore-color"))
        #expect(!inspect.stdout.contains("--label-format"), "inspect surveys raw values: no --label-format")
    }
}
