import Foundation
import FileOutput
import JSON

/// The demo's synthetic scene-classification set (docs/scene-classification.md §7): image labels
/// over a scene vocabulary's classes and the scores of a simulated zero-shot classifier, written as
/// `labels.csv` and an `ovseg.scene-predictions` file. The classifier is good on some classes,
/// mixes up the residential densities and is weaker on the classes the demo calls unseen, so
/// every part of the report has something to show.
public struct SyntheticSceneSet: Sendable {
    public static let methodName = "scene-demo"

    public var vocabularyKey: String
    public var classNames: [String]
    /// (image id, true class, one score per class).
    public var images: [(id: String, truth: Int, scores: [Double])]
    /// Class ids the demo treats as unseen.
    public var unseen: [Int]

    /// `perClass` images of every class; scores are multiples of 1/1024 so they are exact in
    /// binary and in JSON.
    public init(vocabularyKey: String, classNames: [String], perClass: Int, unseen: [Int], seed: UInt64) {
        self.vocabularyKey = vocabularyKey
        self.classNames = classNames
        self.unseen = unseen
        var generator = SeededGenerator(seed: seed ^ 0x5CE_E5E7)
        let k = classNames.count
        let residential = classNames.indices.filter { classNames[$0].contains("residential") }
        var images: [(String, Int, [Double])] = []
        for index in 0..<(k * perClass) {
            let truth = index % k
            var scores = (0..<k).map { _ in Double(generator.int(0...1024)) / 1024 }
            // The true class gets a bonus: large for seen classes, smaller for unseen ones.
            let bonus = unseen.contains(truth) ? 0.45 : 0.8
            scores[truth] += Double(generator.int(0...Int(bonus * 1024))) / 1024
            // Residential densities are confused with each other.
            if residential.contains(truth), let other = residential.first(where: { $0 != truth }), generator.chance(0.35) {
                scores[other] += 1
            }
            images.append((String(format: "scene%04d", index), truth, scores))
        }
        self.images = images
    }

    /// Writes `labels.csv` and `predictions.json` into `folder`; returns their paths.
    public func write(to folder: String) throws -> (labels: String, predictions: String) {
        try AtomicFile.createDirectory(folder)
        var csv = "image,label\n"
        for image in images { csv += "\(image.id),\(classNames[image.truth])\n" }
        let labels = folder + "/labels.csv"
        try AtomicFile.write(text: csv, to: labels)
        let document = JSONValue.object(JSONObject([
            ("schema", .string("ovseg.scene-predictions")), ("schema_version", .int(1)), ("vocabulary", .string(vocabularyKey)),
            ("classes", .array(classNames.map { .string($0) })),
            ("predictions", .array(images.map { image in
                .object(JSONObject([("image", .string(image.id)), ("scores", .array(image.scores.map { .double($0) }))]))
            })),
        ]))
        let predictions = folder + "/predictions.json"
        try JSONCodec.write(document, to: predictions)
        return (labels, predictions)
    }
}
