import CLIP
import Foundation
import SafeTensors
import Tensor
import ParityTestSupport
import Testing
@testable import TrainingFree

/// Fixtures written by scripts/fixtures/make_training_free_fixtures.py.
func fixture(_ name: String) throws -> SafeTensorsFile {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"))
    return try SafeTensorsFile(path: url.path)
}

/// A fixture of another test target, read from the source tree.
func siblingFixture(_ target: String, _ name: String) throws -> SafeTensorsFile {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("\(target)/Fixtures/\(name)").path
    return try SafeTensorsFile(path: path)
}

/// The tiny model and the reference outputs, loaded once.
struct Reference: Sendable {
    let model: CLIPModel
    let outputs: SafeTensorsFile

    static let shared: Result<Reference, any Error> = Result {
        Reference(model: try CLIPModel(file: fixture("clip_tiny")), outputs: try fixture("training_free_outputs"))
    }

    static func load() throws -> Reference { try shared.get() }

    func tensor(_ key: String) throws -> Tensor { try outputs.tensor(key) }

    /// A JSON value of the fixture's `__metadata__`.
    func metadata(_ key: String) throws -> Any {
        let text = try #require(outputs.metadata[key], "metadata \(key)")
        return try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    /// The normalised queries of the fixture and their classes.
    func queries() throws -> TrainingFreeQueries {
        let classes = try #require(try metadata("query_to_class") as? [Int])
        return try TrainingFreeQueries(embeddings: tensor("queries"), queryToClass: classes)
    }

    /// The 37×53 RGB test image.
    func image() throws -> (pixels: [UInt8], height: Int, width: Int) {
        let image = try tensor("image")
        return (image.scalars.map { UInt8($0) }, image.shape[0], image.shape[1])
    }
}

/// Settings and geometry of one fixture case (metadata `cases`).
struct FixtureCase {
    let settings: TrainingFreeSettings
    let resized: [Int]
    let windows: [[Int]]
    let padding: [Int]
    let grid: [Int]

    init(_ entry: [String: Any]) throws {
        let interpolation: CLIPPositionInterpolation = (entry["pos_interp"] as? String) == "by_size" ? .bySize : .dinoScaleFactor
        let attentionName = try #require(entry["attention"] as? String)
        let attention = try #require(CLIPDenseMode(rawValue: attentionName))
        settings = TrainingFreeSettings(
            longSide: entry["long_side"] as? Int, crop: try #require(entry["crop"] as? Int),
            stride: try #require(entry["stride"] as? Int),
            clsLambda: Float(try #require(entry["cls_lambda"] as? Double)),
            logitScale: Float(try #require(entry["logit_scale"] as? Double)),
            probabilityThreshold: Float(try #require(entry["prob_thd"] as? Double)),
            backgroundIndex: try #require(entry["bg_idx"] as? Int), attention: attention,
            keepsResidual: !(try #require(entry["ignore_residual"] as? Bool)), positionInterpolation: interpolation)
        resized = try #require(entry["resized"] as? [Int])
        windows = try #require(entry["windows"] as? [[Int]])
        padding = try #require(entry["padding"] as? [Int])
        grid = try #require(entry["grid"] as? [Int])
    }
}

/// Word-level stand-in tokenizer of the fixture: each prompt's ids as the
/// reference tokenised it; an unknown prompt gives a row the model rejects,
/// so a wrongly built prompt fails the test.
struct StandInTokenizer: CLIPTextTokenizing {
    let rows: [String: [Int32]]

    init(reference: Reference) throws {
        let table = try #require(try reference.metadata("prompts") as? [String: [Int]])
        rows = table.mapValues { $0.map(Int32.init) }
    }

    func tokenRow(_ text: String) -> [Int32] { rows[text] ?? [Int32](repeating: 9999, count: 16) }
}

/// Top-1 minus top-2 class probability per pixel of `[K, H, W]` (∞ for K = 1).
func topTwoMargins(_ probabilities: Tensor) -> [Float] {
    let k = probabilities.shape[0], plane = probabilities.count / max(k, 1)
    return (0..<plane).map { pixel in
        var first = -Float.infinity, second = -Float.infinity
        for c in 0..<k {
            let v = probabilities.scalars[c * plane + pixel]
            if v > first { second = first; first = v } else if v > second { second = v }
        }
        return first - second
    }
}

/// Label maps agree except at pixels whose decision is within `tolerance`
/// of a tie (top-2 margin, or distance of the best probability to the
/// threshold) in `probabilities` — §11.3's rule for label maps (its
/// "≥ 99.99 % identical" means no differing pixel at all on a 37×53 map, so
/// only the near-tie rule is checked). Returns the number of differing pixels.
@discardableResult
func expectLabels(
    _ actual: [UInt16], _ expected: Tensor, probabilities: Tensor, threshold: Float? = nil, tolerance: Float = 1e-4,
    _ label: String, sourceLocation: SourceLocation = #_sourceLocation
) -> Int {
    #expect(actual.count == expected.count, "\(label): \(actual.count) labels vs \(expected.count)", sourceLocation: sourceLocation)
    let margins = topTwoMargins(probabilities)
    let k = probabilities.shape[0], plane = probabilities.count / max(k, 1)
    var differing = 0
    for (pixel, value) in actual.enumerated() where Float(value) != expected.scalars[pixel] {
        differing += 1
        var best = -Float.infinity
        for c in 0..<k { best = max(best, probabilities.scalars[c * plane + pixel]) }
        let nearTie = margins[pixel] < tolerance
        let nearThreshold = threshold.map { abs(best - $0) < tolerance } ?? false
        #expect(nearTie || nearThreshold,
                "\(label): pixel \(pixel) is \(value), expected \(expected.scalars[pixel]) (margin \(margins[pixel]))",
                sourceLocation: sourceLocation)
    }
    return differing
}
