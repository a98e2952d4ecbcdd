import Foundation
import Testing

@Suite("ovseg report command line", .serialized)
struct ReportCommandTests {
    @Test func demoWritesItsReport() throws {
        let workspace = try Workspace()
        let outcome = try CLI.run(["demo", "--out", workspace.path + "/d", "--images", "4", "--size", "64", "--skip-model"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        for file in ["report.md", "report.html", "iou-per-class.svg", "seen-unseen.svg", "confusion-1-boundary-drift.svg"] {
            #expect(workspace.exists("d/report/\(file)"), "\(file)")
        }
    }

    @Test func reportWritesFilesRefusesMixedRunsAndNamesProblems() throws {
        let workspace = try Workspace()
        #expect(try CLI.run(["demo", "--out", workspace.path + "/a", "--images", "4", "--size", "64", "--skip-model"]).status == 0)
        #expect(try CLI.run(["demo", "--out", workspace.path + "/b", "--images", "5", "--size", "64", "--skip-model"]).status == 0)
        let a = workspace.path + "/a/results/"
        let ok = try CLI.run([
            "report", a + "boundary-drift.ovseg.json", a + "seen-collapse.ovseg.json", "--out", workspace.path + "/r",
            "--title", "<script>t</script>", "--note", "Data: <b>synthetic</b> & small | 4 tiles", "--baseline", "seen-collapse", "--bootstrap", "100", "--seed", "3",
            "--gt", workspace.path + "/a/gt", "--pred", "seen-collapse=" + workspace.path + "/a/predictions/seen-collapse",
            "--thumb-size", "32",
        ])
        #expect(ok.status == 0, "\(ok.stderr)")
        // The worst 3 images: ground truth and seen-collapse in full resolution beside the report, thumbnails of 32 px inline.
        let tiles = try FileManager.default.contentsOfDirectory(atPath: workspace.path + "/r/qualitative")
        #expect(tiles.count == 6 && tiles.allSatisfy { $0.hasSuffix("-ground-truth.png") || $0.hasSuffix("-2-seen-collapse.png") })
        #expect(ok.stdout.contains("6 full-resolution images in qualitative/"), "\(ok.stdout)")
        let html = try String(contentsOfFile: workspace.path + "/r/report.html", encoding: .utf8)
        #expect(html.contains("<h1>&lt;script&gt;t&lt;/script&gt;</h1>"))
        #expect(html.contains("<p class=\"intro\">Data: &lt;b&gt;synthetic&lt;/b&gt; &amp; small | 4 tiles</p>"))
        let markdown = try String(contentsOfFile: workspace.path + "/r/report.md", encoding: .utf8)
        #expect(markdown.contains("synthetic"))
        #expect(!markdown.contains("<b>synthetic</b>"), "HTML in a note is escaped in Markdown too")
        #expect(html.contains("Differences against seen-collapse"))
        #expect(html.contains("data:image/png;base64,"))
        #expect(html.contains("width=\"32\" height=\"32\"") && html.contains("<a href=\"qualitative/"))
        let badSize = try CLI.run(["report", a + "boundary-drift.ovseg.json", "--out", workspace.path + "/x", "--thumb-size", "2"])
        #expect(badSize.status != 0 && badSize.stderr.contains("--thumb-size"), "\(badSize.stderr)")

        let mixed = [a + "boundary-drift.ovseg.json", workspace.path + "/b/results/boundary-drift.ovseg.json"]
        let refused = try CLI.run(["report"] + mixed + ["--out", workspace.path + "/m"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("dataset fingerprint differs") && refused.stderr.contains("--allow-mixed"))
        #expect(!workspace.exists("m/report.html"))
        let sectioned = try CLI.run(["report"] + mixed + ["--out", workspace.path + "/m", "--allow-mixed"])
        #expect(sectioned.status == 0, "\(sectioned.stderr)")
        #expect(workspace.exists("m/s2-iou-per-class.svg"))

        let missing = try CLI.run(["report", workspace.path + "/nope.ovseg.json", "--out", workspace.path + "/x"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nope.ovseg.json"))
        let baseline = try CLI.run(["report", a + "boundary-drift.ovseg.json", "--out", workspace.path + "/x", "--baseline", "zzz"])
        #expect(baseline.status == 2)
        #expect(baseline.stderr.contains("--baseline zzz"))
    }

    /// Issue 14: every `work_dirs/exp*/pred` run is called `pred`; a `--pred` for an unknown method was
    /// ignored; a prediction folder that is not the run's was shown anyway.
    @Test func sameNamedRunsUnknownPredAndForeignPredictionsAreRefused() throws {
        let workspace = try Workspace()
        let w = workspace.path
        #expect(try CLI.run(["demo", "--out", w + "/a", "--images", "4", "--size", "64", "--skip-model"]).status == 0)
        for (experiment, method) in [("exp1", "boundary-drift"), ("exp2", "seen-collapse")] {
            try FileManager.default.createDirectory(atPath: w + "/work_dirs/" + experiment, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: w + "/a/predictions/" + method, toPath: w + "/work_dirs/\(experiment)/pred")
            let scored = try CLI.run([
                "score", "--vocab", "potsdam", "--gt", w + "/a/gt", "--pred", "work_dirs/\(experiment)/pred",
                "-o", "work_dirs/\(experiment)/run.ovseg.json",
            ], in: w)
            try #require(scored.status == 0, "\(scored.stderr)")
        }
        let runs = ["report", "work_dirs/exp1/run.ovseg.json", "work_dirs/exp2/run.ovseg.json", "--bootstrap", "0"]

        let same = try CLI.run(runs + ["--out", "r1"], in: w)
        #expect(same.status == 2)
        #expect(
            same.stderr.contains(
                "work_dirs/exp1/run.ovseg.json and work_dirs/exp2/run.ovseg.json both have the method name 'pred'"),
            "\(same.stderr)")
        #expect(same.stderr.contains("--label RUN=NAME"), "\(same.stderr)")
        #expect(!workspace.exists("r1/report.md"))

        // By file, then by the name the other run still has.
        let labels = ["--label", "work_dirs/exp1/run.ovseg.json=exp1", "--label", "pred=exp2"]
        let labelled = try CLI.run(runs + labels + ["--out", "r2"], in: w)
        #expect(labelled.status == 0, "\(labelled.stderr)")
        let markdown = try String(contentsOfFile: w + "/r2/report.md", encoding: .utf8)
        #expect(markdown.contains("| exp1 |") && markdown.contains("| exp2 |"), "\(markdown.prefix(2000))")
        let unknownLabel = try CLI.run(runs + ["--label", "exp3=x", "--out", "r3"], in: w)
        #expect(unknownLabel.status == 2)
        #expect(unknownLabel.stderr.contains("no results file or method name 'exp3'"), "\(unknownLabel.stderr)")

        let panel = runs + labels + ["--gt", w + "/a/gt"]
        let unknown = try CLI.run(panel + ["--pred", "exp9=work_dirs/exp1/pred", "--out", "r4"], in: w)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("--pred exp9=work_dirs/exp1/pred: no run has the method name 'exp9' (methods: exp1, exp2)"),
                "\(unknown.stderr)")

        let swapped = try CLI.run(panel + ["--pred", "exp1=work_dirs/exp2/pred", "--out", "r5"], in: w)
        #expect(swapped.status == 2)
        #expect(swapped.stderr.contains("--pred exp1=work_dirs/exp2/pred: work_dirs/exp2/pred/tile_"), "\(swapped.stderr)")
        #expect(swapped.stderr.contains("is not the prediction exp1 was scored with"), "\(swapped.stderr)")
        #expect(swapped.stderr.contains("(work_dirs/exp1/pred)"), "\(swapped.stderr)")
        #expect(!workspace.exists("r5/report.html"))

        let right = try CLI.run(
            panel + ["--pred", "exp1=work_dirs/exp1/pred", "--pred", "exp2=work_dirs/exp2/pred", "--out", "r6"], in: w)
        #expect(right.status == 0, "\(right.stderr)")
        #expect(try String(contentsOfFile: w + "/r6/report.html", encoding: .utf8).contains("data:image/png;base64,"))
    }
}
