import Foundation
import Testing

/// `ovseg score` over TIFF label files (scripts/fixtures/make_tiff_fixtures.py): the same counts
/// and labels hash as the same labels saved as PNG, GeoTIFF tags in the per-image record.
@Suite("ovseg score over TIFF", .serialized)
struct TIFFScoreTests {
    static func fixtures() throws -> String {
        try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).path + "/tiff_score"
    }

    static func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    @Test func tiffPairsCountExactlyLikeThePNGPairs() throws {
        let workspace = try Workspace()
        let folder = try Self.fixtures()
        var results: [String: [String: Any]] = [:]
        for kind in ["tif", "png"] {
            let output = workspace.path + "/\(kind).ovseg.json"
            let outcome = try CLI.run([
                "score", "--vocab", "potsdam", "--gt", folder + "/gt_" + kind, "--pred", folder + "/pred_" + kind,
                "-o", output, "--quiet",
            ])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            results[kind] = try Self.json(output)
        }
        let tif = try #require(results["tif"]), png = try #require(results["png"])
        let tifMatrix = try #require(tif["confusion_matrix"] as? [String: Any])
        let pngMatrix = try #require(png["confusion_matrix"] as? [String: Any])
        #expect((tifMatrix["rows"] as? [[Int]]) == (pngMatrix["rows"] as? [[Int]]))
        #expect(((tifMatrix["rows"] as? [[Int]]) ?? []).joined().reduce(0, +) > 0)
        let tifImages = try #require(tif["images"] as? [[String: Any]])
        let pngImages = try #require(png["images"] as? [[String: Any]])
        #expect(tifImages.count == 2 && pngImages.count == 2)
        for (t, p) in zip(tifImages, pngImages) {
            #expect(t["id"] as? String == p["id"] as? String)
            for key in ["tp", "gt", "pred"] { #expect(t[key] as? [Int] == p[key] as? [Int], "\(key)") }
            #expect(t["ground_truth_labels_sha256"] as? String == p["ground_truth_labels_sha256"] as? String)
            #expect(t["ground_truth_sha256"] as? String != p["ground_truth_sha256"] as? String, "file hashes are of the bytes")
        }
        // tile_a's ground truth carries GeoTIFF tags; PNG records have none.
        let geo = try #require(tifImages.first { $0["id"] as? String == "tile_a" }?["georeferencing"] as? [String: Any])
        #expect(geo["model_pixel_scale"] as? [Double] == [0.05, 0.05, 0.0])
        #expect(geo["model_tiepoint"] as? [Double] == [0, 0, 0, 366676.5, 5807757.5, 0])
        #expect((geo["geo_keys"] as? [Int])?.prefix(4) == [1, 1, 0, 4])
        #expect(tifImages.first { $0["id"] as? String == "tile_b" }?["georeferencing"] == nil)
        #expect(pngImages.allSatisfy { $0["georeferencing"] == nil })
        // The results file reads back (the report needs every field).
        let report = try CLI.run(["report", workspace.path + "/tif.ovseg.json", "--out", workspace.path + "/r"])
        #expect(report.status == 0, "\(report.stderr)")
    }

    @Test func countsOverSeveralBandsMatchThePNGPair() throws {
        let workspace = try Workspace()
        let folder = try Self.fixtures()
        var matrices: [[[Int]]] = []
        var labels: [String] = []
        for (gt, pred) in [("tall_gt", "tall_pred_valid"), ("tall_gt_png", "tall_pred_png")] {
            let output = workspace.path + "/\(gt).json"
            let outcome = try CLI.run(["score", "--vocab", "potsdam", "--gt", folder + "/" + gt, "--pred", folder + "/" + pred, "-o", output, "--quiet"])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let json = try Self.json(output)
            matrices.append(try #require((json["confusion_matrix"] as? [String: Any])?["rows"] as? [[Int]]))
            labels.append(try #require((json["images"] as? [[String: Any]])?.first?["ground_truth_labels_sha256"] as? String))
        }
        #expect(matrices[0] == matrices[1])
        #expect(matrices[0].joined().reduce(0, +) == 20 * 100)
        #expect(labels[0] == labels[1])
    }

    @Test func inspectReadsTIFFLabels() throws {
        let outcome = try CLI.run(["inspect", "--vocab", "potsdam", "--gt", try Self.fixtures() + "/gt_tif"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("formats: TIFF RGB 8-bit (2)"), "\(outcome.stdout)")
        #expect(outcome.stdout.contains("verdict: consistent"), "\(outcome.stdout)")
    }

    @Test func errorsPastTheFirstBandNameTheWholeImagePixel() throws {
        let workspace = try Workspace()
        let folder = try Self.fixtures()
        let outcome = try CLI.run([
            "score", "--vocab", "potsdam", "--gt", folder + "/tall_gt", "--pred", folder + "/tall_pred",
            "-o", workspace.path + "/o.json", "--quiet",
        ])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("tall.tif: predicted value 9 at pixel (3, 77) is not a class id of potsdam"), "\(outcome.stderr)")
        #expect(!workspace.exists("o.json"))
    }

    @Test func refusedTIFFLabelsFailWithTheReason() throws {
        let workspace = try Workspace()
        let folder = try Self.fixtures()
        let gt = workspace.path + "/gt", pred = workspace.path + "/pred"
        for path in [gt, pred] { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        try FileManager.default.copyItem(atPath: folder + "/gt_tif/tile_a.tif", toPath: gt + "/tile_a.tif")
        // A prediction that is not the ground truth's size is reported without decoding the pixels.
        try FileManager.default.copyItem(atPath: folder + "/pred_tif/tile_b.tif", toPath: pred + "/tile_a.tif")
        let mismatch = try CLI.run(["score", "--vocab", "potsdam", "--gt", gt, "--pred", pred, "-o", workspace.path + "/o.json", "--quiet"])
        #expect(mismatch.status == 2)
        #expect(mismatch.stderr.contains("size mismatch for image tile_a"), "\(mismatch.stderr)")
        // A JPEG prediction (lossy) is refused by name.
        try FileManager.default.removeItem(atPath: pred + "/tile_a.tif")
        try Data([0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 0, count: 60)).write(to: URL(fileURLWithPath: pred + "/tile_a.tif"))
        let jpeg = try CLI.run(["score", "--vocab", "potsdam", "--gt", gt, "--pred", pred, "-o", workspace.path + "/o.json", "--quiet"])
        #expect(jpeg.status == 2)
        #expect(jpeg.stderr.contains("JPEG is lossy"), "\(jpeg.stderr)")
    }
}
