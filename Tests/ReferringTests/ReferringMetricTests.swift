import COCOMasks
import Foundation
import Harness
import JSON
import Referring
import Testing

/// cIoU, gIoU and Prec@τ against the numpy reference (scripts/fixtures/refer_reference.py →
/// Fixtures/refer_*.json): counts identical, figures equal as doubles (same integer ratios, gIoU
/// summed in the same order), so equal to the last printed digit.
@Suite struct ReferringMetricTests {
    static func score(missingAsEmpty: Bool = false) throws -> ReferringRunRecord {
        let annotations = try ReferringAnnotations.read(path: try Fixture.path("refer_gt.json"))
        return try ReferringScorer.score(
            annotations: annotations, predictions: .json(path: try Fixture.path("refer_pred.json")),
            options: ReferringScoreOptions(method: "fixture", missingAsEmpty: missingAsEmpty, command: ["test"]))
    }

    static func expectEqual(_ scores: ReferringScores, _ expected: JSONValue?, _ name: String) throws {
        let expected = try #require(expected)
        #expect(scores.samples == expected["samples"]?.intValue, "\(name): samples")
        #expect(scores.cumulativeIntersection == expected["cumulative_intersection"]?.uint64Value, "\(name): ΣI")
        #expect(scores.cumulativeUnion == expected["cumulative_union"]?.uint64Value, "\(name): ΣU")
        #expect(scores.ciou == expected["ciou"]?.doubleValue, "\(name): cIoU")
        #expect(scores.giou == expected["giou"]?.doubleValue, "\(name): gIoU")
        #expect(scores.emptyTargets == expected["empty_targets"]?.intValue, "\(name): empty targets")
        #expect(scores.emptyTargetsPredictedEmpty == expected["empty_targets_predicted_empty"]?.intValue, "\(name): empty right")
        for precision in scores.precision {
            #expect(precision.value == expected["precision"]?[precision.label]?.doubleValue, "\(name): Prec@\(precision.label)")
        }
        #expect(scores.precision.map(\.label) == ["0.5", "0.6", "0.7", "0.8", "0.9"])
    }

    @Test func matchesTheNumpyReference() throws {
        let record = try Self.score()
        let expected = try Fixture.json("refer_expected.json")
        let rows = try #require(expected["samples"]?.arrayValue)
        #expect(record.samples.count == rows.count)
        for (sample, row) in zip(record.samples, rows) {
            #expect(sample.id == row["id"]?.stringValue)
            #expect(sample.counts.intersection == row["intersection"]?.uint64Value, "\(sample.id): I")
            #expect(sample.counts.union == row["union"]?.uint64Value, "\(sample.id): U")
            #expect(sample.counts.target == row["target"]?.uint64Value, "\(sample.id): target")
            #expect(sample.counts.prediction == row["prediction"]?.uint64Value, "\(sample.id): prediction")
        }
        try Self.expectEqual(record.scores, expected["overall"], "overall")
        let classes = try #require(expected["classes"]?.objectValue)
        #expect(record.classScores.map(\.name) == classes.keys.sorted())
        for item in record.classScores { try Self.expectEqual(item.scores, classes[item.name], item.name) }
        let buckets = try #require(expected["size_buckets"]?.objectValue)
        #expect(record.sizeScores.map(\.bucket) == buckets.keys)
        for item in record.sizeScores { try Self.expectEqual(item.scores, buckets[item.bucket], item.bucket) }
    }

    @Test func resultsFileRoundTripsAndRecomputes() throws {
        let record = try Self.score()
        let folder = try Fixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/run.ovseg.json"
        try ReferringResultsFile.write(record, to: path)
        let again = try ReferringResultsFile.read(path: path)
        #expect(again == record)
        let document = try JSONCodec.read(path: path)
        #expect(document["kind"]?.stringValue == "referring")
        #expect(ReferringResultsFile.isReferring(document))
        // The semantic reader refuses it with a sentence saying what it is.
        #expect {
            _ = try ResultsFile.read(path: path)
        } throws: { error in
            "\(error)".contains("referring")
        }
    }

    @Test func handComputedConventions() throws {
        let full = SampleCounts(intersection: 7, union: 10, target: 8, prediction: 9)
        #expect(full.iou == 0.7)
        #expect(full.reaches(percent: 70))
        #expect(!full.reaches(percent: 71))
        let emptyBoth = SampleCounts(intersection: 0, union: 0, target: 0, prediction: 0)
        let emptyTarget = SampleCounts(intersection: 0, union: 5, target: 0, prediction: 5)
        #expect(emptyBoth.iou == 1)
        #expect(emptyTarget.iou == 0)
        let scores = ReferringScores([full, emptyBoth, emptyTarget], thresholds: [50, 75])
        let pooled: Double = 7.0 / 15.0
        #expect(scores.ciou == pooled)
        let meanIoU: Double = (0.7 + 1.0 + 0.0) / 3.0
        #expect(scores.giou == meanIoU)
        // Prec@τ over the one sample with a target.
        #expect(scores.precision.map(\.hits) == [1, 0])
        #expect(scores.precision.map(\.samples) == [1, 1])
        #expect(scores.precision.map(\.label) == ["0.5", "0.75"])
        #expect(scores.emptyTargets == 2 && scores.emptyTargetsPredictedEmpty == 1)
        #expect(ReferringScores([emptyBoth], thresholds: [50]).ciou == nil)
        let buckets = SizeBuckets.remoteSensing
        let areas: [UInt64] = [0, 1, 143, 144, 1023, 1024]
        let names: [String] = areas.map { buckets.bucket(ofArea: $0) }
        #expect(names == ["empty", "small", "small", "medium", "medium", "large"])
        #expect(throws: ReferringError.self) { try SizeBuckets(parsing: "1024,144") }
        #expect(try SizeBuckets(parsing: "1024,9216") == SizeBuckets(smallBelow: 1024, mediumBelow: 9216))
    }
}
