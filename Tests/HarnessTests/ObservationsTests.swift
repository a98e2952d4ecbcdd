import Foundation
import Testing

@testable import Harness
import LabelMaps
import Metrics
import Vocabulary

/// Legal but suspicious input is counted and reported, not hidden.
@Suite("Observations about legal input")
struct ObservationsTests {
    /// Two 8×8 LoveDA images (reduce_zero_label: raw 0 is ignored). Image `a`: the top row is
    /// ignored and five of its predictions are 200 (no class); the rest is background (raw 1) and
    /// building (raw 2), predicted correctly. Image `b`: entirely ignored.
    static func labels(in scratch: Scratch) throws -> (gt: String, pred: String) {
        let gt = try scratch.folder("gt")
        let pred = try scratch.folder("pred")
        var raw = [UInt16](repeating: 0, count: 64)
        var predicted = [UInt16](repeating: 0, count: 64)
        for i in 8..<64 {
            raw[i] = i % 8 < 4 ? 1 : 2
            predicted[i] = raw[i] - 1
        }
        for i in 0..<5 { predicted[i] = 200 }
        try LabelMapWriter.writeGray8(LabelMap(width: 8, height: 8, values: raw), to: gt + "/a.png")
        try LabelMapWriter.writeGray8(LabelMap(width: 8, height: 8, values: predicted), to: pred + "/a.png")
        try LabelMapWriter.writeGray8(LabelMap(width: 8, height: 8, repeating: 0), to: gt + "/b.png")
        try LabelMapWriter.writeGray8(LabelMap(width: 8, height: 8, repeating: 0), to: pred + "/b.png")
        return (gt, pred)
    }

    @Test func suspiciousButLegalInputIsCountedAndNamed() throws {
        let scratch = try Scratch()
        let (gt, pred) = try Self.labels(in: scratch)
        let vocabulary = try Vocabulary.load(key: "loveda")
        let options = ScoreOptions(vocabulary: vocabulary, jobs: 1, method: "m")
        let record = try Scorer.score(groundTruthDirectory: gt, predictionDirectory: pred, options: options)
        // Hand count: 5 out-of-range predictions on the ignored top row of `a`; 56 evaluated pixels.
        #expect(record.matrix.outOfRangePredictionsOnIgnored == 5)
        #expect(record.matrix.evaluatedPixels == 56)
        let notes = record.observations
        #expect(notes.count == 3, "\(notes)")
        #expect(notes.contains { $0.hasPrefix("5 predicted pixels on ignored ground truth hold a value that is no class of loveda") })
        #expect(notes.contains { $0.hasPrefix("1 image has no evaluated pixel") && $0.hasSuffix(": \"b\"") })
        #expect(notes.contains("5 classes were never predicted on an evaluated pixel: road, water, barren, forest, agricultural"))

        // The count survives the results file and adds up in a merge.
        let path = scratch.path + "/run.ovseg.json"
        try ResultsFile.write(record, to: path)
        let back = try ResultsFile.read(path: path)
        #expect(back.matrix.outOfRangePredictionsOnIgnored == 5)
        #expect(back.observations == notes)
        var doubled = record.matrix
        try doubled.add(record.matrix)
        #expect(doubled.outOfRangePredictionsOnIgnored == 10)
    }

    @Test func cleanInputHasNoObservations() throws {
        let scratch = try Scratch()
        let data = try SmallDataset(in: scratch, images: 3)
        let record = try Scorer.score(groundTruthDirectory: data.gt, predictionDirectory: data.pred(.classConfusion), options: data.options())
        #expect(record.matrix.outOfRangePredictionsOnIgnored == 0)
        #expect(!record.observations.contains { $0.contains("ignored ground truth") || $0.contains("no evaluated pixel") })
    }
}
