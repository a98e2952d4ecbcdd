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
        ])
        #expect(ok.status == 0, "\(ok.stderr)")
        let html = try String(contentsOfFile: workspace.path + "/r/report.html", encoding: .utf8)
        #expect(html.contains("<h1>&lt;script&gt;t&lt;/script&gt;</h1>"))
        #expect(html.contains("<p class=\"intro\">Data: &lt;b&gt;synthetic&lt;/b&gt; &amp; small | 4 tiles</p>"))
        let markdown = try String(contentsOfFile: workspace.path + "/r/report.md", encoding: .utf8)
        #expect(markdown.contains("synthetic"))
        #expect(!markdown.contains("<b>synthetic</b>"), "HTML in a note is escaped in Markdown too")
        #expect(html.contains("Differences against seen-collapse"))
        #expect(html.contains("data:image/png;base64,"))

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
}
