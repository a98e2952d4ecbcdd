import Foundation
import LabelMaps
import Testing

/// The committed synthetic SGSeg checkpoint (Demo/README.md), read from the source tree.
private let demoCheckpoint = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Demo/sgseg-demo.safetensors").path

/// A JPEG fixture of LabelMapsTests (made by its Fixtures/make_jpeg_fixtures.py), from the source tree:
/// `photo64.jpg` and `photo64_pillow.png`, the RGB Pillow decodes it to.
private func labelMapsFixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("LabelMapsTests/Fixtures/\(name)").path
}

/// JPEG imagery end to end: `ovseg eval` images, report photos, and JPEG label files refused.
@Suite("JPEG imagery", .serialized)
struct JPEGImageryTests {
    /// `ovseg demo` ground truth (64² tiles) and its ids.
    func demoGroundTruth(_ workspace: Workspace) throws -> (folder: String, ids: [String]) {
        let outcome = try CLI.run(["demo", "--out", workspace.path + "/d", "--images", "2", "--size", "64", "--skip-model"])
        try #require(outcome.status == 0, "\(outcome.stderr)")
        let folder = workspace.path + "/d/gt"
        let ids = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".png") }
            .map { String($0.dropLast(4)) }.sorted()
        try #require(ids.count == 2)
        return (folder, ids)
    }

    /// A dataset folder with `gt/` copied from `groundTruth` and `images/<id><extension>` copies of `image`.
    func dataset(_ root: String, groundTruth: String, ids: [String], image: String, extensions: [String]) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: root + "/images", withIntermediateDirectories: true)
        try manager.copyItem(atPath: groundTruth, toPath: root + "/gt")
        for (id, ext) in zip(ids, extensions) {
            try manager.copyItem(atPath: image, toPath: root + "/images/" + id + ext)
        }
    }

    /// Images as `.jpg` and `.JPEG` give the predictions (same saved bytes) and counts that the PNG of
    /// Pillow's decoding of the same JPEG gives: the JPEG is decoded as the reference decodes it.
    @Test func evalOverJPEGImagesEqualsEvalOverThePillowDecodedPNGs() throws {
        let workspace = try Workspace()
        let (groundTruth, ids) = try demoGroundTruth(workspace)
        let jpeg = workspace.path + "/jpeg", png = workspace.path + "/png"
        try dataset(jpeg, groundTruth: groundTruth, ids: ids, image: labelMapsFixture("photo64.jpg"), extensions: [".jpg", ".JPEG"])
        try dataset(png, groundTruth: groundTruth, ids: ids, image: labelMapsFixture("photo64_pillow.png"), extensions: [".png", ".png"])
        for root in [jpeg, png] {
            let outcome = try CLI.run([
                "eval", "--vocab", "potsdam", "--data", root, "--checkpoint", demoCheckpoint,
                "--save-predictions", root + "/pred", "-o", root + "/run.ovseg.json",
            ])
            try #require(outcome.status == 0, "\(root): \(outcome.stderr)")
        }
        for id in ids {
            let fromJPEG = try Data(contentsOf: URL(fileURLWithPath: jpeg + "/pred/" + id + ".png"))
            let fromPNG = try Data(contentsOf: URL(fileURLWithPath: png + "/pred/" + id + ".png"))
            #expect(fromJPEG == fromPNG, "prediction for \(id)")
        }
        let matrix = { (root: String) throws -> [[Int]]? in
            let run = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/run.ovseg.json"))) as? [String: Any]
            return (run?["confusion_matrix"] as? [String: Any])?["rows"] as? [[Int]]
        }
        let rows = try #require(try matrix(jpeg))
        #expect(rows == (try matrix(png)))
        #expect(rows.joined().reduce(0, +) == 2 * 64 * 64)
        // The JPEG run records how its images were decoded; the PNG run has nothing to record.
        let config = { (root: String) throws -> [String: String]? in
            let run = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/run.ovseg.json"))) as? [String: Any]
            return (run?["provenance"] as? [String: Any])?["config"] as? [String: String]
        }
        #expect(try config(jpeg)?["jpeg_decoding"] == DecodedJPEG.settings)
        let pngConfig = try #require(try config(png))
        #expect(pngConfig["jpeg_decoding"] == nil)
    }

    /// `ovseg embed --image` of a JPEG writes the embedding of Pillow's decoding of it (the same .npy bytes).
    @Test func embedOfAJPEGEqualsEmbedOfThePillowDecodedPNG() throws {
        let workspace = try Workspace()
        let checkpoint = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("CLIPTests/Fixtures/clip_tiny_vision.safetensors").path
        for (image, output) in [("photo64.jpg", "/jpeg.npy"), ("photo64_pillow.png", "/png.npy")] {
            let outcome = try CLI.run([
                "embed", "--checkpoint", checkpoint, "--image", labelMapsFixture(image), "--dense", "-o", workspace.path + output,
            ])
            try #require(outcome.status == 0, "\(image): \(outcome.stderr)")
        }
        let fromJPEG = try Data(contentsOf: URL(fileURLWithPath: workspace.path + "/jpeg.npy"))
        #expect(fromJPEG.count > 128)
        #expect(fromJPEG == (try Data(contentsOf: URL(fileURLWithPath: workspace.path + "/png.npy"))))
    }

    /// The qualitative panel finds `<id>.jpg` in the image folder and shows the decoded photo.
    @Test func reportShowsJPEGPhotos() throws {
        let workspace = try Workspace()
        let demo = try CLI.run(["demo", "--out", workspace.path + "/a", "--images", "2", "--size", "64", "--skip-model"])
        try #require(demo.status == 0, "\(demo.stderr)")
        let images = workspace.path + "/photos"
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        let ids = try FileManager.default.contentsOfDirectory(atPath: workspace.path + "/a/gt").filter { $0.hasSuffix(".png") }
            .map { String($0.dropLast(4)) }
        for id in ids { try FileManager.default.copyItem(atPath: labelMapsFixture("photo64.jpg"), toPath: images + "/" + id + ".jpg") }
        let outcome = try CLI.run([
            "report", workspace.path + "/a/results/seen-collapse.ovseg.json", "--out", workspace.path + "/r",
            "--images", images, "--worst", "1",
        ])
        try #require(outcome.status == 0, "\(outcome.stderr)")
        let tiles = try FileManager.default.contentsOfDirectory(atPath: workspace.path + "/r/qualitative")
        let photo = try #require(tiles.first { $0.hasSuffix("-image.png") }, "\(tiles)")
        let shown = try DecodedPNG.read(path: workspace.path + "/r/qualitative/" + photo)
        let pillow = try DecodedPNG.read(path: labelMapsFixture("photo64_pillow.png"))
        #expect(try shown.rgbPixels(name: photo) == pillow.rgbPixels(name: "photo64_pillow.png"))
    }

    /// A label file holding JPEG bytes is refused by content, whatever its name, with the reason.
    @Test func jpegGroundTruthIsRefused() throws {
        let workspace = try Workspace()
        let (groundTruth, ids) = try demoGroundTruth(workspace)
        let disguised = groundTruth + "/" + ids[0] + ".png"
        try FileManager.default.removeItem(atPath: disguised)
        try FileManager.default.copyItem(atPath: labelMapsFixture("photo64.jpg"), toPath: disguised)
        let outcome = try CLI.run(["score", "--vocab", "potsdam", "--gt", groundTruth, "--pred", groundTruth, "-o", workspace.path + "/s.ovseg.json"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(
            "\(disguised): is a JPEG file; JPEG is lossy, so its pixel values are not the labels that were saved — label maps must be PNG or TIFF"),
            "\(outcome.stderr)")
    }
}
