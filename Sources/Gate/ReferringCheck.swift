import Foundation
import Metrics
import Referring

/// The regression gate for referring runs (docs/referring.md §9): cIoU, gIoU and every
/// Precision@τ may drop by at most `maxDrop` percentage points, each class's gIoU by at most
/// `maxDropClass`; in exact mode every sample's counts must be identical.
public struct ReferringCheck: Sendable {
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
    /// The first sample whose counts differ (exact mode).
    public var exactDifference: String?

    public var passed: Bool { exactDifference == nil && !items.contains(where: \.failed) }

    /// Compares `run` with `baseline`; runs that scored other annotations or under another policy
    /// are refused (they do not measure the same thing).
    public static func compare(
        baseline: ReferringRunRecord, run: ReferringRunRecord, maxDrop: Double, maxDropClass: Double, exact: Bool
    ) throws(ReferringError) -> ReferringCheck {
        guard baseline.annotationsFingerprint == run.annotationsFingerprint else {
            throw ReferringError(.resultsFile,
                "the runs scored different annotations (\(baseline.annotationsFingerprint) vs \(run.annotationsFingerprint)); "
                    + "they are not comparable")
        }
        guard baseline.policy.precisionThresholds == run.policy.precisionThresholds,
            baseline.policy.sizeBuckets == run.policy.sizeBuckets
        else {
            throw ReferringError(.resultsFile,
                "the runs used different precision thresholds or size buckets; score both with the same settings")
        }
        var items: [Item] = []
        let b = baseline.scores
        let r = run.scores
        items.append(Item(name: "cIoU", baseline: b.ciou, run: r.ciou, limit: maxDrop))
        items.append(Item(name: "gIoU", baseline: b.giou, run: r.giou, limit: maxDrop))
        for (bp, rp) in zip(b.precision, r.precision) {
            items.append(Item(name: "Prec@" + bp.label, baseline: bp.value, run: rp.value, limit: maxDrop))
        }
        let runClasses = Dictionary(uniqueKeysWithValues: run.classScores.map { ($0.name, $0.scores) })
        for item in baseline.classScores {
            items.append(Item(
                name: "gIoU[\(item.name)]", baseline: item.scores.giou, run: runClasses[item.name]?.giou, limit: maxDropClass))
        }
        var difference: String?
        if exact {
            for (bs, rs) in zip(baseline.samples, run.samples) where bs.counts != rs.counts || bs.id != rs.id {
                difference = "sample \"\(bs.id)\": baseline I \(bs.counts.intersection), U \(bs.counts.union); "
                    + "run I \(rs.counts.intersection), U \(rs.counts.union)"
                break
            }
        }
        return ReferringCheck(
            baselineMethod: baseline.method, runMethod: run.method, items: items, exact: exact, exactDifference: difference)
    }

    /// One line per checked figure, then the verdict.
    public func text() -> String {
        var lines = ["referring check: \(runMethod) against \(baselineMethod)"]
        for item in items {
            let delta = item.baseline.flatMap { base in item.run.map { ($0 - base) * 100 } }
            let deltaText = delta.map { String(format: "%+.2f", $0) } ?? "—"
            lines.append("  \(item.failed ? "FAIL" : "ok  ") \(item.name): \(Percent.format(item.baseline)) → "
                + "\(Percent.format(item.run)) (\(deltaText) pp, allowed drop \(String(format: "%.2f", item.limit)))")
        }
        if exact {
            lines.append("  \(exactDifference == nil ? "ok  " : "FAIL") exact per-sample counts"
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
            xml += "    <testcase classname=\"ovseg.check\" name=\"exact per-sample counts\""
            xml += exactDifference.map { ">\n      <failure message=\"\(xmlEscape($0))\"/>\n    </testcase>\n" } ?? "/>\n"
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }
}
