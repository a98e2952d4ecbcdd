import Foundation
import LabelMaps
import Testing
import Vocabulary

/// The dataset fingerprint follows the decoded labels, not the PNG bytes (issue 14), and
/// `ovseg shard --list` names exactly the images a shard scores — both on the real binary.
@Suite("Label fingerprints and shard lists", .serialized)
struct LabelFingerprintTests {
    /// A demo dataset with its colour-coded ground truth re-saved in other encodings.
    final class Encodings {
        let workspace: Workspace
        var root: String { workspace.path + "/d" }
        var predictions: String { root + "/predictions/boundary-drift" }
        /// Folder name → ground-truth folder holding the same labels in that encoding.
        var folders: [String: String] = [:]

        init(images: Int = 4) throws {
            workspace = try Workspace()
            let demo = try CLI.run(["demo", "--out", workspace.path + "/d", "--images", "\(images)", "--size", "64", "--skip-model"])
            #expect(demo.status == 0, "\(demo.stderr)")
            let potsdam = try Vocabulary.load(key: "potsdam")
            #expect(potsdam.encoding.reduceZeroLabel, "the index encodings below assume reduce_zero_label")
            let classColors = potsdam.classes.map(\.color)
            let ignoreColor = try #require(potsdam.encoding.ignoreColors.first)
            var mapping: [RGB: UInt16] = [ignoreColor: 255]
            for (id, color) in classColors.enumerated() { mapping[color] = UInt16(id) }
            let colours = ColorTable(mapping)
            folders["original"] = root + "/gt"
            let (level1Folder, level9Folder, grayFolder, paletteFolder) = (
                workspace.path + "/rgb-level1", workspace.path + "/rgb-level9", workspace.path + "/gray",
                workspace.path + "/palette")
            for folder in [level1Folder, level9Folder, grayFolder, paletteFolder] {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                folders[(folder as NSString).lastPathComponent] = folder
            }
            var sawIgnored = false
            for file in try FileManager.default.contentsOfDirectory(atPath: root + "/gt") where file.hasSuffix(".png") {
                let ids = try LabelMapReader.read(path: root + "/gt/" + file, colors: colours)
                sawIgnored = sawIgnored || ids.values.contains(255)
                let rgb = ids.values.flatMap { id -> [UInt8] in
                    let color = id == 255 ? ignoreColor : classColors[Int(id)]
                    return [color.r, color.g, color.b]
                }
                try LabelMapWriter.writeRGB(
                    width: ids.width, height: ids.height, pixels: rgb, to: level1Folder + "/" + file, compressionLevel: 1)
                try LabelMapWriter.writeRGB(
                    width: ids.width, height: ids.height, pixels: rgb, to: level9Folder + "/" + file, compressionLevel: 9)
                // mmseg's converter: raw = id + 1, 0 = the ignored boundary.
                let raw = LabelMap(width: ids.width, height: ids.height, values: ids.values.map { $0 == 255 ? 0 : $0 + 1 })
                try LabelMapWriter.writeGray8(raw, to: grayFolder + "/" + file)
                try LabelMapWriter.writePalette(raw, palette: [ignoreColor] + classColors, to: paletteFolder + "/" + file)
                let level1 = try Data(contentsOf: URL(fileURLWithPath: level1Folder + "/" + file))
                let level9 = try Data(contentsOf: URL(fileURLWithPath: level9Folder + "/" + file))
                #expect(level1 != level9, "the two compression levels must give different bytes for the test to mean anything")
            }
            #expect(sawIgnored, "the demo ground truth should hold ignored boundary pixels")
        }

        /// Scores the predictions against one ground-truth folder; returns the results file.
        func score(_ groundTruth: String, name: String) throws -> String {
            let output = workspace.path + "/\(name).ovseg.json"
            let outcome = try CLI.run([
                "score", "--vocab", "potsdam", "--gt", groundTruth, "--pred", predictions, "-o", output, "--quiet",
            ])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            return output
        }
    }

    static func dataset(_ file: String) throws -> [String: Any] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any]
        return try #require(json?["dataset"] as? [String: Any])
    }

    static func imageIDs(_ file: String) throws -> [String] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any]
        let images = try #require(json?["images"] as? [[String: Any]])
        return images.compactMap { $0["id"] as? String }
    }

    @Test func sameLabelsInAnyEncodingGiveOneFingerprintAndPassExact() throws {
        let data = try Encodings()
        var runs: [String: String] = [:]
        for (name, folder) in data.folders { runs[name] = try data.score(folder, name: name) }
        let fingerprints = try runs.mapValues { try #require(Self.dataset($0)["fingerprint"] as? String) }
        let files = try runs.mapValues { try #require(Self.dataset($0)["ground_truth_files_fingerprint"] as? String) }
        #expect(Set(fingerprints.values).count == 1, "\(fingerprints)")
        #expect(fingerprints.values.allSatisfy { $0.hasPrefix("labels-sha256:") })
        #expect(Set(files.values).count == runs.count, "the file-based fingerprints keep the encodings apart: \(files)")

        for (baseline, run) in [("original", "gray"), ("rgb-level1", "rgb-level9"), ("rgb-level9", "palette"), ("gray", "rgb-level1")] {
            let check = try CLI.run(["check", "--exact", "--baseline", try #require(runs[baseline]), try #require(runs[run])])
            #expect(check.status == 0, "\(baseline) vs \(run): \(check.stdout)\(check.stderr)")
        }
    }

    @Test func differentLabelsGiveADifferentFingerprintAndAreRefused() throws {
        let data = try Encodings(images: 3)
        let gray = try #require(data.folders["gray"])
        let changed = data.workspace.path + "/changed"
        try FileManager.default.copyItem(atPath: gray, toPath: changed)
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: changed).sorted().first)
        var map = try LabelMapReader.read(path: changed + "/" + file, colors: nil)
        // One pixel of one image moves to another class.
        let index = try #require(map.values.firstIndex { $0 >= 1 && $0 <= 6 })
        map.values[index] = map.values[index] == 1 ? 2 : 1
        try LabelMapWriter.writeGray8(map, to: changed + "/" + file)

        let before = try data.score(gray, name: "gray")
        let after = try data.score(changed, name: "changed")
        #expect(try Self.dataset(before)["fingerprint"] as? String != Self.dataset(after)["fingerprint"] as? String)
        let check = try CLI.run(["check", "--exact", "--baseline", before, after])
        #expect(check.status == 2, "\(check.stdout)\(check.stderr)")
        #expect(check.stderr.contains("dataset fingerprint differs (decoded ground-truth labels)"), "\(check.stderr)")
    }

    @Test func shardListsPartitionTheDatasetAndNameTheScoredImages() throws {
        let workspace = try Workspace()
        let demo = try CLI.run(["demo", "--out", workspace.path + "/d", "--images", "9", "--size", "64", "--skip-model"])
        #expect(demo.status == 0, "\(demo.stderr)")
        let gt = workspace.path + "/d/gt"
        let all = try FileManager.default.contentsOfDirectory(atPath: gt).filter { $0.hasSuffix(".png") }
            .map { String($0.dropLast(4)) }.sorted()
        #expect(all.count == 9)

        let n = 3
        var listed: [String] = []
        for k in 1...n {
            let list = try CLI.run(["shard", "--list", "\(k)/\(n)", "--gt", gt])
            #expect(list.status == 0, "\(list.stderr)")
            let ids = list.stdout.split(separator: "\n").map(String.init)
            let viaData = try CLI.run(["shard", "--list", "\(k)/\(n)", "--data", workspace.path + "/d"])
            #expect(viaData.status == 0, "\(viaData.stderr)")
            #expect(viaData.stdout == list.stdout, "--data lists what --gt lists")

            let output = workspace.path + "/s\(k).ovseg.json"
            let score = try CLI.run([
                "score", "--vocab", "potsdam", "--gt", gt, "--pred", workspace.path + "/d/predictions/boundary-drift",
                "--shard", "\(k)/\(n)", "-o", output, "--quiet",
            ])
            #expect(score.status == 0, "\(score.stderr)")
            #expect(try Self.imageIDs(output) == ids, "shard \(k)/\(n): listed ids are the scored ids")
            listed += ids
        }
        #expect(listed.sorted() == all, "the shards partition the dataset: every image exactly once")
        #expect(Set(listed).count == listed.count)

        let neither = try CLI.run(["shard", "--list", "1/2"])
        #expect(neither.status == 2)
        #expect(neither.stderr.contains("--gt") && neither.stderr.contains("--data"), "\(neither.stderr)")
        let bad = try CLI.run(["shard", "--list", "3/2", "--gt", gt])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("1 ≤ k ≤ N"), "\(bad.stderr)")
    }
}
