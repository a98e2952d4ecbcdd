import Foundation
import Testing

/// `ovseg suite report`, `ovseg suite baselines` and `ovseg report --latex` end to end, on the
/// suite-run fixture of the SuiteReports tests.
@Suite("ovseg suite report command line", .serialized)
struct SuiteReportCommandTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SuiteReportsTests/Fixtures/suite-run").path

    func copiedFixture(_ workspace: Workspace) throws -> String {
        let directory = workspace.path + "/run"
        try FileManager.default.copyItem(atPath: Self.fixture, toPath: directory)
        return directory
    }

    @Test func writesTheGridTheDatasetReportsAndTheLaTeXTables() throws {
        let workspace = try Workspace()
        let run = try copiedFixture(workspace)
        let outcome = try CLI.run(["suite", "report", run, "--grids", "miou,seen", "--latex", "--bootstrap", "0"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("suite.md, suite.html, 3 dataset reports, 2 LaTeX tables and suite-tables.tex"), "\(outcome.stdout)")
        for file in ["suite.md", "suite.html", "grid-miou.tex", "grid-seen.tex", "suite-tables.tex", "potsdam/report.html", "gid5/report.md"] {
            #expect(workspace.exists("run/report/\(file)"), "\(file)")
        }
        #expect(!workspace.exists("run/report/grid-hiou.tex"))
        let markdown = try String(contentsOfFile: run + "/report/suite.md", encoding: .utf8)
        #expect(markdown.contains("***Published***") && markdown.contains("## seen mIoU (%) — trained on dlrsd"))

        let bare = try CLI.run(["suite", "report", run, "-o", workspace.path + "/bare", "--no-published", "--bootstrap", "0"])
        #expect(bare.status == 0, "\(bare.stderr)")
        let plain = try String(contentsOfFile: workspace.path + "/bare/suite.md", encoding: .utf8)
        #expect(!plain.contains("Published") && !workspace.exists("bare/grid-miou.tex"))
    }

    @Test func badInputExitsWithTwoAndOneLineNamingTheProblem() throws {
        let workspace = try Workspace()
        let run = try copiedFixture(workspace)
        let grids = try CLI.run(["suite", "report", run, "--grids", "miou,mAcc"])
        #expect(grids.status == 2 && grids.stderr.contains("--grids: unknown grid 'macc'"), "\(grids.stderr)")
        let into = try CLI.run(["suite", "report", run, "-o", run])
        #expect(into.status == 2 && into.stderr.contains("contains the suite-run manifest"), "\(into.stderr)")
        let manifest = run + "/suite-run.json"
        let text = try String(contentsOfFile: manifest, encoding: .utf8)
        try text.replacingOccurrences(of: "\"schema_version\": 1", with: "\"schema_version\": 2").write(toFile: manifest, atomically: true, encoding: .utf8)
        let version = try CLI.run(["suite", "report", run])
        #expect(version.status == 2)
        #expect(version.stderr == "ovseg: error: \(manifest): schema_version: this ovseg reads version 1, the file has version 2\n")
        #expect(!workspace.exists("run/report"))
    }

    @Test func listsThePublishedBaselines() throws {
        let dlrsd = try CLI.run(["suite", "baselines", "--train", "dlrsd"])
        #expect(dlrsd.status == 0, "\(dlrsd.stderr)")
        #expect(dlrsd.stdout.contains("SGSeg (ConvNeXt-L), trained on dlrsd, miou: isaid 42.28, dlrsd 87.75, vaihingen 37.77, potsdam 32.45, loveda 26.4, gid5 30.06"))
        #expect(!dlrsd.stdout.contains("trained on isaid"))
        let none = try CLI.run(["suite", "baselines", "--train", "nowhere"])
        #expect(none.status == 0 && none.stdout == "no published baselines match\n")
    }

    @Test func reportWritesItsTablesAsLaTeX() throws {
        let workspace = try Workspace()
        let run = try copiedFixture(workspace)
        let outcome = try CLI.run([
            "report", run + "/cells/m0/potsdam.ovseg.json", run + "/cells/m2/potsdam.ovseg.json", "-o", workspace.path + "/r",
            "--latex", "--bootstrap", "0",
        ])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("report.md, report.html, report-tables.tex"), "\(outcome.stdout)")
        let tex = try String(contentsOfFile: workspace.path + "/r/report-tables.tex", encoding: .utf8)
        #expect(tex.contains("\\caption{Per-class IoU (\\%, best per row in bold)}") && tex.contains("\\toprule"))
        #expect(tex.contains("clutter/background & unseen &"))
    }
}
