import Foundation
import LabelMaps
import Testing

/// `ovseg refer score`, and `report` / `check` on referring runs (docs/referring.md), end to end:
/// a hand-computed run and one test per bad input (docs/referring.md §7).
@Suite("ovseg refer", .serialized)
struct ReferCommandTests {
    /// Two 4×4 samples. "a": target = the top-left 2×2 block (column-major counts 0, 2, 2, 2, 10),
    /// predicted exactly. "b": target = the right column (12, 4), predicted on its top half
    /// (12, 2, 2): I 2, U 4. cIoU = (4 + 2) / (4 + 4) = 75 %, gIoU = (1 + 0.5) / 2 = 75 %,
    /// Prec@0.5 = 2/2, Prec@0.6 = 1/2.
    static let groundTruth = """
        {"samples": [
          {"id": "a", "image_id": "img1", "text": "the <b>block</b> | top-left", "class": "building", "height": 4, "width": 4,
           "segmentation": {"size": [4, 4], "counts": [0, 2, 2, 2, 10]}},
          {"id": "b", "image_id": "img1", "text": "the right edge", "class": "road", "height": 4, "width": 4,
           "segmentation": [[3, 0, 4, 0, 4, 4, 3, 4]]}
        ]}
        """
    static let predictions = """
        {"samples": [
          {"id": "a", "segmentation": {"size": [4, 4], "counts": [0, 2, 2, 2, 10]}},
          {"id": "b", "segmentation": {"size": [4, 4], "counts": [12, 2, 2]}}
        ]}
        """

    func write(_ text: String, _ path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func score(_ workspace: Workspace, gt: String = groundTruth, pred: String = predictions, extra: [String] = [])
        throws -> CLI.Outcome
    {
        try write(gt, workspace.path + "/gt.json")
        try write(pred, workspace.path + "/pred.json")
        return try CLI.run(["refer", "score", "--gt", workspace.path + "/gt.json", "--pred", workspace.path + "/pred.json",
                            "-o", workspace.path + "/run.ovseg.json"] + extra)
    }

    @Test func scoresReportsAndChecks() throws {
        let workspace = try Workspace()
        let outcome = try score(workspace)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("75.00"))
        let document = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: workspace.path + "/run.ovseg.json"))) as? [String: Any])
        #expect(document["kind"] as? String == "referring")
        let metrics = try #require(document["metrics"] as? [String: Any])
        #expect(metrics["ciou"] as? Double == 0.75)
        #expect(metrics["giou"] as? Double == 0.75)
        let precision = try #require(metrics["precision"] as? [String: Any])
        #expect(precision["0.5"] as? Double == 1)
        #expect(precision["0.6"] as? Double == 0.5)
        let samples = try #require(document["samples"] as? [[String: Any]])
        #expect(samples.map { $0["intersection"] as? Int } == [4, 2])
        #expect(samples.map { $0["union"] as? Int } == [4, 4])

        let report = try CLI.run(["report", workspace.path + "/run.ovseg.json", "-o", workspace.path + "/report"])
        #expect(report.status == 0, "\(report.stderr)")
        let html = try String(contentsOfFile: workspace.path + "/report/report.html", encoding: .utf8)
        #expect(html.contains("the &lt;b&gt;block&lt;/b&gt; | top-left"))
        #expect(!html.contains("<b>block"))
        let markdown = try String(contentsOfFile: workspace.path + "/report/report.md", encoding: .utf8)
        #expect(markdown.contains("the \\<b\\>block\\</b\\> \\| top-left"))

        let same = try CLI.run(["check", "--exact", "--baseline", workspace.path + "/run.ovseg.json", workspace.path + "/run.ovseg.json"])
        #expect(same.status == 0, "\(same.stdout)\(same.stderr)")
        // A worse run: "a" predicted empty.
        try write(Self.predictions.replacingOccurrences(of: "[0, 2, 2, 2, 10]}},", with: "[16]}},"), workspace.path + "/worse.json")
        let worse = try CLI.run(["refer", "score", "--gt", workspace.path + "/gt.json", "--pred", workspace.path + "/worse.json",
                                 "-o", workspace.path + "/worse.ovseg.json", "--quiet"])
        #expect(worse.status == 0, "\(worse.stderr)")
        let regression = try CLI.run(["check", "--baseline", workspace.path + "/run.ovseg.json", workspace.path + "/worse.ovseg.json"])
        #expect(regression.status == 1, "\(regression.stdout)\(regression.stderr)")
        #expect(regression.stdout.contains("FAIL cIoU"))
        // A referring run and a semantic run are never merged together (the semantic reader
        // refuses the referring file with a sentence saying what it is).
        let pngPairs = try TIFFScoreTests.fixtures()
        let semantic = try CLI.run(["score", "--vocab", "potsdam", "--gt", pngPairs + "/gt_png", "--pred", pngPairs + "/pred_png",
                                    "-o", workspace.path + "/semantic.ovseg.json", "--quiet"])
        #expect(semantic.status == 0, "\(semantic.stderr)")
        let merge = try CLI.run(["merge", workspace.path + "/semantic.ovseg.json", workspace.path + "/run.ovseg.json",
                                 "-o", workspace.path + "/m.ovseg.json"])
        #expect(merge.status == 2)
        #expect(merge.stderr.contains("referring run"), "\(merge.stderr)")
    }

    func expectRefusal(_ outcome: CLI.Outcome, mentioning parts: [String], _ workspace: Workspace) {
        #expect(outcome.status == 2, "\(outcome.stdout)\(outcome.stderr)")
        for part in parts { #expect(outcome.stderr.contains(part), "\(outcome.stderr)") }
        #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
        #expect(!workspace.exists("run.ovseg.json"))
    }

    @Test func maskSizeDiffersFromTheImage() throws {
        let workspace = try Workspace()
        let pred = Self.predictions.replacingOccurrences(of: "{\"size\": [4, 4], \"counts\": [12, 2, 2]}", with: "{\"size\": [4, 5], \"counts\": [20]}")
        expectRefusal(try score(workspace, pred: pred), mentioning: ["\"b\"", "4×5", "4×4"], workspace)
    }

    @Test func countsNotSummingToTheImage() throws {
        let workspace = try Workspace()
        let gt = Self.groundTruth.replacingOccurrences(of: "[0, 2, 2, 2, 10]", with: "[0, 2, 2, 2, 9]")
        expectRefusal(try score(workspace, gt: gt), mentioning: ["\"a\"", "sum to 15", "16"], workspace)
    }

    @Test func predictionForAnUnknownSample() throws {
        let workspace = try Workspace()
        let pred = Self.predictions.replacingOccurrences(of: "\"id\": \"b\"", with: "\"id\": \"zz\"")
        expectRefusal(try score(workspace, pred: pred), mentioning: ["\"zz\"", "annotations do not have"], workspace)
    }

    @Test func missingPredictionAndTheOptIn() throws {
        let workspace = try Workspace()
        let pred = """
            {"samples": [{"id": "a", "segmentation": {"size": [4, 4], "counts": [0, 2, 2, 2, 10]}}]}
            """
        expectRefusal(try score(workspace, pred: pred), mentioning: ["\"b\"", "--missing-as-empty"], workspace)
        let counted = try score(workspace, pred: pred, extra: ["--missing-as-empty"])
        #expect(counted.status == 0, "\(counted.stderr)")
        #expect(counted.stderr.contains("1 of 2 samples had no prediction"))
        let document = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: workspace.path + "/run.ovseg.json"))) as? [String: Any])
        let predictions = try #require(document["predictions"] as? [String: Any])
        #expect(predictions["missing_predictions"] as? [String] == ["b"])
        // cIoU = 4 / (4 + 4): the missing prediction counts as empty.
        #expect((document["metrics"] as? [String: Any])?["ciou"] as? Double == 0.5)
    }

    @Test func duplicateIDs() throws {
        let workspace = try Workspace()
        let gt = Self.groundTruth.replacingOccurrences(of: "\"id\": \"b\"", with: "\"id\": \"a\"")
        expectRefusal(try score(workspace, gt: gt), mentioning: ["\"a\"", "twice"], workspace)
        let pred = Self.predictions.replacingOccurrences(of: "\"id\": \"b\"", with: "\"id\": \"a\"")
        expectRefusal(try score(workspace, pred: pred), mentioning: ["\"a\"", "two predictions"], workspace)
    }

    @Test func pngMasksAndTheirSize() throws {
        let workspace = try Workspace()
        try write(Self.groundTruth, workspace.path + "/gt.json")
        let folder = workspace.path + "/masks"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // "a": the top-left block as 255; "b": the right column's top half as 1.
        var a = LabelMap(width: 4, height: 4, repeating: 0)
        for y in 0..<2 { for x in 0..<2 { a.values[y * 4 + x] = 255 } }
        var b = LabelMap(width: 4, height: 4, repeating: 0)
        b.values[3] = 1
        b.values[7] = 1
        try LabelMapWriter.writeGray8(a, to: folder + "/a.png")
        try LabelMapWriter.writeGray8(b, to: folder + "/b.png")
        let outcome = try CLI.run(["refer", "score", "--gt", workspace.path + "/gt.json", "--pred", folder,
                                   "-o", workspace.path + "/run.ovseg.json"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("75.00"))
        try FileManager.default.removeItem(atPath: workspace.path + "/run.ovseg.json")
        try LabelMapWriter.writeGray8(LabelMap(width: 5, height: 4, repeating: 0), to: folder + "/b.png")
        let wrong = try CLI.run(["refer", "score", "--gt", workspace.path + "/gt.json", "--pred", folder,
                                 "-o", workspace.path + "/run.ovseg.json"])
        expectRefusal(wrong, mentioning: ["b.png", "\"b\"", "4×5"], workspace)
        // An RGB file is not a mask.
        try LabelMapWriter.writeRGB(width: 4, height: 4, pixels: [UInt8](repeating: 9, count: 48), to: folder + "/b.png")
        let rgb = try CLI.run(["refer", "score", "--gt", workspace.path + "/gt.json", "--pred", folder,
                               "-o", workspace.path + "/run.ovseg.json"])
        expectRefusal(rgb, mentioning: ["b.png", "\"b\"", "RGB PNG"], workspace)
    }

    /// `refer score --shard K/2` twice, then `ovseg merge`: the merged file holds every sample with
    /// the counts of the unsharded run; a missing shard is refused.
    @Test func shardsMergeIntoTheWholeRun() throws {
        let workspace = try Workspace()
        // Twelve 2×2 samples: target = the first column; prediction = the first (k even) or the last pixel.
        let ids = (0..<12).map { "s\($0)" }
        let gt = "{\"samples\": [" + ids.map {
            "{\"id\": \"\($0)\", \"image_id\": \"i\", \"text\": \"t\", \"height\": 2, \"width\": 2, "
                + "\"segmentation\": {\"size\": [2, 2], \"counts\": [0, 2, 2]}}"
        }.joined(separator: ", ") + "]}"
        let pred = "{\"samples\": [" + ids.enumerated().map { index, id in
            "{\"id\": \"\(id)\", \"segmentation\": {\"size\": [2, 2], \"counts\": \(index % 2 == 0 ? "[0, 1, 3]" : "[3, 1]")}}"
        }.joined(separator: ", ") + "]}"
        let whole = try score(workspace, gt: gt, pred: pred)
        #expect(whole.status == 0, "\(whole.stderr)")
        var parts: [String] = []
        for index in 1...2 {
            let path = workspace.path + "/shard\(index).ovseg.json"
            let outcome = try CLI.run(["refer", "score", "--gt", workspace.path + "/gt.json", "--pred", workspace.path + "/pred.json",
                                       "--shard", "\(index)/2", "-o", path])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            parts.append(path)
        }
        let partial = try CLI.run(["merge", parts[0], "-o", workspace.path + "/merged.ovseg.json"])
        #expect(partial.status == 2)
        #expect(partial.stderr.contains("2/2 are missing"), "\(partial.stderr)")
        let merged = try CLI.run(["merge"] + parts + ["-o", workspace.path + "/merged.ovseg.json"])
        #expect(merged.status == 0, "\(merged.stderr)")
        func samples(_ path: String) throws -> [[String: Int]] {
            let document = try #require(try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
            let rows = try #require(document["samples"] as? [[String: Any]])
            return rows.map { row in
                ["intersection", "union", "target", "prediction"].reduce(into: [:]) { $0[$1] = row[$1] as? Int }
            }
        }
        let expected = try samples(workspace.path + "/run.ovseg.json")
        #expect(expected.count == 12)
        #expect(try samples(workspace.path + "/merged.ovseg.json") == expected)
        // cIoU = ΣI / ΣU = 6 / (6·2 + 6·3) = 20 %; the merge prints the same figure.
        #expect(whole.stdout.contains("20.00"))
        #expect(merged.stdout.contains("20.00"))
    }
}
