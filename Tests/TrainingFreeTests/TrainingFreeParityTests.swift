import ParityTestSupport
import CLIP
import Foundation
import SafeTensors
import Tensor
import Testing
@testable import TrainingFree

/// Every stage of the pipeline against the PyTorch reference
/// (reference/ovseg_reference/training_free.py over HF transformers).
@Suite("training-free parity")
struct TrainingFreeParityTests {
    static let cases = ["a", "a0", "b", "c", "c_bysize"]

    @Test func queriesFromPromptsMatchTheReference() throws {
        let reference = try Reference.load()
        let synonyms = try #require(try reference.metadata("synonyms") as? [[String]])
        let templates = try #require(try reference.metadata("templates") as? [String])
        let segmenter = try TrainingFreeSegmenter(model: reference.model)
        let queries = try segmenter.queries(
            synonyms: synonyms, templates: templates, tokenizer: StandInTokenizer(reference: reference))
        #expect(queries.queryToClass == [0, 0, 1, 2, 2])
        #expect(queries.classCount == 3)
        let error = expectClose(queries.embeddings, try reference.tensor("queries"), "queries")
        print("queries: relative error \(error)")
    }

    @Test(arguments: cases)
    func everyStageMatchesTheReference(_ name: String) throws {
        let reference = try Reference.load()
        let cases = try #require(try reference.metadata("cases") as? [String: Any])
        let fixtureCase = try FixtureCase(try #require(cases[name] as? [String: Any]))
        let segmenter = try TrainingFreeSegmenter(model: reference.model, settings: fixtureCase.settings)
        let image = try reference.image()
        let trace = try segmenter.trace(
            image: image.pixels, height: image.height, width: image.width, queries: try reference.queries())

        // Geometry: resize, windows, padding, patch grid.
        let size = segmenter.resizedSize(height: image.height, width: image.width)
        #expect([size.height, size.width] == fixtureCase.resized)
        #expect(trace.windows.map { [$0.y, $0.y + $0.height, $0.x, $0.x + $0.width] } == fixtureCase.windows)
        let padding = trace.padding
        #expect([padding.left, padding.right, padding.top, padding.bottom] == fixtureCase.padding)
        #expect([trace.grid.rows, trace.grid.columns] == fixtureCase.grid)

        let stages: [(String, Tensor)] = [
            ("pixels", trace.pixels), ("dense", trace.dense), ("crop_grid_logits", trace.cropGridLogits),
            ("averaged_logits", trace.averagedLogits), ("probabilities", trace.probabilities),
            ("class_probabilities", trace.classProbabilities),
        ]
        var compared: [String] = []
        for (stage, actual) in stages where reference.outputs.contains("\(name).\(stage)") {
            let error = expectClose(actual, try reference.tensor("\(name).\(stage)"), "\(name).\(stage)")
            compared.append("\(stage) \(error)")
        }
        let labels = try segmenter.labels(classProbabilities: trace.classProbabilities)
        let probabilities = reference.outputs.contains("\(name).class_probabilities")
            ? try reference.tensor("\(name).class_probabilities") : trace.classProbabilities
        let differing = expectLabels(labels, try reference.tensor("\(name).labels"), probabilities: probabilities, name)
        print("case \(name): \(compared.joined(separator: ", ")); labels differing \(differing)")
        #expect(!compared.isEmpty, "the fixture stores stages for case \(name)")
    }

    @Test(arguments: ["a", "c"])
    func thresholdSendsLowConfidencePixelsToBackground(_ name: String) throws {
        let reference = try Reference.load()
        let cases = try #require(try reference.metadata("cases") as? [String: Any])
        let thresholds = try #require(try reference.metadata("thresholds") as? [String: Any])
        let entry = try #require(thresholds[name] as? [String: Any])
        var settings = try FixtureCase(try #require(cases[name] as? [String: Any])).settings
        settings.probabilityThreshold = Float(try #require(entry["prob_thd"] as? Double))
        settings.backgroundIndex = try #require(entry["bg_idx"] as? Int)
        let segmenter = try TrainingFreeSegmenter(model: reference.model, settings: settings)
        let image = try reference.image()
        let queries = try reference.queries()
        let probabilities = try segmenter.classProbabilities(
            image: image.pixels, height: image.height, width: image.width, queries: queries)
        let labels = try segmenter.predict(image: image.pixels, height: image.height, width: image.width, queries: queries)
        let expected = try reference.tensor("thd.\(name).labels")
        expectLabels(labels, expected, probabilities: probabilities, threshold: settings.probabilityThreshold, "thd.\(name)")
        // The rule itself: background exactly where the best class is under the threshold.
        let plane = image.height * image.width
        var below = 0
        for pixel in 0..<plane {
            let best = (0..<queries.classCount).map { probabilities.scalars[$0 * plane + pixel] }.max() ?? 0
            if best < settings.probabilityThreshold {
                below += 1
                #expect(labels[pixel] == UInt16(settings.backgroundIndex))
            }
        }
        #expect(below == entry["below"] as? Int)
    }

    @Test(arguments: ["maskclip", "sclip", "clearclip", "segearth", "segearth.residual"])
    func attentionModesMatchTheReference(_ key: String) throws {
        let reference = try Reference.load()
        let mode = try #require(CLIPDenseMode(rawValue: String(key.split(separator: ".")[0])))
        let residual = key.hasSuffix(".residual")
        let loaded = try #require(reference.model.vision)
        let dino = try #require(try CLIPModel(file: fixture("clip_tiny"), positionInterpolation: .dinoScaleFactor).vision)
        let switched = loaded.withPositionInterpolation(.dinoScaleFactor)
        #expect(loaded.positionInterpolation == .bySize && switched.positionInterpolation == .dinoScaleFactor)
        for input in ["native", "interp"] {
            let pixels = try reference.tensor("mode_pixels.\(input)")
            let request = CLIPVisionRequest(dense: mode, pooled: false, denseResidual: residual)
            let dense = try #require(try switched.encode(pixels, request: request).dense)
            expectClose(dense, try reference.tensor("mode.\(key).\(input)"), "mode.\(key).\(input)")
            // Switching the interpolation equals loading with it.
            let direct = try dino.encode(pixels, request: request).dense
            #expect(dense == direct)
        }
    }

    /// The standard request is untouched by the new modes: pooled output and
    /// no dense features unless asked.
    @Test func standardRequestStillPoolsWithoutDenseFeatures() throws {
        let reference = try Reference.load()
        let vision = try #require(reference.model.vision)
        let output = try vision.encode(try reference.tensor("mode_pixels.native"))
        #expect(output.dense == nil)
        #expect(output.embeddings?.shape == [2, 8])
    }
}
