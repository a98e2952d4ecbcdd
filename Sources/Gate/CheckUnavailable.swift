import Reports

/// A check that could not run (exit 2: a file is missing or damaged, the runs measured different
/// things, the options contradict each other). CI summaries must say so rather than stay empty,
/// because that is exactly when someone needs to read them.
public struct CheckUnavailable: Sendable, Equatable {
    public let baseline: String
    public let run: String
    /// Why the check could not run, as the error said it.
    public let reason: String

    public init(baseline: String, run: String, reason: String) {
        self.baseline = baseline
        self.run = run
        self.reason = reason
    }

    /// A Markdown section for `GITHUB_STEP_SUMMARY`.
    public func markdown() -> String {
        """
        ### ovseg check: ⚠️ could not run

        Run **\(MarkdownText.escape(run))** against baseline **\(MarkdownText.escape(baseline))**: \
        \(MarkdownText.escape(reason))

        No metric was compared; the step fails with exit code 2.


        """
    }

    /// JUnit XML with one errored test case carrying the reason, so that CI test views show the
    /// check as broken rather than as passed or absent.
    public func junitXML() -> String {
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"ovseg check\" tests=\"1\" failures=\"0\" errors=\"1\">\n"
        xml += "  <testsuite name=\"\(xmlEscape(run)) vs \(xmlEscape(baseline))\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n"
        xml += "    <testcase classname=\"ovseg.check\" name=\"check could run\">\n"
        xml += "      <error message=\"\(xmlEscape(reason))\"/>\n"
        xml += "    </testcase>\n"
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }
}
