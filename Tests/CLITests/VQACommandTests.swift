import Foundation
import Testing

/// `ovseg vqa score`, and `report` / `check` on VQA runs (docs/vqa.md), end to end.
@Suite("ovseg vqa", .serialized)
struct VQACommandTests {
    /// presence: yes ✓ ("Yes."), no ✗ ("yes"); count (RSVQA-LR buckets): 27 vs "31" ✓ (both in
    /// (10, 100]); area: 1234m2 vs "999 m2" ✗ ((100, 1000] vs more than 1000).
    /// OA = 2/4 = 50.00; per type presence 50, count 100, area 0 → AA = 50.00.
    static let groundTruth = """
        id,type,answer,question
        1,presence,yes,Is there a road?
        2,presence,no,Is there <i>water</i>?
        3,count,27,How many buildings are there?
        4,area,1234m2,What is the area of buildings?

        """
    static let predictions = "id,answer\n1,Yes.\n2,yes\n3,31\n4,999 m2\n"

    func write(_ text: String, _ path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func score(_ workspace: Workspace, pred: String = predictions, output: String = "run", extra: [String] = []) throws -> CLI.Outcome {
        try write(Self.groundTruth, workspace.path + "/gt.csv")
        try write(pred, workspace.path + "/pred.csv")
        return try CLI.run(["vqa", "score", "--gt", workspace.path + "/gt.csv", "--pred", workspace.path + "/pred.csv",
                            "--count-buckets", "rsvqa", "-o", workspace.path + "/\(output).ovseg.json"] + extra)
    }

    @Test func scoresReportsAndChecks() throws {
        let workspace = try Workspace()
        let outcome = try score(workspace)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("overall (OA)"))
        let document = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: workspace.path + "/run.ovseg.json"))) as? [String: Any])
        #expect(document["kind"] as? String == "vqa")
        let metrics = try #require(document["metrics"] as? [String: Any])
        #expect(metrics["correct"] as? Int == 2)
        #expect(metrics["overall_accuracy"] as? Double == 0.5)
        #expect(metrics["average_accuracy"] as? Double == 0.5)

        let report = try CLI.run(["report", workspace.path + "/run.ovseg.json", "-o", workspace.path + "/report"])
        #expect(report.status == 0, "\(report.stderr)")
        let html = try String(contentsOfFile: workspace.path + "/report/report.html", encoding: .utf8)
        // Wrong answers are listed, escaped; right ones are not.
        #expect(html.contains("Is there &lt;i&gt;water&lt;/i&gt;?"))
        #expect(!html.contains("<i>water"))
        #expect(!html.contains("Is there a road?"))
        #expect(html.contains("<td>50.00</td>"))

        let same = try CLI.run(["check", "--exact", "--baseline", workspace.path + "/run.ovseg.json", workspace.path + "/run.ovseg.json"])
        #expect(same.status == 0, "\(same.stdout)\(same.stderr)")
        #expect(same.stdout.contains("PASS"))
        // A worse run: question 1 wrong too → OA 25.00, presence 0.
        let worse = try score(workspace, pred: Self.predictions.replacingOccurrences(of: "1,Yes.", with: "1,no"), output: "worse")
        #expect(worse.status == 0, "\(worse.stderr)")
        let failed = try CLI.run(["check", "--baseline", workspace.path + "/run.ovseg.json", workspace.path + "/worse.ovseg.json"])
        #expect(failed.status == 1, "\(failed.stdout)\(failed.stderr)")
        #expect(failed.stdout.contains("FAIL accuracy[presence]"))
        let mixed = try CLI.run(["check", "--numeric-noise", "--baseline", workspace.path + "/run.ovseg.json", workspace.path + "/worse.ovseg.json"])
        #expect(mixed.status == 2)
    }

    @Test func badInputExitsTwoWithOneLine() throws {
        let workspace = try Workspace()
        let missing = try score(workspace, pred: "id,answer\n1,yes\n2,no\n3,5\n")
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("\"4\"") && missing.stderr.contains("--missing-as-wrong"))
        #expect(!FileManager.default.fileExists(atPath: workspace.path + "/run.ovseg.json"))
        let allowed = try score(workspace, pred: "id,answer\n1,yes\n2,no\n3,5\n", extra: ["--missing-as-wrong", "--quiet"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stderr.contains("1 of 4 questions"))
        let unknown = try score(workspace, pred: Self.predictions + "77,yes\n", output: "u")
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("\"77\""))
        let buckets = try score(workspace, output: "b", extra: ["--area-buckets", "100,10"])
        #expect(buckets.status == 2)
        #expect(buckets.stderr.contains("--area-buckets"))
        for outcome in [missing, unknown, buckets] {
            #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
        }
    }
}
