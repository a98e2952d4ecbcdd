import Foundation
import Metrics
import VQAScoring

/// The regression gate for VQA runs (docs/vqa.md §7): overall and average accuracy may drop by at
/// most `maxDrop` percentage points, each question type's accuracy by at most `maxDropType`; in
/// exact mode every question's normalised prediction must be identical.
public struct VQACheck: Sendable {
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
    /// The first question whose normalised prediction differs (exact mode).
    public var exactDifference: String?

    public var passed: Bool { exactDifference == nil && !items.contains(where: \.failed) }

    /// Compares `run` with `baseline`; runs that scored other ground truth or normalised answers
    /// differently are refused (they do not measure the same thing).
    public static func compare(
        baseline: VQARunRecord, run: VQARunRecord, maxDrop: Double, maxDropType: Double, exact: Bool
    ) throws(VQAError) -> VQACheck {
        guard baseline.groundTruthFingerprint == run.groundTruthFingerprint else {
            throw VQAError(.resultsFile,
                "the runs scored different ground truth (\(baseline.groundTruthFingerprint) vs \(run.groundTruthFingerprint)); "
                    + "they are not comparable")
        }
        guard baseline.policy.normalizer == run.policy.normalizer else {
            throw VQAError(.resultsFile, "the runs used different count or area buckets; score both with the same settings")
        }
        let b = baseline.scores
        let r = run.scores
        var items = [
            Item(name: "overall accuracy", baseline: b.overallAccuracy, run: r.overallAccuracy, limit: maxDrop),
            Item(name: "average accuracy", baseline: b.averageAccuracy, run: r.averageAccuracy, limit: maxDrop),
        ]
        let runTypes = Dictionary(uniqueKeysWithValues: r.types.map { ($0.type, $0) })
        for item in b.types {
            items.append(Item(
                name: "accuracy[\(item.type)]", baseline: item.accuracy, run: runTypes[item.type]?.accuracy, limit: maxDropType))
        }
        var difference: String?
        if exact {
            for (bq, rq) in zip(baseline.questions, run.questions)
            where bq.id != rq.id || bq.predictionNormalized != rq.predictionNormalized {
                difference = "question \"\(bq.id)\": baseline answered \"\(bq.predictionNormalized ?? "(missing)")\", "
                    + "run \"\(rq.predictionNormalized ?? "(missing)")\""
                break
            }
        }
        return VQACheck(
            baselineMethod: baseline.method, runMethod: run.method, items: items, exact: exact, exactDifference: difference)
    }

    /// One line per checked figure, then the verdict.
    public func text() -> String {
        var lines = ["vqa check: \(runMethod) against \(baselineMethod)"]
        for item in items {
            let delta = item.baseline.flatMap { base in item.run.map { ($0 - base) * 100 } }
            let deltaText = delta.map { String(format: "%+.2f", $0) } ?? "—"
            lines.append("  \(item.failed ? "FAIL" : "ok  ") \(item.name): \(Percent.format(item.baseline)) → "
                + "\(Percent.format(item.run)) (\(deltaText) pp, allowed drop \(String(format: "%.2f", item.limit)))")
        }
        if exact {
            lines.append("  \(exactDifference == nil ? "ok  " : "FAIL") exact per-question answers"
                + (exactDifference.map { ": " + $0 } ?? ""))
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
            xml += "    <testcase classname=\"ovseg.check\" name=\"exact per-question answers\""
            xml += exactDifference.map { ">\n      <failure message=\"\(xmlEscape($0))\"/>\n    </testcase>\n" } ?? "/>\n"
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }
}
