import CLIP
import Foundation
import SafeTensors
import Tensor
import Testing
import Vocabulary
@testable import TrainingFree

@Suite("training-free settings, geometry and decision rule")
struct TrainingFreeBehaviourTests {
    @Test func defaultsAreSegEarthBase() {
        let settings = TrainingFreeSettings()
        #expect(settings.longSide == 448 && settings.crop == 224 && settings.stride == 112)
        #expect(settings.clsLambda == -0.3 && settings.logitScale == 50)
        #expect(settings.probabilityThreshold == 0 && settings.backgroundIndex == 0)
        #expect(settings.attention == .segEarth && !settings.keepsResidual)
        #expect(settings.positionInterpolation == .dinoScaleFactor)
        #expect(TrainingFreePrompts.openAIImageNetTemplates.count == 80)
        #expect(TrainingFreePrompts.openAIImageNetTemplates.allSatisfy { $0.contains("{}") })
        #expect(Set(TrainingFreePrompts.openAIImageNetTemplates).count == 80)
    }

    @Test func presetsFollowSegEarthConfigs() throws {
        let expected: [String: (Float, Int)] = [
            "potsdam": (0.1, 5), "vaihingen": (0.1, 5), "udd5": (0.4, 4), "loveda": (0.3, 0),
            "isaid": (0.4, 0), "openearthmap": (0.1, 0), "uavid": (0.3, 0), "vdd": (0.3, 0),
        ]
        #expect(TrainingFreeSettings.presetKeys == expected.keys.sorted())
        for (key, (threshold, background)) in expected {
            let preset = try #require(TrainingFreeSettings.preset(vocabulary: key))
            #expect(preset.probabilityThreshold == threshold, "\(key)")
            #expect(preset.backgroundIndex == background, "\(key)")
            #expect(preset.crop == 224 && preset.clsLambda == -0.3, "\(key): the rest is the base config")
            // The background index is our vocabulary's background class.
            let vocabulary = try Vocabulary.load(key: key)
            let name = try #require(vocabulary.background.className, "\(key) names a background class")
            #expect(vocabulary.classID(named: name) == background, "\(key): \(name)")
        }
        #expect(TrainingFreeSettings.preset(vocabulary: "Potsdam")?.backgroundIndex == 5)
        #expect(TrainingFreeSettings.preset(vocabulary: "dlrsd") == nil)
    }

    @Test func resizeKeepsTheAspectRatioLikeMmcv() throws {
        let segmenter = try TrainingFreeSegmenter(model: try Reference.load().model)
        let cases: [((Int, Int), (Int, Int))] = [
            ((512, 512), (448, 448)), ((1000, 300), (448, 134)), ((300, 1000), (134, 448)),
            ((3, 2000), (1, 448)), ((200, 100), (448, 224)),
        ]
        for ((h, w), (eh, ew)) in cases {
            let size = segmenter.resizedSize(height: h, width: w)
            #expect(size.height == eh && size.width == ew, "\(h)×\(w) → \(size)")
        }
        var settings = TrainingFreeSettings()
        settings.longSide = nil
        let unchanged = try TrainingFreeSegmenter(model: try Reference.load().model, settings: settings)
        let kept = unchanged.resizedSize(height: 37, width: 53)
        #expect(kept.height == 37 && kept.width == 53)
    }

    @Test func windowsFollowTheMmsegSlideGrid() throws {
        let segmenter = try TrainingFreeSegmenter(model: try Reference.load().model)
        let square = segmenter.windows(height: 448, width: 448).map { [$0.y, $0.x, $0.height, $0.width] }
        #expect(square == [0, 112, 224].flatMap { y in [0, 112, 224].map { x in [y, x, 224, 224] } })
        // Shorter than the crop: one row of windows as tall as the image.
        let thin = segmenter.windows(height: 134, width: 448).map { [$0.y, $0.x, $0.height, $0.width] }
        #expect(thin == [[0, 0, 134, 224], [0, 112, 134, 224], [0, 224, 134, 224]])
        // The last window is aligned to the border.
        let odd = segmenter.windows(height: 300, width: 250).map { [$0.y, $0.x] }
        #expect(odd == [[0, 0], [0, 26], [76, 0], [76, 26]])
        let padding = TrainingFreePadding(height: 134, width: 224, patch: 16)
        let sides: [Int] = [padding.left, padding.right, padding.top, padding.bottom]
        #expect(sides == [0, 0, 5, 5])
        let asymmetric = TrainingFreePadding(height: 10, width: 15, patch: 4)
        let asymmetricSides: [Int] = [asymmetric.left, asymmetric.right, asymmetric.top, asymmetric.bottom]
        #expect(asymmetricSides == [0, 1, 1, 1])
    }

    @Test func decisionRuleTakesTheFirstMaximumAndThresholdsStrictly() throws {
        var settings = TrainingFreeSettings()
        settings.probabilityThreshold = 0.5
        settings.backgroundIndex = 7
        let segmenter = try TrainingFreeSegmenter(model: try Reference.load().model, settings: settings)
        // Three classes over four pixels: clear winner, tie, exactly at the threshold, below it.
        let probabilities = try Tensor(shape: [3, 1, 4], scalars: [
            0.1, 0.6, 0.5, 0.2,
            0.8, 0.6, 0.3, 0.3,
            0.1, 0.1, 0.2, 0.4999,
        ])
        #expect(try segmenter.labels(classProbabilities: probabilities) == [1, 0, 0, 7])
        #expect(throws: TrainingFreeError.self) { try segmenter.labels(classProbabilities: Tensor(shape: [4], repeating: 0)) }
    }

    @Test func invalidSettingsAreRefused() throws {
        let model = try Reference.load().model
        let broken: [(String, (inout TrainingFreeSettings) -> Void)] = [
            ("stride > crop", { $0.stride = 300 }), ("zero crop", { $0.crop = 0 }), ("zero stride", { $0.stride = 0 }),
            ("long side 0", { $0.longSide = 0 }), ("background 70000", { $0.backgroundIndex = 70_000 }),
            ("negative background", { $0.backgroundIndex = -1 }), ("NaN lambda", { $0.clsLambda = .nan }),
            ("zero std", { $0.pixelStd = [1, 0, 1] }), ("two means", { $0.pixelMean = [1, 2] }),
        ]
        for (label, edit) in broken {
            var settings = TrainingFreeSettings()
            edit(&settings)
            #expect(throws: TrainingFreeError.self, "\(label)") { try TrainingFreeSegmenter(model: model, settings: settings) }
        }
    }

    /// Settings scaled to the tiny model (the defaults would cut a 448-pixel
    /// image into 224-pixel windows of 3137 tokens each).
    static let small = TrainingFreeSettings(longSide: 48, crop: 16, stride: 8)

    @Test func emptyVocabulariesAndBadQueriesAreRefused() throws {
        let reference = try Reference.load()
        let segmenter = try TrainingFreeSegmenter(model: reference.model, settings: Self.small)
        let tokenizer = try StandInTokenizer(reference: reference)
        func refusal(_ synonyms: [[String]], _ templates: [String] = ["a {}"]) -> String? {
            do {
                _ = try segmenter.queries(synonyms: synonyms, templates: templates, tokenizer: tokenizer)
                return nil
            } catch {
                if case .emptyVocabulary(let detail) = error { return detail }
                return "wrong error: \(error)"
            }
        }
        #expect(refusal([])?.contains("no classes") == true)
        #expect(refusal([["road"], []])?.contains("class 1") == true)
        #expect(refusal([["road", ""]])?.contains("class 0") == true)
        #expect(refusal([["road"]], [])?.contains("no prompt templates") == true)
        #expect(refusal([["road"]], ["a photo"])?.contains("'a photo'") == true)

        let embeddings = try reference.tensor("queries")
        #expect(throws: TrainingFreeError.self) { try TrainingFreeQueries(embeddings: embeddings, queryToClass: [0, 0, 1]) }
        #expect(throws: TrainingFreeError.self) { try TrainingFreeQueries(embeddings: embeddings, queryToClass: [0, 0, 2, 2, 2]) }
        #expect(throws: TrainingFreeError.self) { try TrainingFreeQueries(embeddings: embeddings, queryToClass: [0, -1, 1, 2, 2]) }
        #expect(throws: TrainingFreeError.self) {
            try TrainingFreeQueries(embeddings: Tensor(shape: [5], repeating: 1), queryToClass: [0, 0, 1, 2, 2])
        }
        // Queries of another width than the dense features.
        let narrow = try TrainingFreeQueries(embeddings: Tensor(shape: [2, 4], repeating: 1), queryToClass: [0, 1])
        let image = try reference.image()
        do {
            _ = try segmenter.predict(image: image.pixels, height: image.height, width: image.width, queries: narrow)
            Issue.record("narrow queries were accepted")
        } catch {
            #expect(error.description.contains("4 wide") && error.description.contains("8 wide"), "\(error)")
        }
    }

    @Test func badImagesAndMissingTowersAreRefused() throws {
        let reference = try Reference.load()
        let segmenter = try TrainingFreeSegmenter(model: reference.model, settings: Self.small)
        let queries = try reference.queries()
        for (pixels, height, width) in [([UInt8](repeating: 0, count: 30), 3, 4), ([], 0, 0), ([UInt8](repeating: 0, count: 36), -3, -4)] {
            do {
                _ = try segmenter.predict(image: pixels, height: height, width: width, queries: queries)
                Issue.record("\(height)×\(width) with \(pixels.count) samples was accepted")
            } catch {
                guard case .invalidImage = error else { Issue.record("wrong error \(error)"); continue }
            }
        }
        // A 1×1 image still segments (resized to 48×48: 25 windows).
        let tiny = try segmenter.predict(image: [10, 200, 30], height: 1, width: 1, queries: queries)
        #expect(tiny.count == 1 && tiny[0] < 3)

        let textOnly = try CLIPModel(file: siblingFixture("CLIPTests", "clip_tiny_text.safetensors"))
        #expect(throws: TrainingFreeError.self) { try TrainingFreeSegmenter(model: textOnly) }
        let visionOnly = try CLIPModel(file: siblingFixture("CLIPTests", "clip_tiny_vision.safetensors"))
        let noText = try TrainingFreeSegmenter(model: visionOnly)
        let tokenizer = try StandInTokenizer(reference: reference)
        do {
            _ = try noText.queries(synonyms: [["road"]], templates: ["a {}"], tokenizer: tokenizer)
            Issue.record("queries without a text tower")
        } catch {
            #expect(error.description.contains("no text tower"))
        }
    }
}
