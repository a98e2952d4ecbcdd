import Foundation
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

@testable import Gate
import Harness
import Metrics

/// The per-image confusion matrix of the numeric-noise tests (rows ground truth road, roof, tree,
/// car; 305 000 evaluated pixels). With two such images: IoU road = roof = 200000/204000,
/// tree = 200000/204200, car = 3800/4000.
let noiseImage: [[UInt64]] = [
    [100_000, 500, 500, 0],
    [500, 100_000, 500, 0],
    [500, 500, 100_000, 0],
    [0, 0, 100, 1_900],
]

/// `noiseImage` with `count` pixels of ground truth `row` moved from prediction `from` to `to`.
func moved(_ matrix: [[UInt64]] = noiseImage, row: Int, from: Int, to: Int, count: UInt64 = 1) -> [[UInt64]] {
    var copy = matrix
    copy[row][from] -= count
    copy[row][to] += count
    return copy
}

/// A run whose per-image counts come from explicit per-image confusion matrices (same toy
/// vocabulary and split as `makeRun`; every image has the same ground-truth hash and size, so
/// only the counts tell images apart).
func makeImageRun(method: String, images: [(String, [[UInt64]])], dataset: String = "sha256:data") throws -> RunRecord {
    var total = ConfusionMatrix(classCount: 4)
    var records: [ImageRecord] = []
    for (id, rows) in images {
        let matrix = try ConfusionMatrix(classCount: 4, counts: rows.flatMap { $0 })
        try total.add(matrix)
        records.append(ImageRecord(
            id: id, groundTruthSHA256: "sha256:gt-\(id)", predictionSHA256: "sha256:pred", width: 1000, height: 305,
            counts: matrix.classCounts))
    }
    var run = makeRun(method: method, diagonal: [1, 1, 1, 1], dataset: dataset)
    run.matrix = total
    run.images = records
    return run
}

@Suite("Regression gate: numeric-noise mode")
struct NumericNoiseTests {
    let noise = CheckThresholds(mode: .numericNoise(NoiseLimits()))

    func baseline(_ count: Int = 2) throws -> RunRecord {
        try makeImageRun(method: "base", images: (0..<count).map { (["a", "b", "c"][$0], noiseImage) })
    }

    // MARK: the per-image bound

    @Test func aSwapWithinAnImageIsSeenThroughTheTruePositives() {
        // Pixel of class 0 predicted 0 → 1 and pixel of class 1 predicted 1 → 0: the predicted
        // totals do not move (a bound from them alone would say 0), TP0 and TP1 each lose one.
        let base = [ClassCounts(truePositives: 10, groundTruth: 10, predicted: 10),
                    ClassCounts(truePositives: 10, groundTruth: 10, predicted: 10)]
        let run = [ClassCounts(truePositives: 9, groundTruth: 10, predicted: 10),
                   ClassCounts(truePositives: 9, groundTruth: 10, predicted: 10)]
        // T = 2, F = 2: max(2, ⌈4/2⌉) = 2.
        #expect(NoiseComparison.changedPixelsLowerBound(base, run) == 2)
    }

    @Test func truePositiveChangesBoundOnTheirOwn() {
        // Pixel of class 0 predicted 2 → 0 (TP0 +1, FP2 −1) and pixel of class 1 predicted
        // 1 → 2 (TP1 −1, FP2 +1): T = 2, F = 0, so (T + F)/2 = 1 would undercount; the bound is 2.
        let base = [ClassCounts(truePositives: 5, groundTruth: 10, predicted: 5),
                    ClassCounts(truePositives: 10, groundTruth: 10, predicted: 10),
                    ClassCounts(truePositives: 0, groundTruth: 0, predicted: 5)]
        let run = [ClassCounts(truePositives: 6, groundTruth: 10, predicted: 6),
                   ClassCounts(truePositives: 9, groundTruth: 10, predicted: 9),
                   ClassCounts(truePositives: 0, groundTruth: 0, predicted: 5)]
        #expect(NoiseComparison.changedPixelsLowerBound(base, run) == 2)
    }

    @Test func falsePositiveChangesCountHalfEachRoundedUp() {
        let base = [ClassCounts(truePositives: 10, groundTruth: 12, predicted: 10),
                    ClassCounts(truePositives: 0, groundTruth: 0, predicted: 1),
                    ClassCounts(truePositives: 0, groundTruth: 0, predicted: 1)]
        // A class-0 pixel predicted 1 → 2: FP1 −1, FP2 +1 → T = 0, F = 2 → 1.
        let moved = [base[0], ClassCounts(truePositives: 0, groundTruth: 0, predicted: 0),
                     ClassCounts(truePositives: 0, groundTruth: 0, predicted: 2)]
        #expect(NoiseComparison.changedPixelsLowerBound(base, moved) == 1)
        // A class-0 pixel predicted 1 → void: FP1 −1 → T = 0, F = 1 → ⌈1/2⌉ = 1.
        let voided = [base[0], ClassCounts(truePositives: 0, groundTruth: 0, predicted: 0), base[2]]
        #expect(NoiseComparison.changedPixelsLowerBound(base, voided) == 1)
        #expect(NoiseComparison.changedPixelsLowerBound(base, base) == 0)
    }

    @Test func agreementIsDecidedExactlyAtTheBoundary() {
        // 1 of 10 000 changed is exactly 99.99 %: passes; 2 do not.
        #expect(LabelChanges.agreementReaches(99.99, changed: 1, covered: 10_000))
        #expect(!LabelChanges.agreementReaches(99.99, changed: 2, covered: 10_000))
        // Products beyond 64 bits: 10^8 of 10^12 is exactly 99.99 %.
        #expect(LabelChanges.agreementReaches(99.99, changed: 100_000_000, covered: 1_000_000_000_000))
        #expect(!LabelChanges.agreementReaches(99.99, changed: 100_000_001, covered: 1_000_000_000_000))
        #expect(LabelChanges.agreementReaches(100, changed: 0, covered: 5))
        #expect(!LabelChanges.agreementReaches(100, changed: 1, covered: 5))
    }

    // MARK: the check

    @Test func runsOnePixelApartPass() throws {
        let base = try baseline()
        // Image b: one road pixel predicted roof instead of road.
        let run = try makeImageRun(method: "run", images: [("a", noiseImage), ("b", moved(row: 0, from: 0, to: 1))])
        let result = try RegressionCheck.compare(baseline: base, run: run, thresholds: noise)
        #expect(result.passed, "\(result.text())")
        #expect(result.mode == .numericNoise(NoiseLimits(minLabelAgreement: 99.99, maxMetricChange: 0.01)))
        let noise = try #require(result.noise)
        #expect(noise.groundTruthDifference == nil)
        let labels = try #require(noise.labels)
        #expect(labels.coveredPixels == 610_000)
        #expect(labels.changedAtLeast == 1)
        #expect(labels.imagesChanged == 1)
        #expect(labels.mostChanged == LabelChanges.Image(id: "b", changedAtLeast: 1, coveredPixels: 305_000))
        #expect(labels.withinLimit)
        // IoU road 200000/204000 → 199999/204000: −1/2040 pp, the same 98.04 at two decimals.
        let road = try #require(result.checks.first { $0.name == "IoU road" })
        #expect(road.status == .unchangedAtTwoDecimals)
        #expect(abs(try #require(road.deltaPoints) - (-1.0 / 2040)) < 1e-12)
        #expect(result.checks.first { $0.name == "IoU car <&>" }?.status == .unchanged)
        #expect(result.noiseFailureMessage == nil)
        let text = result.text()
        #expect(text.hasPrefix("PASS: run against baseline base (numeric noise: label agreement ≥ 99.99 %, metrics ±0.01 pp)\n"))
        #expect(text.contains("at least 1 of 610000 pixels changed label (agreement at most 99.9999 %, minimum 99.99 %"))
        #expect(text.contains("-0.0005"))
        #expect(text.contains("unchanged at two decimals"))
        #expect(text.contains("same 2 images with identical ground truth"))
    }

    @Test func failsOnLabelAgreementEvenWhenTheTotalsAreIdentical() throws {
        let base = try baseline(3)
        // Road pixels trade roof and tree predictions between images: 60 roof → tree in a,
        // 30 tree → roof in b and in c. The summed matrix, hence every metric, is unchanged;
        // the per-image counts show at least 60 + 30 + 30 = 120 of 915 000 pixels changed:
        // agreement at most 99.98688… % < 99.99 %.
        let run = try makeImageRun(method: "run", images: [
            ("a", moved(row: 0, from: 1, to: 2, count: 60)),
            ("b", moved(row: 0, from: 2, to: 1, count: 30)),
            ("c", moved(row: 0, from: 2, to: 1, count: 30)),
        ])
        #expect(run.matrix == base.matrix)
        let exact = try RegressionCheck.compare(baseline: base, run: run, thresholds: CheckThresholds(mode: .exact))
        #expect(exact.passed, "the summed counts are identical")

        let result = try RegressionCheck.compare(baseline: base, run: run, thresholds: noise)
        #expect(!result.passed)
        #expect(result.checks.allSatisfy { $0.status == .unchanged })
        let labels = try #require(result.noise?.labels)
        #expect(labels.changedAtLeast == 120)
        #expect(labels.coveredPixels == 915_000)
        #expect(labels.imagesChanged == 3)
        #expect(labels.mostChanged?.id == "a")
        #expect(!labels.withinLimit)
        let message = try #require(result.noiseFailureMessage)
        #expect(message == "not equal up to numerical noise: at least 120 of 915000 pixels changed label "
            + "(agreement at most 99.9869 %, minimum 99.99 %); most changed image: a (at least 60 of 305000 pixels)")
        #expect(result.text().hasPrefix("FAIL: "))

        // A looser minimum passes the same runs: 99.98 % ≤ 99.98688… %.
        let loose = try RegressionCheck.compare(
            baseline: base, run: run, thresholds: CheckThresholds(mode: .numericNoise(NoiseLimits(minLabelAgreement: 99.98))))
        #expect(loose.passed)
    }

    @Test func failsOnAMetricChangeBeyondTheLimit() throws {
        let base = try baseline()
        // Image b: one car pixel predicted tree. IoU car 3800/4000 → 3799/4000 = −0.025 pp;
        // mIoU unseen −0.01274 pp; both beyond ±0.01 pp although only 1 of 610 000 pixels changed.
        let run = try makeImageRun(method: "run", images: [("a", noiseImage), ("b", moved(row: 3, from: 3, to: 2))])
        let result = try RegressionCheck.compare(baseline: base, run: run, thresholds: noise)
        #expect(!result.passed)
        #expect(result.noise?.labels?.withinLimit == true)
        #expect(result.noise?.labels?.changedAtLeast == 1)
        let status = Dictionary(uniqueKeysWithValues: result.checks.map { ($0.name, $0.status) })
        #expect(status["IoU car <&>"] == .beyondNoise)
        #expect(status["mIoU unseen"] == .beyondNoise)
        #expect(status["mIoU"] == .withinNoise, "−0.0064 pp, 97.26 → 97.25")
        #expect(status["IoU tree"] == .unchangedAtTwoDecimals)
        #expect(status["IoU road"] == .unchanged)
        #expect(result.regressions.map(\.name) == ["mIoU unseen", "IoU car <&>"])
        #expect(result.largestMetricChange?.name == "IoU car <&>")
        #expect(abs(try #require(result.largestMetricChange?.deltaPoints) + 0.025) < 1e-9)
        #expect(result.noiseFailureMessage == "not equal up to numerical noise: 2 metrics moved by more than ±0.01 pp; "
            + "most changed image: b (at least 1 of 305000 pixels); metric that moved most: IoU car <&> (-0.0250 pp, allowed ±0.01 pp)")

        // Within a limit of 0.03 pp the same runs pass.
        let loose = try RegressionCheck.compare(
            baseline: base, run: run, thresholds: CheckThresholds(mode: .numericNoise(NoiseLimits(maxMetricChange: 0.03))))
        #expect(loose.passed)
    }

    @Test func aLimitFinerThanTheDisplayStillApplies() throws {
        // IoU road moves by −0.00049 pp (unchanged at two decimals); a 0.0001 pp limit fails it.
        let base = try baseline()
        let run = try makeImageRun(method: "run", images: [("a", noiseImage), ("b", moved(row: 0, from: 0, to: 1))])
        let result = try RegressionCheck.compare(
            baseline: base, run: run, thresholds: CheckThresholds(mode: .numericNoise(NoiseLimits(maxMetricChange: 0.0001))))
        #expect(!result.passed)
        #expect(result.checks.first { $0.name == "IoU road" }?.status == .beyondNoise)
    }

    @Test func failsWhenTheGroundTruthMoved() throws {
        let base = try baseline()
        // Image b: one pixel predicted road is now labelled roof in the ground truth.
        var rows = noiseImage
        rows[0][0] -= 1
        rows[1][0] += 1
        let run = try makeImageRun(method: "run", images: [("a", noiseImage), ("b", rows)])
        let result = try RegressionCheck.compare(baseline: base, run: run, thresholds: noise)
        #expect(!result.passed)
        let noise = try #require(result.noise)
        #expect(noise.labels == nil, "the label bound assumes the ground truth did not move")
        #expect(noise.groundTruthDifference == "the ground truth differs in 1 of 2 images (it cannot move between runs "
            + "on the same data); first: image b, road: 101000 ground-truth pixels in the baseline, 100999 in the run")
        #expect(try #require(result.noiseFailureMessage).contains("first: image b, road"))
        // The metrics alone would have passed: every change is below 0.001 pp.
        #expect(result.regressions.isEmpty)
    }

    @Test func groundTruthIsComparedByItsLabelsWhenBothRunsHashedThem() throws {
        var b = ImageRecord(
            id: "b", groundTruthSHA256: "sha256:rgb-file", predictionSHA256: "p", width: 1, height: 1, counts: [],
            groundTruthLabelsSHA256: "labels")
        var r = b
        r.groundTruthSHA256 = "sha256:index-file"
        #expect(NoiseComparison.groundTruthDifference(b, r, classNames: []) == nil, "other file, same labels")
        r.groundTruthLabelsSHA256 = "other labels"
        #expect(NoiseComparison.groundTruthDifference(b, r, classNames: [])
            == "image b: ground-truth labels labels in the baseline, other labels in the run")
        b.groundTruthLabelsSHA256 = nil
        #expect(NoiseComparison.groundTruthDifference(b, r, classNames: [])
            == "image b: ground-truth file sha256:rgb-file in the baseline, sha256:index-file in the run",
            "an older file without labels hashes is compared by its file hash")
    }

    @Test func failsWhenTheImageListsDiffer() throws {
        let base = try baseline()
        let run = try makeImageRun(method: "run", images: [("a", noiseImage), ("z", noiseImage)])
        let result = try RegressionCheck.compare(baseline: base, run: run, thresholds: noise)
        #expect(!result.passed)
        #expect(result.noise?.groundTruthDifference
            == "the image lists differ (baseline 2 images, run 2); 1 only in the baseline, first b; 1 only in the run, first z")
    }

    @Test func refusesFilesWithoutPerImageCounts() throws {
        let base = try baseline()
        var run = base
        run.images = []
        #expect(throws: HarnessError.self) {
            try RegressionCheck.compare(baseline: base, run: run, thresholds: noise)
        }
        do {
            _ = try RegressionCheck.compare(baseline: base, run: run, thresholds: noise)
        } catch {
            #expect(error.description.contains("the run (base) has no per-image counts"))
        }
    }

    @Test func renderingsMatchTheGoldenFiles() throws {
        let base = try baseline()
        let run = try makeImageRun(method: "run", images: [("a", noiseImage), ("b", moved(row: 3, from: 3, to: 2))])
        let result = try RegressionCheck.compare(baseline: base, run: run, thresholds: noise)
        try expectSnapshot(result.text(), "noise-fail.txt")
        try expectSnapshot(result.markdown(), "noise-fail.md")
        try expectSnapshot(result.junitXML(), "noise-fail.xml")

        let passing = try makeImageRun(method: "run", images: [("a", noiseImage), ("b", moved(row: 0, from: 0, to: 1))])
        let passed = try RegressionCheck.compare(baseline: base, run: passing, thresholds: noise)
        try expectSnapshot(passed.markdown(), "noise-pass.md")
    }

    @Test func junitHasTheLabelAndGroundTruthCases() throws {
        let base = try baseline(3)
        let run = try makeImageRun(method: "run", images: [
            ("a", moved(row: 0, from: 1, to: 2, count: 60)),
            ("b", moved(row: 0, from: 2, to: 1, count: 30)),
            ("c", moved(row: 0, from: 2, to: 1, count: 30)),
        ])
        let result = try RegressionCheck.compare(baseline: base, run: run, thresholds: noise)
        let collector = JUnitCollector()
        let parser = XMLParser(data: Data(result.junitXML().utf8))
        parser.delegate = collector
        #expect(parser.parse(), "JUnit XML parses: \(String(describing: parser.parserError))")
        #expect(collector.testCases == result.checks.map(\.name) + ["label agreement", "same images and ground truth"])
        #expect(collector.failures == 1, "only the label agreement fails")
        #expect(collector.suiteTests == "\(result.checks.count + 2)")
    }
}

/// Compares `text` with `Snapshots/name`; `OVSEG_RECORD=1` rewrites the file.
func expectSnapshot(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots/" + name)
    if ProcessInfo.processInfo.environment["OVSEG_RECORD"] != nil {
        try Data(text.utf8).write(to: file)
    }
    let expected = try String(contentsOf: file, encoding: .utf8)
    #expect(text == expected, "\(name) differs from the golden file", sourceLocation: sourceLocation)
}
