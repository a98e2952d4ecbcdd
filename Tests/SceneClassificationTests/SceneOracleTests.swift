import Foundation
import JSON
import Metrics
import Testing
import Vocabulary
@testable import SceneClassification

/// The scorer against scikit-learn on random labels and scores
/// (scripts/fixtures/make_classification_fixtures.py): identical counts, figures to 1e-12.
@Suite("Scene classification against scikit-learn")
struct SceneOracleTests {
    static func fixture(_ name: String) throws -> String {
        try #require(Bundle.module.url(forResource: "Fixtures/oracle/\(name)", withExtension: nil)).path
    }

    static func run(predictions: String, split: Bool = false) throws -> (SceneRunRecord, JSONValue, SceneVocabulary) {
        let vocabulary = try SceneVocabulary.load(key: "whu-rs19")
        let expected = try JSONCodec.read(path: try fixture("expected.json"))
        let labels = try SceneLabels.read(path: try fixture("labels.csv"), vocabulary: vocabulary)
        let predicted = try ScenePredictions.read(path: try fixture(predictions), vocabulary: vocabulary)
        var classSplit: ClassSplit?
        if split {
            let seen = try #require(expected["split"]?["seen"]?.arrayValue).compactMap(\.stringValue)
            let unseen = try #require(expected["split"]?["unseen"]?.arrayValue).compactMap(\.stringValue)
            classSplit = try vocabulary.split(seen: seen, unseen: unseen)
        }
        let record = try SceneScorer.score(
            labels: labels, predictions: predicted, vocabulary: vocabulary, split: classSplit, method: "oracle", command: ["test"],
            date: "2026-01-01T00:00:00Z", host: "test", seconds: 0)
        return (record, expected, vocabulary)
    }

    static func close(_ a: Double?, _ b: Double?) -> Bool {
        guard let a, let b else { return false }
        return abs(a - b) <= 1e-12
    }

    @Test func scoresMatchScikitLearn() throws {
        let (record, expected, vocabulary) = try Self.run(predictions: "scores.json")
        let scores = record.scores
        #expect(record.predictionsFormat == "ovseg.scene-predictions")
        #expect(scores.images == UInt64(try #require(expected["images"]?.intValue)))
        #expect(Self.close(scores.accuracy, expected["accuracy"]?.doubleValue))
        #expect(Self.close(scores.top5, expected["top5_accuracy"]?.doubleValue))
        for average in ["macro", "weighted"] {
            let object = try #require(expected[average])
            let ours = average == "macro"
                ? (scores.macroPrecision, scores.macroRecall, scores.macroF1)
                : (scores.weightedPrecision, scores.weightedRecall, scores.weightedF1)
            #expect(Self.close(ours.0, object["precision"]?.doubleValue), "\(average) precision")
            #expect(Self.close(ours.1, object["recall"]?.doubleValue), "\(average) recall")
            #expect(Self.close(ours.2, object["f1"]?.doubleValue), "\(average) F1")
        }
        let classes = try #require(expected["classes"]?.objectValue)
        #expect(classes.count > 0)
        for (c, figures) in scores.classes.enumerated() {
            let name = vocabulary.classes[c].name
            guard let oracle = classes[name] else {
                #expect(figures.precision == nil && figures.support == 0, "\(name) is absent in the oracle")
                continue
            }
            #expect(figures.support == UInt64(try #require(oracle["support"]?.intValue)), "\(name) support")
            #expect(Self.close(figures.precision, oracle["precision"]?.doubleValue), "\(name) precision")
            #expect(Self.close(figures.recall, oracle["recall"]?.doubleValue), "\(name) recall")
            #expect(Self.close(figures.f1, oracle["f1"]?.doubleValue), "\(name) F1")
        }
        let matrix = try #require(expected["confusion_matrix"]?.arrayValue)
        for (row, values) in matrix.enumerated() {
            for (column, value) in try #require(values.arrayValue).enumerated() {
                #expect(scores.count(truth: row, predicted: column) == value.uint64Value, "cell \(row),\(column)")
            }
        }
    }

    @Test func topOneCSVGivesTheSameCountsAndNoTopFive() throws {
        let (fromScores, _, _) = try Self.run(predictions: "scores.json")
        let (fromCSV, expected, _) = try Self.run(predictions: "top1.csv")
        #expect(fromCSV.scores.confusion == fromScores.scores.confusion)
        #expect(Self.close(fromCSV.scores.accuracy, expected["accuracy"]?.doubleValue))
        #expect(fromCSV.scores.top5 == nil)
        #expect(fromCSV.labelsFingerprint == fromScores.labelsFingerprint)
    }

    @Test func seenUnseenAndHarmonicMeanMatchNumpy() throws {
        let (record, expected, _) = try Self.run(predictions: "scores.json", split: true)
        let split = try #require(expected["split"])
        #expect(Self.close(record.scores.seenAccuracy, split["seen_accuracy"]?.doubleValue))
        #expect(Self.close(record.scores.unseenAccuracy, split["unseen_accuracy"]?.doubleValue))
        #expect(Self.close(record.scores.harmonicMean, split["harmonic_mean"]?.doubleValue))
    }

    @Test func resultsFileRoundTripsAndRefusesAnEditedMatrix() throws {
        let (record, _, _) = try Self.run(predictions: "scores.json", split: true)
        let document = SceneResultsFile.encode(record)
        let back = try SceneResultsFile.decode(document, source: "run.json")
        #expect(back == record)
        #expect(SceneResultsFile.isSceneClassification(document))
        var text = JSONCodec.serialize(document)
        let marker = "\"counts\": [\n"
        let range = try #require(text.range(of: marker))
        // The first cell of the matrix, one more than the images give.
        let afterMarker = text[range.upperBound...]
        let firstDigit = afterMarker.firstIndex { $0.isNumber }
        let digitsStart = try #require(firstDigit)
        let digitsEnd = afterMarker[digitsStart...].firstIndex(where: { !$0.isNumber }) ?? afterMarker.endIndex
        let value = try #require(Int(afterMarker[digitsStart..<digitsEnd]))
        text.replaceSubrange(digitsStart..<digitsEnd, with: String(value + 1))
        let edited = try JSONCodec.parse(text, source: "edited.json")
        let error = try #require(throws: SceneClassificationError.self) { try SceneResultsFile.decode(edited, source: "edited.json") }
        #expect(error.description.contains("confusion_matrix.counts[0][0]"))
    }

    @Test func bootstrapIsReproducibleAndBracketsTheEstimate() throws {
        let (record, _, _) = try Self.run(predictions: "scores.json", split: true)
        let configuration = BootstrapConfiguration(resamples: 200, level: 0.95, seed: 7)
        let first = try SceneBootstrap.run(record, configuration: configuration)
        let second = try SceneBootstrap.run(record, configuration: configuration)
        #expect(first == second)
        let accuracy = try #require(first.intervals[.accuracy])
        #expect(accuracy.lower < record.scores.accuracy && record.scores.accuracy < accuracy.upper)
        #expect(first.intervals[.harmonic] != nil)
        let other = try SceneBootstrap.run(record, configuration: BootstrapConfiguration(resamples: 200, level: 0.95, seed: 8))
        #expect(other.intervals[.accuracy] != accuracy)
    }
}
