import Foundation
import Gate
import Metrics
import Reports
import Testing
import Vocabulary
@testable import SceneClassification

/// The scene gate and report (docs/scene-classification.md §5) on hand-built runs.
@Suite("Scene classification gate and report")
struct SceneGateAndReportTests {
    /// A run over four AID images; `predictions` are class names in image order a, b, c, d.
    static func record(_ predictions: [String], labels: [String] = ["airport", "beach", "bridge", "beach"], method: String = "m")
        throws -> SceneRunRecord
    {
        let vocabulary = try SceneVocabulary.load(key: "aid")
        let ids = ["a", "b", "c", "d"]
        let samples = zip(ids, zip(labels, predictions)).map { image, pair in
            let truth = vocabulary.classID(named: pair.0) ?? -1, prediction = vocabulary.classID(named: pair.1) ?? -1
            return SceneSample(image: image, truth: truth, prediction: prediction, rank: truth == prediction ? 1 : nil, rankedCount: 1, top: [prediction])
        }
        return SceneRunRecord(
            method: method, vocabularyKey: vocabulary.key, vocabularyName: vocabulary.name, vocabularyFingerprint: vocabulary.fingerprint,
            classNames: vocabulary.classes.map(\.name), split: nil, labelsPath: "labels.csv", labelsFormat: "csv", labelsFileSHA256: "x",
            predictionsPath: "p.csv", predictionsFormat: "csv", predictionsFileSHA256: "y", samples: samples,
            provenance: .init(version: "t", command: [], date: "d", host: "h", seconds: 0, threads: 1))
    }

    @Test func aPerClassRecallDropFailsAndTheExactModeNamesTheCell() throws {
        let base = try Self.record(["airport", "beach", "bridge", "beach"])
        let run = try Self.record(["airport", "beach", "bridge", "desert"])
        let check = try SceneClassificationCheck.compare(baseline: base, run: run, maxDrop: 30, maxDropClass: 40, exact: true)
        // Top-1 drops 25 points (allowed 30); beach recall drops 50 (allowed 40).
        #expect(check.items.first { $0.name == "top-1 accuracy" }?.failed == false)
        #expect(check.items.first { $0.name == "recall[beach]" }?.failed == true)
        #expect(check.items.first { $0.name == "top-5 accuracy" }?.failed == false)
        #expect(check.exactDifference?.contains("(beach → beach): baseline 2, run 1") == true)
        #expect(!check.passed)
        let same = try SceneClassificationCheck.compare(baseline: base, run: base, maxDrop: 0, maxDropClass: 0, exact: true)
        #expect(same.passed)
    }

    @Test func runsOverOtherLabelsAreRefused() throws {
        let base = try Self.record(["airport", "beach", "bridge", "beach"])
        let other = try Self.record(["airport", "beach", "bridge", "beach"], labels: ["airport", "beach", "bridge", "desert"])
        #expect(throws: SceneClassificationError.self) {
            try SceneClassificationCheck.compare(baseline: base, run: other, maxDrop: 1, maxDropClass: 1, exact: false)
        }
    }

    @Test func reportEscapesNamesAndShowsTheMatrix() throws {
        let run = try Self.record(["airport", "beach", "bridge", "desert"], method: "<b>net</b> | v2")
        let report = try SceneClassificationReport(
            title: "t", runs: [("r.json", run)], bootstrap: BootstrapConfiguration(resamples: 20, level: 0.9, seed: 1))
        #expect(report.html.contains("&lt;b&gt;net&lt;/b&gt; | v2"))
        #expect(!report.html.contains("<b>net"))
        #expect(report.markdown.contains("\\<b\\>net\\</b\\> \\| v2"))
        #expect(report.markdown.contains("| 3 beach | 0 | 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |"))
    }
}
