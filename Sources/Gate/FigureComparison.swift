import Metrics

/// The outcome of a task run's gate (referring, VQA, scene classification): named figures that
/// may each drop by at most a limit in percentage points, and optionally an exact comparison of
/// the per-item records. Renders as terminal text and as JUnit XML.
public struct FigureComparison: Sendable {
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

    /// What is checked, as the first line of the text says it ("referring check").
    public var title: String
    /// The exact comparison's name ("exact per-sample counts").
    public var exactLabel: String
    public var baselineMethod: String
    public var runMethod: String
    public var items: [Item]
    public var exact: Bool
    /// The first difference of the exact comparison, in words.
    public var exactDifference: String?

    public var passed: Bool { exactDifference == nil && !items.contains(where: \.failed) }

    /// One line per checked figure, then the verdict.
    public func text() -> String {
        var lines = ["\(title): \(runMethod) against \(baselineMethod)"]
        for item in items {
            let delta = item.baseline.flatMap { base in item.run.map { ($0 - base) * 100 } }
            let deltaText = delta.map { String(format: "%+.2f", $0) } ?? "—"
            lines.append("  \(item.failed ? "FAIL" : "ok  ") \(item.name): \(Percent.format(item.baseline)) → "
                + "\(Percent.format(item.run)) (\(deltaText) pp, allowed drop \(String(format: "%.2f", item.limit)))")
        }
        if exact {
            lines.append("  \(exactDifference == nil ? "ok  " : "FAIL") \(exactLabel)" + (exactDifference.map { ": " + $0 } ?? ""))
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
            xml += "    <testcase classname=\"ovseg.check\" name=\"\(xmlEscape(exactLabel))\""
            xml += exactDifference.map { ">\n      <failure message=\"\(xmlEscape($0))\"/>\n    </testcase>\n" } ?? "/>\n"
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }
}
