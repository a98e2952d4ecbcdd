import Foundation
import Testing
import Vocabulary
@testable import SceneClassification

/// Bad labels and predictions give one line naming the file and the row (docs/scene-classification.md §2).
@Suite("Scene classification input errors")
struct SceneInputErrorTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("scene-inputs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func score(_ labels: String, _ predictions: String) throws -> SceneRunRecord {
        let vocabulary = try SceneVocabulary.load(key: "ucmerced")
        let gt = try write("labels" + (labels.hasPrefix("{") ? ".json" : ".csv"), labels)
        let pred = try write("pred" + (predictions.hasPrefix("{") ? ".json" : ".csv"), predictions)
        return try SceneScorer.score(
            labels: try SceneLabels.read(path: gt, vocabulary: vocabulary),
            predictions: try ScenePredictions.read(path: pred, vocabulary: vocabulary), vocabulary: vocabulary, split: nil,
            method: "m", command: [], date: "d", host: "h", seconds: 0)
    }

    func message(_ labels: String, _ predictions: String) -> String {
        do {
            _ = try score(labels, predictions)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func everyFormGivesTheSameCounts() throws {
        let labels = "image,label\na,forest\nb,river\nc,beach\n"
        let forms = [
            "image,prediction\na,forest\nb,beach\nc,beach\n",
            "image,top1,top2\na,forest,river\nb,beach,river\nc,beach,forest\n",
            #"{"a": "forest", "b": "beach", "c": 3}"#,
            #"{"a": ["forest", "river"], "b": ["beach", "river"], "c": ["beach"]}"#,
        ]
        for form in forms {
            let record = try score(labels, form)
            #expect(record.scores.accuracy == 2.0 / 3.0, "\(form)")
        }
        let jsonLabels = try score(#"{"a": "forest", "b": "river", "c": "beach"}"#, forms[0])
        #expect(jsonLabels.labelsFingerprint == (try score(labels, forms[0])).labelsFingerprint)
    }

    @Test func perClassScoresRankWithTiesToTheLowerIndex() throws {
        let names = (try SceneVocabulary.load(key: "ucmerced")).classes.map(\.name)
        var scores = names.map { "\"\($0)\": 0" }
        scores[7] = "\"forest\": 1"
        scores[16] = "\"river\": 1"
        let record = try score("image,label\na,river\n", "{\"a\": {\(scores.joined(separator: ", "))}}")
        #expect(record.samples[0].prediction == 7)
        #expect(record.samples[0].rank == 2)
        #expect(record.scores.top5 == 1)
    }

    @Test func unknownClassNamesTheRowAndSuggests() {
        let text = message("image,label\na,forest\nb,forrest\n", "image,prediction\na,forest\nb,forest\n")
        #expect(text.contains("labels.csv: line 3 (image 'b'): 'forrest' is not a class"))
        #expect(text.contains("did you mean 'forest'?"))
        let predicted = message("image,label\na,forest\n", "image,prediction\na,woods\n")
        #expect(predicted.contains("pred.csv: line 2 (image 'a'): 'woods'"))
    }

    @Test func duplicatesMissingAndExtraImagesAreRefused() {
        #expect(message("image,label\na,forest\na,river\n", "image,prediction\na,forest\n")
            .contains("labels.csv: line 3: image 'a' occurs again (first at line 2)"))
        #expect(message("image,label\na,forest\n", "image,prediction\na,forest\na,river\n")
            .contains("pred.csv: line 3: image 'a' occurs again"))
        #expect(message("image,label\na,forest\nb,river\n", "image,prediction\na,forest\n")
            .contains("no prediction for image 'b'"))
        #expect(message("image,label\na,forest\n", "image,prediction\na,forest\nz,river\n")
            .contains("pred.csv: line 3: image 'z' has no label"))
    }

    @Test func malformedFilesAreRefused() {
        #expect(message("img,class\na,forest\n", "image,prediction\na,forest\n").contains("expected 'image,label'"))
        #expect(message("image,label\na,forest\n", "image,top1,top3\na,forest,river\n").contains("expected 'image,prediction'"))
        #expect(message("image,label\na,forest\n", "image,top1,top2\na,forest,forest\n").contains("ranked twice"))
        #expect(message("image,label\na,forest\n", #"{"a": {"forest": 1}}"#).contains("per-class scores must cover every class"))
        #expect(message("image,label\na,forest\n", #"{"schema": "other", "predictions": []}"#).contains("ovseg.scene-predictions"))
        #expect(message("image,label\na,forest\n", "image,prediction\na,21\n").contains("'21' is not a class"))
    }
}
