import Foundation
import LabelMaps
import Testing

/// `ovseg score --data DIR --layout official` on a miniature copy of the Potsdam release.
@Suite("ovseg score with release layouts", .serialized)
struct LayoutCommandTests {
    static let valTiles = ["2_13", "2_14", "3_13", "3_14", "4_13", "4_14", "4_15", "5_13", "5_14", "5_15", "6_13", "6_14", "6_15", "7_13"]

    /// Every tile's labels are 2×2 building (ISPRS blue); the eroded copy has a black (no label)
    /// top row. Every prediction (named by tile id) is building, tree / building, building.
    func miniaturePotsdam(_ workspace: Workspace) throws -> (data: String, pred: String) {
        let data = workspace.path + "/Potsdam", pred = workspace.path + "/pred"
        for folder in ["2_Ortho_RGB", "5_Labels_all", "5_Labels_all_noBoundary"] {
            try FileManager.default.createDirectory(atPath: data + "/" + folder, withIntermediateDirectories: true)
        }
        try FileManager.default.createDirectory(atPath: pred, withIntermediateDirectories: true)
        let building: [UInt8] = [0, 0, 255], black: [UInt8] = [0, 0, 0]
        for tile in Self.valTiles + ["2_10"] {
            try LabelMapWriter.writeRGB(width: 2, height: 2, pixels: [UInt8](repeating: 0, count: 12),
                                        to: data + "/2_Ortho_RGB/top_potsdam_\(tile)_RGB.png")
            try LabelMapWriter.writeRGB(width: 2, height: 2, pixels: building + building + building + building,
                                        to: data + "/5_Labels_all/top_potsdam_\(tile)_label.png")
            try LabelMapWriter.writeRGB(width: 2, height: 2, pixels: black + black + building + building,
                                        to: data + "/5_Labels_all_noBoundary/top_potsdam_\(tile)_label_noBoundary.png")
            try LabelMapWriter.writeGray8(LabelMap(width: 2, height: 2, values: [1, 3, 1, 1]), to: pred + "/\(tile).png")
        }
        return (data, pred)
    }

    func results(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    func buildingCounts(_ results: [String: Any]) -> (tp: Int, gt: Int)? {
        guard let classes = results["classes"] as? [[String: Any]], let building = classes.first(where: { $0["name"] as? String == "building" }),
              let tp = building["tp"] as? Int, let gt = building["gt"] as? Int else { return nil }
        return (tp, gt)
    }

    @Test func scoresTheValTilesWithErodedLabels() throws {
        let workspace = try Workspace()
        let (data, pred) = try miniaturePotsdam(workspace)
        let output = workspace.path + "/run.ovseg.json"
        let outcome = try CLI.run([
            "score", "--vocab", "potsdam", "--data", data, "--layout", "official", "--subset", "val", "--eroded-boundary",
            "--pred", pred, "--skip-extra", "-o", output, "--no-progress",
        ])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("files: layout official, subset val, eroded labels"), "\(outcome.stdout)")
        let run = try results(output)
        let dataset = try #require(run["dataset"] as? [String: Any])
        #expect(dataset["images"] as? Int == 14)
        #expect(dataset["layout"] as? [String: String] == ["name": "official", "subset": "val", "label_variant": "eroded"])
        // 14 tiles × the bottom row's 2 building pixels, all predicted building; the top row is ignored.
        let counts = try #require(buildingCounts(run))
        #expect(counts.tp == 28 && counts.gt == 28)
        #expect(dataset["extra_predictions"] as? [String] == ["2_10"])
    }

    @Test func scoresEveryTileWithFullLabels() throws {
        let workspace = try Workspace()
        let (data, pred) = try miniaturePotsdam(workspace)
        let output = workspace.path + "/run.ovseg.json"
        let outcome = try CLI.run(["score", "--vocab", "potsdam", "--data", data, "--layout", "official", "--pred", pred, "-o", output, "--quiet"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let counts = try #require(buildingCounts(try results(output)))
        #expect(counts.tp == 15 * 3 && counts.gt == 15 * 4)
    }

    @Test func erodedBoundaryNeedsALayoutWithErodedLabels() throws {
        let workspace = try Workspace()
        let (data, pred) = try miniaturePotsdam(workspace)
        let outcome = try CLI.run([
            "score", "--vocab", "loveda", "--data", data, "--layout", "official", "--eroded-boundary", "--pred", pred,
            "-o", workspace.path + "/x.ovseg.json",
        ])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("layout official of loveda has no eroded label variant; vocabularies whose layouts have one: potsdam, vaihingen"), "\(outcome.stderr)")
        let without = try CLI.run(["score", "--vocab", "potsdam", "--gt", data, "--eroded-boundary", "--pred", pred, "-o", workspace.path + "/y.ovseg.json"])
        #expect(without.status == 2)
        #expect(without.stderr.contains("--eroded-boundary selects a release layout's labels: give --layout NAME too"), "\(without.stderr)")
    }

    /// `ovseg shard --layout` lists exactly the ids `score --layout --shard` scores.
    @Test func shardsOfALayout() throws {
        let workspace = try Workspace()
        let (data, pred) = try miniaturePotsdam(workspace)
        var all: [String] = []
        for k in 1...3 {
            let listed = try CLI.run(["shard", "--list", "\(k)/3", "--vocab", "potsdam", "--data", data, "--layout", "official"])
            #expect(listed.status == 0, "\(listed.stderr)")
            let ids = listed.stdout.split(separator: "\n").map(String.init)
            all += ids
            let output = workspace.path + "/s\(k).ovseg.json"
            let scored = try CLI.run([
                "score", "--vocab", "potsdam", "--data", data, "--layout", "official", "--pred", pred, "--shard", "\(k)/3",
                "-o", output, "--quiet",
            ])
            #expect(scored.status == 0, "\(scored.stderr)")
            let images = try #require(try results(output)["images"] as? [[String: Any]])
            #expect(images.compactMap { $0["id"] as? String } == ids)
        }
        #expect(all.sorted() == (Self.valTiles + ["2_10"]).sorted())
    }

    @Test func scoresAPairsFile() throws {
        let workspace = try Workspace()
        let (data, pred) = try miniaturePotsdam(workspace)
        let csv = workspace.path + "/pairs.csv"
        try Data("""
            label,prediction
            Potsdam/5_Labels_all/top_potsdam_2_13_label.png,pred/2_13.png
            \(data)/5_Labels_all/top_potsdam_2_14_label.png,\(pred)/2_14.png

            """.utf8).write(to: URL(fileURLWithPath: csv))
        let output = workspace.path + "/run.ovseg.json"
        let outcome = try CLI.run(["score", "--vocab", "potsdam", "--pairs", csv, "-o", output, "--quiet"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let run = try results(output)
        let dataset = try #require(run["dataset"] as? [String: Any])
        #expect(dataset["pairs_file"] as? String == csv)
        #expect(run["method"] as? String == "pairs")
        let counts = try #require(buildingCounts(run))
        #expect(counts.tp == 6 && counts.gt == 8)
    }

    /// `eval --layout` evaluates the same pairs as `eval --data` on `images/` + `gt/`: the demo tiles
    /// copied into the Potsdam release names give the same confusion matrix, and the run says so.
    @Test func evalFindsImagesAndLabelsByLayout() throws {
        let workspace = try Workspace()
        let demo = try CLI.run(["demo", "--out", workspace.path + "/d", "--images", "2", "--size", "64", "--skip-model"])
        try #require(demo.status == 0, "\(demo.stderr)")
        let data = workspace.path + "/Potsdam"
        for folder in ["2_Ortho_RGB", "5_Labels_all"] {
            try FileManager.default.createDirectory(atPath: data + "/" + folder, withIntermediateDirectories: true)
        }
        let ids = try FileManager.default.contentsOfDirectory(atPath: workspace.path + "/d/gt")
            .filter { $0.hasSuffix(".png") }.map { String($0.dropLast(4)) }.sorted()
        try #require(ids.count == 2)
        for id in ids {
            try FileManager.default.copyItem(
                atPath: workspace.path + "/d/images/\(id).png", toPath: data + "/2_Ortho_RGB/top_potsdam_\(id)_RGB.png")
            try FileManager.default.copyItem(
                atPath: workspace.path + "/d/gt/\(id).png", toPath: data + "/5_Labels_all/top_potsdam_\(id)_label.png")
        }
        let checkpoint = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Demo/sgseg-demo.safetensors").path
        let byFolder = workspace.path + "/folder.ovseg.json", byLayout = workspace.path + "/layout.ovseg.json"
        let first = try CLI.run(["eval", "--vocab", "potsdam", "--data", workspace.path + "/d", "--checkpoint", checkpoint, "-o", byFolder, "--quiet"])
        try #require(first.status == 0, "\(first.stderr)")
        let second = try CLI.run([
            "eval", "--vocab", "potsdam", "--data", data, "--layout", "official", "--checkpoint", checkpoint, "-o", byLayout, "--quiet",
        ])
        try #require(second.status == 0, "\(second.stderr)")
        let folderRun = try results(byFolder), layoutRun = try results(byLayout)
        let rows = { (run: [String: Any]) in (run["confusion_matrix"] as? [String: Any])?["rows"] as? [[Int]] }
        #expect(rows(folderRun) != nil)
        #expect(rows(folderRun) == rows(layoutRun))
        let imageIDs = { (run: [String: Any]) in (run["images"] as? [[String: Any]])?.compactMap { $0["id"] as? String } }
        #expect(imageIDs(layoutRun) == ids)
        #expect((layoutRun["dataset"] as? [String: Any])?["layout"] as? [String: String] == ["name": "official"])

        // An image without its label is named, with the side it is on.
        try FileManager.default.removeItem(atPath: data + "/5_Labels_all/top_potsdam_\(ids[0])_label.png")
        let broken = try CLI.run([
            "eval", "--vocab", "potsdam", "--data", data, "--layout", "official", "--checkpoint", checkpoint, "-o", byLayout,
        ])
        #expect(broken.status == 2)
        #expect(broken.stderr.contains("1 image(s) have no label: 2_Ortho_RGB/top_potsdam_\(ids[0])_RGB"), "\(broken.stderr)")
    }
}
