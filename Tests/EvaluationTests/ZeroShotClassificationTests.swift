import CLIP
@testable import Evaluation
import Foundation
import LabelMaps
import SafeTensors
import Tensor
import Testing

private let sourceRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
private let zeroShotFolder = sourceRoot.appendingPathComponent("EvaluationTests/Fixtures/zeroshot").path
private let tinyModel = sourceRoot.appendingPathComponent("TrainingFreeTests/Fixtures/clip_tiny.safetensors").path

/// Word-level stand-in tokenizer of the fixture (scripts/fixtures/make_zero_shot_fixtures.py):
/// each prompt's ids as the oracle tokenised it; an unknown prompt gives ids the tiny model
/// rejects, so a wrongly built prompt fails the test.
private struct StandInTokenizer: CLIPTextTokenizing {
    let rows: [String: [Int32]]
    func tokenRow(_ text: String) -> [Int32] { rows[text] ?? [Int32](repeating: 9999, count: 16) }
}

private struct ZeroShotFixture {
    let expected: SafeTensorsFile
    let classes: [ZeroShotClass]
    let templates: [String]
    let images: [String]
    let rankings: [[Int]]
    let tokenizer: StandInTokenizer

    init() throws {
        let file = try SafeTensorsFile(path: zeroShotFolder + "/expected.safetensors")
        expected = file
        func decode<T: Decodable>(_ key: String, as type: T.Type) throws -> T {
            try JSONDecoder().decode(T.self, from: Data(try #require(file.metadata[key]).utf8))
        }
        struct Entry: Decodable { let label: String; let prompt_names: [String] }
        let entries = try decode("classes", as: [Entry].self)
        let classes = entries.map { ZeroShotClass(label: $0.label, synonyms: Array($0.prompt_names.dropFirst())) }
        #expect(classes.map(\.promptNames) == entries.map(\.prompt_names))
        self.classes = classes
        templates = try decode("templates", as: [String].self)
        images = try decode("images", as: [String].self)
        rankings = try decode("rankings", as: [[Int]].self)
        tokenizer = StandInTokenizer(rows: try decode("prompts", as: [String: [Int]].self).mapValues { $0.map(Int32.init) })
    }

    func classifier() throws -> ZeroShotClassifier {
        try ZeroShotClassifier(model: CLIPModel(file: SafeTensorsFile(path: tinyModel)), source: tinyModel,
                               classes: classes, templates: templates, tokenizer: tokenizer)
    }
}

/// The largest |a − b| over two equally long arrays.
private func largestDifference(_ a: [Float], _ b: [Float]) -> Float {
    #expect(a.count == b.count)
    return zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
}

/// Zero-shot classification against the NumPy float64 oracle of the tiny random CLIP
/// (docs/zero-shot-classification.md §5): classifier rows, image embeddings and scores within
/// 1e-5 (docs/segmentation-core.md §6.3, normalised embeddings) and the same ranking.
@Suite("Zero-shot scene classification")
struct ZeroShotClassificationTests {
    @Test func classifierEmbeddingsAndScoresMatchTheOracle() throws {
        let fixture = try ZeroShotFixture()
        let classifier = try fixture.classifier()
        let rows = try fixture.expected.tensor("classifier")
        #expect(classifier.classifier.shape == rows.shape)
        let textDelta = largestDifference(classifier.classifier.scalars, rows.scalars)
        #expect(textDelta <= 1e-5, "classifier max |Δ| \(textDelta)")

        let embeds = try fixture.expected.tensor("image_embeds"), scores = try fixture.expected.tensor("scores")
        let k = fixture.classes.count, e = embeds.shape[1]
        #expect(scores.shape == [fixture.images.count, k])
        for (n, name) in fixture.images.enumerated() {
            let path = zeroShotFolder + "/" + name
            let image = try RasterImage.readRGB(path: path)
            let embedding = try classifier.imageEmbedding(rgb: image.pixels, width: image.width, height: image.height)
            let imageDelta = largestDifference(embedding, Array(embeds.scalars[(n * e)..<((n + 1) * e)]))
            #expect(imageDelta <= 1e-5, "\(name): image embedding max |Δ| \(imageDelta)")
            let prediction = try classifier.classify(path: path, id: name)
            #expect(prediction.image == name)
            let scoreDelta = largestDifference(prediction.scores.map(Float.init), Array(scores.scalars[(n * k)..<((n + 1) * k)]))
            #expect(scoreDelta <= 1e-5, "\(name): score max |Δ| \(scoreDelta)")
            #expect(prediction.ranking == fixture.rankings[n], "\(name)")
            print("zero-shot \(name): classifier max |Δ| \(textDelta), image \(imageDelta), scores \(scoreDelta)")
        }
    }

    /// The classifier row of a class is the renormalised mean over templates × names: with one
    /// name and one template it is that prompt's embedding, and adding a synonym moves it.
    @Test func synonymsAndTemplatesEnterTheMean() throws {
        let fixture = try ZeroShotFixture()
        let model = try CLIPModel(file: SafeTensorsFile(path: tinyModel))
        let single = try ZeroShotClassifier(model: model, source: "tiny", classes: [ZeroShotClass(label: "road")],
                                            templates: ["a photo of a {}."], tokenizer: fixture.tokenizer)
        let direct = try #require(model.text).embed(texts: ["a photo of a road."], tokenizer: fixture.tokenizer)
        #expect(largestDifference(single.classifier.scalars, direct.scalars) <= 1e-6)
        let both = try ZeroShotClassifier(model: model, source: "tiny", classes: [ZeroShotClass(label: "road", synonyms: ["parking lot", "road"])],
                                          templates: ["a photo of a {}."], tokenizer: fixture.tokenizer)
        #expect(both.classes[0].promptNames == ["road", "parking lot"])
        #expect(largestDifference(both.classifier.scalars, direct.scalars) > 1e-3)
    }

    /// Ranking: descending scores, ties to the lower class index.
    @Test func rankingBreaksTiesByClassIndex() {
        #expect(ZeroShotPrediction(image: "x", scores: [0.1, 0.5, 0.5, -1]).ranking == [1, 2, 0, 3])
    }

    /// Shortest edge to the side, centre crop: a 2×1 stretch of a square image crops back to the
    /// square's pixels where the resize is exact (the columns of an integer upscale by 1).
    @Test func preprocessingCropsTheCentre() throws {
        // 8 wide × 4 high: resized to height 4 (no change), width 8, then columns 2…5 kept.
        let width = 8, height = 4
        let rgb: [UInt8] = (0..<(width * height * 3)).map { UInt8(($0 * 29) % 251) }
        let cropped = try ZeroShotClassifier.pixels(rgb: rgb, width: width, height: height, side: 4)
        let full = try CLIPImagePreprocessing.pixels(rgb: rgb, sourceWidth: width, sourceHeight: height, height: 4, width: 8)
        #expect(cropped.shape == [1, 3, 4, 4])
        for c in 0..<3 {
            for y in 0..<4 {
                for x in 0..<4 { #expect(cropped.scalars[(c * 4 + y) * 4 + x] == full.scalars[(c * 4 + y) * 8 + x + 2]) }
            }
        }
        // Portrait 3 wide × 7 high at side 3: 3 × ⌊3·7/3⌋ = 3×7, rows 2…4 kept.
        let tall: [UInt8] = (0..<(3 * 7 * 3)).map { UInt8(($0 * 13) % 256) }
        let crop = try ZeroShotClassifier.pixels(rgb: tall, width: 3, height: 7, side: 3)
        let reference = try CLIPImagePreprocessing.pixels(rgb: tall, sourceWidth: 3, sourceHeight: 7, height: 7, width: 3)
        #expect(crop.scalars[0] == reference.scalars[2 * 3])
        #expect(crop.shape == [1, 3, 3, 3])
    }

    @Test func imageListingIsRecursiveSortedAndRefusesAnEmptyFolder() throws {
        let folder = NSTemporaryDirectory() + "ovseg-zeroshot-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let manager = FileManager.default
        try manager.createDirectory(atPath: folder + "/b/.hidden", withIntermediateDirectories: true)
        #expect { _ = try ZeroShotClassifier.listImages(folder: folder) } throws: { "\($0)".contains("holds no images") }
        for name in ["b/z.png", "a.PNG", "b/.hidden/x.png", ".skip.png", "notes.txt", "b/a.jpg"] {
            manager.createFile(atPath: folder + "/" + name, contents: Data([1, 2, 3]))
        }
        let listed = try ZeroShotClassifier.listImages(folder: folder)
        #expect(listed.map(\.id) == ["a.PNG", "b/a.jpg", "b/z.png"])
        #expect { _ = try ZeroShotClassifier.listImages(folder: folder + "/a.PNG") } throws: { "\($0)".contains("not a folder") }

        // An unreadable image: the error names the file.
        let fixture = try ZeroShotFixture()
        let classifier = try fixture.classifier()
        #expect { _ = try classifier.classify(path: folder + "/b/z.png", id: "b/z.png") } throws: { "\($0)".contains("z.png") }
    }

    @Test func refusals() throws {
        let fixture = try ZeroShotFixture()
        let model = try CLIPModel(file: SafeTensorsFile(path: tinyModel))
        func refused(_ classes: [ZeroShotClass], _ templates: [String], _ words: String, model: CLIPModel? = nil) {
            #expect {
                _ = try ZeroShotClassifier(model: model ?? (try CLIPModel(file: SafeTensorsFile(path: tinyModel))), source: "tiny.safetensors",
                                           classes: classes, templates: templates, tokenizer: fixture.tokenizer)
            } throws: { "\($0)".contains(words) }
        }
        refused([], ["a {}"], "no classes")
        refused([ZeroShotClass(label: "road")], [], "no prompt templates")
        refused([ZeroShotClass(label: "road")], ["a road"], "no '{}' placeholder")
        refused([ZeroShotClass(label: "road"), ZeroShotClass(label: "road")], ["a {}"], "listed twice")
        let textOnly = try CLIPModel(file: SafeTensorsFile(path: sourceRoot.appendingPathComponent("CLIPTests/Fixtures/clip_tiny_text.safetensors").path))
        refused([ZeroShotClass(label: "road")], ["a photo of a {}."], "no vision tower", model: textOnly)
        _ = model
    }
}
