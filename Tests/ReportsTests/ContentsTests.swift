import Foundation
import Harness
import Metrics
import Reports
import Testing

/// Every `prefix…"` value in `text`, in order (the text between `prefix` and the next quote).
private func quoted(after prefix: String, in text: String) -> [String] {
    text.components(separatedBy: prefix).dropFirst().map { String($0.prefix { $0 != "\"" }) }
}

@Suite("Report table of contents")
struct ReportContentsTests {
    /// The fixture report lists its sections and tables, and each link reaches exactly one anchor.
    @Test func everyLinkReachesExactlyOneAnchor() throws {
        let report = try Report(
            inputs: try Fixtures.inputs(),
            options: ReportOptions(bootstrap: BootstrapConfiguration(resamples: 50, level: 0.95, seed: 7)))
        let anchors = report.contents.map(\.anchor)
        #expect(Set(anchors).count == anchors.count)
        #expect(anchors.starts(with: ["summary-1", "per-class-1"]))
        #expect(anchors.contains("confidence-intervals-1") && anchors.contains("deltas-1") && anchors.contains("charts-1"))
        #expect(anchors.last == "provenance-1")

        let html = HTMLReport.render(report)
        let ids = quoted(after: " id=\"", in: html)
        #expect(Set(ids).count == ids.count, "HTML ids are unique")
        let links = quoted(after: "<a href=\"#", in: html)
        #expect(links == anchors)
        for link in links { #expect(ids.filter { $0 == link }.count == 1, "#\(link)") }
        #expect(html.contains("<nav class=\"toc\"><h2>Contents</h2>"))

        let markdown = MarkdownReport.render(report)
        let markdownIDs = quoted(after: "<a id=\"", in: markdown)
        #expect(Set(markdownIDs).count == markdownIDs.count)
        let markdownLinks = markdown.components(separatedBy: "](#").dropFirst().map { String($0.prefix { $0 != ")" }) }
        #expect(markdownLinks == anchors)
        for link in markdownLinks { #expect(markdownIDs.filter { $0 == link }.count == 1, "#\(link)") }
        #expect(markdown.contains("## Contents\n\n- [Summary (%, best per column in bold)](#summary-1)\n"))
        #expect(markdown.contains("\n  - [Differences against boundary-drift](#deltas-1)\n"))
    }

    /// Sections get their own anchors (suffix = section number) and their titles are escaped.
    @Test func sectionsAreNumberedAndTitlesEscaped() throws {
        let a = try makeRecord(method: "a", classNames: ["x", "y"], matrix: [1, 0, 0, 1], vocabularyName: "V <b>&")
        let b = try makeRecord(method: "b", classNames: ["x", "y"], matrix: [1, 0, 0, 1], presence: .gtPresent, vocabularyName: "W")
        let report = try Report(
            inputs: [ReportInput(record: a, path: "a.json"), ReportInput(record: b, path: "b.json")],
            options: ReportOptions(bootstrap: nil, allowMixed: true))
        let anchors = report.contents.map(\.anchor)
        #expect(Set(anchors).count == anchors.count)
        #expect(anchors.contains("section-1") && anchors.contains("section-2") && anchors.contains("summary-2"))
        let html = HTMLReport.render(report)
        #expect(html.contains("<a href=\"#section-1\">Section 1 of 2: V &lt;b&gt;&amp;, no split</a>"))
        #expect(html.contains("<h2 id=\"section-2\">"))
        #expect(!html.contains("<b>&"))
        let markdown = MarkdownReport.render(report)
        #expect(markdown.contains("- [Section 1 of 2: V \\<b\\>\\&, no split](#section-1)\n  - [Summary"))
    }
}
