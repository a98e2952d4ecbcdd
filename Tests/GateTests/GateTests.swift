import Foundation
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

@testable import Gate
import Harness
import Metrics

/// A run built from explicit counts: two classes seen, two unseen, one image.
func makeRun(method: String, diagonal: [UInt64], offDiagonal: UInt64 = 10, dataset: String = "sha256:data") -> RunRecord {
    var matrix = ConfusionMatrix(classCount: 4)
    for c in 0..<4 {
        matrix[c, c] = diagonal[c]
        matrix[c, (c + 1) % 4] = offDiagonal
    }
    let counts = matrix.classCounts
    return RunRecord(
        method: method,
        vocabulary: VocabularyInfo(
            key: "toy", name: "Toy", fingerprint: "fnv1a64:1", classNames: ["road", "roof", "tree", "car <&>"],
            colors: [[1, 1, 1], [2, 2, 2], [3, 3, 3], [4, 4, 4]]),
        split: SplitInfo(name: "toy-2-2", seenIDs: [0, 1], unseenIDs: [2, 3], source: "test", inferred: false),
        policy: EvaluationPolicy(
            presence: .unionPresent, ignoreValues: [255], ignoreColors: [], reduceZeroLabel: false,
            outOfRangeGroundTruth: .error, outOfRangePrediction: .error),
        dataset: DatasetInfo(groundTruthDirectory: "gt", predictionDirectory: "pred", fingerprint: dataset),
        shard: nil, matrix: matrix,
        images: [ImageRecord(id: "a", groundTruthSHA256: "x", predictionSHA256: "y", width: 1, height: 1, counts: counts)],
        provenance: Provenance(version: "test", command: [], date: "2026-01-01T00:00:00Z", host: "h", seconds: 0, threads: 1))
}

@Suite("Regression gate")
struct GateTests {
    let baseline = makeRun(method: "base", diagonal: [100, 100, 100, 100])

    @Test func identicalRunsPassExactly() throws {
        let result = try RegressionCheck.compare(baseline: baseline, run: baseline, thresholds: CheckThresholds(mode: .exact))
        #expect(result.passed)
        #expect(result.exactDifference == nil)
        #expect(result.checks.allSatisfy { $0.status == .unchanged })
    }

    @Test func smallDropIsWithinToleranceLargeDropIsARegression() throws {
        // Class 3: IoU 100/120 → 95/115 is a drop of 0.72 pp: within the class tolerance (2.0),
        // but mIoU (−0.18 pp) and unseen (−0.36 pp) stay within 0.5.
        let slightly = makeRun(method: "run", diagonal: [100, 100, 100, 95])
        let ok = try RegressionCheck.compare(baseline: baseline, run: slightly, thresholds: CheckThresholds())
        #expect(ok.passed)
        let classCheck = try #require(ok.checks.first { $0.name == "IoU car <&>" })
        #expect(classCheck.status == .withinTolerance)

        let worse = makeRun(method: "run", diagonal: [100, 100, 100, 40])
        let failed = try RegressionCheck.compare(baseline: baseline, run: worse, thresholds: CheckThresholds())
        #expect(!failed.passed)
        let names: [String] = failed.regressions.map(\.name)
        #expect(names.contains("mIoU"))
        #expect(names.contains("mIoU unseen"))
        #expect(names.contains("hIoU"))
        #expect(names.contains("IoU car <&>"))
        #expect(!names.contains("mIoU seen"))
    }

    @Test func improvementsPassAndAreReported() throws {
        let better = makeRun(method: "run", diagonal: [200, 100, 100, 100])
        let result = try RegressionCheck.compare(baseline: baseline, run: better, thresholds: CheckThresholds())
        #expect(result.passed)
        #expect(result.checks.first { $0.name == "IoU road" }?.status == .improved)
        #expect(result.text().contains("improved"))
    }

    // MARK: changes below the display precision (two decimals of percent)

    @Test func aChangeHiddenByTheDisplayIsUnchangedAtTwoDecimals() throws {
        // Image b: one road pixel predicted roof. IoU road 200000/204000 → 199999/204000
        // (−1/2040 pp), 98.04 both: neither "within tolerance" nor "regressed".
        let base = try makeImageRun(method: "base", images: [("a", noiseImage), ("b", noiseImage)])
        let run = try makeImageRun(method: "run", images: [("a", noiseImage), ("b", moved(row: 0, from: 0, to: 1))])
        let result = try RegressionCheck.compare(baseline: base, run: run, thresholds: CheckThresholds())
        #expect(result.passed)
        #expect(result.mode == .tolerance)
        let status = Dictionary(uniqueKeysWithValues: result.checks.map { ($0.name, $0.status) })
        #expect(status["IoU road"] == .unchangedAtTwoDecimals)
        #expect(status["IoU roof"] == .unchangedAtTwoDecimals)
        #expect(status["mIoU"] == .unchangedAtTwoDecimals)
        #expect(status["IoU car <&>"] == .unchanged)
        #expect(!result.checks.contains { $0.status == .withinTolerance || $0.status == .regressed })
        let line = try #require(result.text().split(separator: "\n").first { $0.contains("IoU road") })
        #expect(line == "  IoU road                    98.04    → 98.04   -0.0005   unchanged at two decimals")
        try expectSnapshot(result.markdown(), "two-decimals.md")
    }

    @Test func aDisplayEqualDropPassesEvenWithAZeroTolerance() throws {
        let base = try makeImageRun(method: "base", images: [("a", noiseImage), ("b", noiseImage)])
        let run = try makeImageRun(method: "run", images: [("a", noiseImage), ("b", moved(row: 0, from: 0, to: 1))])
        let zero = CheckThresholds(maxDropMIoU: 0, maxDropHIoU: 0, maxDropClass: 0)
        let result = try RegressionCheck.compare(baseline: base, run: run, thresholds: zero)
        #expect(result.passed, "the drops are below the two decimals results are reported at")
        // A visible drop still fails under the same zero tolerance: IoU car 95.00 → 94.98.
        let visible = try makeImageRun(method: "run", images: [("a", noiseImage), ("b", moved(row: 3, from: 3, to: 2))])
        let failed = try RegressionCheck.compare(baseline: base, run: visible, thresholds: zero)
        #expect(failed.regressions.map(\.name) == ["mIoU", "mIoU unseen", "hIoU", "IoU car <&>"])
    }

    @Test func aTinyChangeThatFlipsTheDisplayShowsItsUnroundedDelta() throws {
        // IoU road 622/642 = 96.8847 % → 623/643 = 96.8896 %: +0.0048 pp, but 96.88 → 96.89.
        let base = makeRun(method: "base", diagonal: [622, 100, 100, 100])
        let run = makeRun(method: "run", diagonal: [623, 100, 100, 100])
        let result = try RegressionCheck.compare(baseline: base, run: run, thresholds: CheckThresholds())
        let road = try #require(result.checks.first { $0.name == "IoU road" })
        #expect(road.status == .improved)
        #expect(result.text().contains("  IoU road                    96.88    → 96.89   +0.0048   improved\n"))
    }

    @Test func exactModeFailsOnAChangeHiddenByTheDisplay() throws {
        let base = try makeImageRun(method: "base", images: [("a", noiseImage), ("b", noiseImage)])
        let run = try makeImageRun(method: "run", images: [("a", noiseImage), ("b", moved(row: 0, from: 0, to: 1))])
        let result = try RegressionCheck.compare(baseline: base, run: run, thresholds: CheckThresholds(mode: .exact))
        #expect(!result.passed)
        #expect(result.regressions.isEmpty)
        #expect(result.checks.first { $0.name == "IoU road" }?.status == .unchangedAtTwoDecimals)
        #expect(result.exactDifference == "confusion matrix cell [ground truth road, predicted road]: baseline 200000, run 199999")
        let collector = JUnitCollector()
        let parser = XMLParser(data: Data(result.junitXML().utf8))
        parser.delegate = collector
        #expect(parser.parse())
        #expect(collector.failures == 1, "only the exact-counts case fails")
        #expect(result.junitXML().contains("<system-out>98.04 → 98.04 (-0.0005 pp): unchanged at two decimals</system-out>"))
    }

    @Test func unroundedDeltasKeepOneSignificantDigit() {
        #expect(unroundedPoints(0.0004) == "+0.0004")
        #expect(unroundedPoints(-0.00049) == "-0.0005")
        #expect(unroundedPoints(0.000012) == "+0.00001")
        #expect(unroundedPoints(-0.025) == "-0.0250")
        #expect(unroundedPoints(1.25) == "+1.2500")
        #expect(unroundedPoints(3.2e-14) == "+3.2e-14")
        #expect(unroundedPoints(0) == "0.0000")
    }

    @Test func exactModeNamesTheFirstDifferingCell() throws {
        let other = makeRun(method: "run", diagonal: [100, 101, 100, 100])
        let result = try RegressionCheck.compare(baseline: baseline, run: other, thresholds: CheckThresholds(mode: .exact))
        #expect(!result.passed)
        #expect(result.exactDifference == "confusion matrix cell [ground truth roof, predicted roof]: baseline 100, run 101")
    }

    @Test func differentDatasetsAreRefusedNamingBothValues() {
        let other = makeRun(method: "run", diagonal: [100, 100, 100, 100], dataset: "sha256:other")
        do {
            _ = try RegressionCheck.compare(baseline: baseline, run: other, thresholds: CheckThresholds())
            Issue.record("compared runs of different datasets")
        } catch {
            #expect(error.description.contains("sha256:data"))
            #expect(error.description.contains("sha256:other"))
        }
    }

    @Test func junitIsWellFormedWithOneCasePerMetric() throws {
        let worse = makeRun(method: "run \"quoted\"", diagonal: [100, 100, 100, 40])
        let result = try RegressionCheck.compare(baseline: baseline, run: worse, thresholds: CheckThresholds(mode: .exact))
        let xml = result.junitXML()
        let collector = JUnitCollector()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = collector
        #expect(parser.parse(), "JUnit XML parses: \(String(describing: parser.parserError))")
        #expect(collector.testCases.count == result.checks.count + 1)
        #expect(collector.failures == result.regressions.count + 1)
        #expect(collector.testCases.contains("IoU car <&>"))
        #expect(collector.suiteTests == "\(result.checks.count + 1)")
    }

    @Test func githubSummaryMatchesTheGoldenFile() throws {
        let worse = makeRun(method: "run|pipe", diagonal: [100, 100, 100, 40])
        let result = try RegressionCheck.compare(baseline: baseline, run: worse, thresholds: CheckThresholds())
        let markdown = result.markdown()
        let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots/summary.md")
        if ProcessInfo.processInfo.environment["OVSEG_RECORD"] != nil {
            try Data(markdown.utf8).write(to: golden)
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(markdown == expected)
        #expect(markdown.contains("**run\\|pipe**"), "pipes are escaped")
        #expect(markdown.contains("car \\<\\&\\>"), "table cells are escaped")
    }
}

final class JUnitCollector: NSObject, XMLParserDelegate {
    var testCases: [String] = []
    var failures = 0
    var suiteTests: String?

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String]
    ) {
        switch elementName {
        case "testcase": testCases.append(attributes["name"] ?? "")
        case "failure": failures += 1
        case "testsuite": suiteTests = attributes["tests"]
        default: break
        }
    }
}

@Suite("Hostile names in check output")
struct HostileNameTests {
    @Test func controlCharactersCannotRewriteTheTerminalOrBreakTheXML() throws {
        let base = makeRun(method: "base", diagonal: [100, 100, 100, 100])
        // A carriage return and an erase-line sequence would visually replace the FAIL line.
        let run = makeRun(method: "run\r\u{1B}[2KPASS: all good\u{FFFE}", diagonal: [50, 100, 100, 100])
        let result = try RegressionCheck.compare(baseline: base, run: run, thresholds: CheckThresholds())
        let text = result.text()
        #expect(text.hasPrefix("FAIL: run\\r\\u{1B}[2KPASS"))
        #expect(!text.unicodeScalars.contains { $0 == "\r" || $0 == "\u{1B}" })
        let xml = result.junitXML()
        #expect(!xml.unicodeScalars.contains { $0.value == 0xFFFE })
        #expect(xml.contains("U+FFFE"))
        let parser = XMLParser(data: Data(xml.utf8))
        #expect(parser.parse(), "JUnit output must stay well-formed XML")
    }
}
