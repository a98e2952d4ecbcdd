import Foundation
import Testing

/// `ovseg classify score`, and `report` / `check` on scene-classification runs
/// (docs/scene-classification.md), end to end on a hand-computed case.
@Suite("ovseg classify", .serialized)
struct ClassifyCommandTests {
    /// Four UC Merced images: a, b right; c (river) predicted forest; d (forest) right.
    /// Accuracy 3/4; forest: support 2, predicted 3, TP 2 → precision 2/3, recall 1.
    static let labels = "image,label\na,beach\nb,airplane\nc,river\nd,forest\n"
    static let predictions = "image,prediction\na,beach\nb,airplane\nc,forest\nd,forest\n"

    func write(_ text: String, _ path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func score(_ workspace: Workspace, labels: String = labels, predictions: String = predictions, output: String = "run.ovseg.json")
        throws -> CLI.Outcome
    {
        try write(labels, workspace.path + "/labels.csv")
        try write(predictions, workspace.path + "/pred.csv")
        return try CLI.run(["classify", "score", "--vocab", "ucmerced", "--gt", workspace.path + "/labels.csv",
                            "--pred", workspace.path + "/pred.csv", "-o", workspace.path + "/" + output, "--quiet"])
    }

    @Test func scoresReportsAndChecks() throws {
        let workspace = try Workspace()
        let outcome = try score(workspace)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: workspace.path + "/run.ovseg.json"))) as? [String: Any])
        #expect(document["kind"] as? String == "scene-classification")
        let metrics = try #require(document["metrics"] as? [String: Any])
        #expect(metrics["accuracy"] as? Double == 0.75)
        #expect(metrics["top5_accuracy"] is NSNull)

        let report = try CLI.run(["report", workspace.path + "/run.ovseg.json", "-o", workspace.path + "/report", "--bootstrap", "50"])
        #expect(report.status == 0, "\(report.stderr)")
        let markdown = try String(contentsOfFile: workspace.path + "/report/report.md", encoding: .utf8)
        #expect(markdown.contains("75.00 \\["))
        #expect(markdown.contains("confusion matrix"))

        let same = try CLI.run(["check", "--exact", "--baseline", workspace.path + "/run.ovseg.json", workspace.path + "/run.ovseg.json"])
        #expect(same.status == 0, "\(same.stdout)\(same.stderr)")
        let worse = try score(workspace, predictions: Self.predictions.replacingOccurrences(of: "a,beach", with: "a,river"), output: "worse.ovseg.json")
        #expect(worse.status == 0, "\(worse.stderr)")
        let regression = try CLI.run(["check", "--exact", "--baseline", workspace.path + "/run.ovseg.json", workspace.path + "/worse.ovseg.json"])
        #expect(regression.status == 1, "\(regression.stdout)\(regression.stderr)")
        #expect(regression.stdout.contains("FAIL top-1 accuracy"))
        #expect(regression.stdout.contains("FAIL exact confusion matrix: confusion matrix cell (beach → beach)"))

        let merge = try CLI.run(["merge", workspace.path + "/run.ovseg.json", "-o", workspace.path + "/m.ovseg.json"])
        #expect(merge.status == 2)
        #expect(merge.stderr.contains("scene-classification run"))
    }

    @Test func badInputIsOneLineAndWritesNothing() throws {
        let workspace = try Workspace()
        let outcome = try score(workspace, predictions: Self.predictions.replacingOccurrences(of: "d,forest", with: "d,forrest"))
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("pred.csv: line 5 (image 'd'): 'forrest'"), "\(outcome.stderr)")
        #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
        #expect(!workspace.exists("run.ovseg.json"))
    }

    @Test func semanticCommandsRefuseSceneVocabularies() throws {
        let workspace = try Workspace()
        let outcome = try CLI.run(["score", "--vocab", "aid", "--gt", workspace.path, "--pred", workspace.path, "-o", workspace.path + "/x.ovseg.json"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("scene-classification vocabulary"), "\(outcome.stderr)")
        let show = try CLI.run(["vocab", "show", "aid"])
        #expect(show.status == 0 && show.stdout.contains("30 classes"), "\(show.stderr)")
    }
}
