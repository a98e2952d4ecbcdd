import Foundation
import Metrics
import SceneClassification

/// The regression gate for scene-classification runs (docs/scene-classification.md §5): top-1,
/// top-5, macro F1 and (with a split) seen/unseen accuracy and H may drop by at most `maxDrop`
/// percentage points, each class's recall by at most `maxDropClass`; in exact mode the confusion
/// matrices must be identical.
public struct SceneClassificationCheck: Sendable {
    public struct Item: Sendable, Equatable {
        public var name: String
        public var baseline: Double?
        public var run: Double?
        public var limit: Double
        /// Drop beyond the limit, or defined in the baseline and undefined in the run.
        public var failed: Bool {
            guard let baseline else { return false }
            guard let run else { return true }
            return (baseline - run) * 100 > limit
        }
    }

    public var baselineMethod: String
    public var runMethod: String
    public var items: [Item]
    public var exact: Bool
    /// The first differing confusion-matrix cell (exact mode).
    public var exactDifference: String?

    public var passed: Bool { exactDifference == nil && !items.contains(where: \.failed) }

    /// Compares `run` with `baseline`; runs over other labels, another vocabulary or another split
    /// are refused (they do not measure the same thing).
    public static func compare(
        baseline: SceneRunRecord, run: SceneRunRecord, maxDrop: Double, maxDropClass: Double, exact: Bool
    ) throws(SceneClassificationError) -> SceneClassificationCheck {
        guard baseline.vocabularyFingerprint == run.vocabularyFingerprint, baseline.classNames == run.classNames else {
            throw SceneClassificationError(.resultsFile,
                "the runs used different vocabularies (\(baseline.vocabularyKey) \(baseline.vocabularyFingerprint) vs "
                    + "\(run.vocabularyKey) \(run.vocabularyFingerprint)); they are not comparable")
        }
        guard baseline.labelsFingerprint == run.labelsFingerprint else {
            throw SceneClassificationError(.resultsFile,
                "the runs scored different labels (\(baseline.labelsFingerprint) vs \(run.labelsFingerprint)); they are not comparable")
        }
        guard baseline.split?.seenIDs == run.split?.seenIDs, baseline.split?.unseenIDs == run.split?.unseenIDs else {
            throw SceneClassificationError(.resultsFile, "the runs used different seen/unseen splits; score both with the same split")
        }
        let b = baseline.scores, r = run.scores
        var items = [
            Item(name: "top-1 accuracy", baseline: b.accuracy, run: r.accuracy, limit: maxDrop),
            Item(name: "top-5 accuracy", baseline: b.top5, run: r.top5, limit: maxDrop),
            Item(name: "macro F1", baseline: b.macroF1, run: r.macroF1, limit: maxDrop),
        ]
        if baseline.split != nil {
            items.append(Item(name: "seen accuracy", baseline: b.seenAccuracy, run: r.seenAccuracy, limit: maxDrop))
            items.append(Item(name: "unseen accuracy", baseline: b.unseenAccuracy, run: r.unseenAccuracy, limit: maxDrop))
            items.append(Item(name: "harmonic mean", baseline: b.harmonicMean, run: r.harmonicMean, limit: maxDrop))
        }
        for (index, figures) in b.classes.enumerated() where figures.support > 0 {
            items.append(Item(name: "recall[\(baseline.classNames[index])]", baseline: figures.recall, run: r.classes[index].recall, limit: maxDropClass))
        }
        var difference: String?
        if exact {
            search: for row in 0..<baseline.classCount {
                for column in 0..<baseline.classCount where b.count(truth: row, predicted: column) != r.count(truth: row, predicted: column) {
                    difference = "confusion matrix cell (\(baseline.classNames[row]) → \(baseline.classNames[column])): baseline "
                        + "\(b.count(truth: row, predicted: column)), run \(r.count(truth: row, predicted: column))"
                    break search
                }
            }
        }
        return SceneClassificationCheck(
            baselineMethod: baseline.method, runMethod: run.method, items: items, exact: exact, exactDifference: difference)
    }

    /// One line per checked figure, then the verdict.
    public func text() -> String {
        var lines = ["scene classification check: \(runMethod) against \(baselineMethod)"]
        for item in items {
            let delta = item.baseline.flatMap { base in item.run.map { ($0 - base) * 100 } }
            let deltaText = delta.map { String(format: "%+.2f", $0) } ?? "—"
            lines.append("  \(item.failed ? "FAIL" : "ok  ") \(item.name): \(Percent.format(item.baseline)) → "
                + "\(Percent.format(item.run)) (\(deltaText) pp, allowed drop \(String(format: "%.2f", item.limit)))")
        }
        if exact {
            lines.append("  \(exactDifference == nil ? "ok  " : "FAIL") exact confusion matrix" + (exactDifference.map { ": " + $0 } ?? ""))
        }
        lines.append(passed ? "PASS" : "FAIL: regression")
        return lines.joined(separator: "\n") + "\n"
    }

    /// JUnit XML, one test case per checked figure.
    public func junitXML() -> String {
        let cases = items.count + (exact ? 1 : 0)
        let failures = items.filter(\.failed).count + (exactDifference == nil ? 0 : 1)
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"ovseg check\" tests=\"\(cases)\" failures=\"\(failures)\">\n"
        xml += "  <testsuite name=\"\(xmlEscape(runMethod)) vs \(xmlEscape(baselineMethod))\" tests=\"\(cases)\" failures=\"\(failures)\" errors=\"0\" skipped=\"0\">\n"
        for item in items {
            xml += "    <testcase classname=\"ovseg.check\" name=\"\(xmlEscape(item.name))\""
            if item.failed {
                xml += ">\n      <failure message=\"\(xmlEscape("\(Percent.format(item.baseline)) → \(Percent.format(item.run))"))\"/>\n    </testcase>\n"
            } else {
                xml += "/>\n"
            }
        }
        if exact {
            xml += "    <testcase classname=\"ovseg.check\" name=\"exact confusion matrix\""
            xml += exactDifference.map { ">\n      <failure message=\"\(xmlEscape($0))\"/>\n    </testcase>\n" } ?? "/>\n"
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }
}
