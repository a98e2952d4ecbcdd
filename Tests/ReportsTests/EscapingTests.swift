import Foundation
import Harness
import Metrics
import Reports
import Testing

/// Names chosen to break HTML, SVG or a GFM table if anything reached the output unescaped.
private let hostile = [
    "<script>alert(1)</script>", "pipe|name", "a & b", "\"double\" 'single'", "line\nbreak", "`tick`", "<img src=x onerror=y>",
]

private func hostileReport() throws -> Report {
    let classes = ["<script>", "road | path", "trees & \"grass\"", "multi\nline", "`code`"]
    let k = classes.count
    var counts = [UInt64](repeating: 0, count: k * k)
    for g in 0..<k {
        for p in 0..<k { counts[g * k + p] = g == p ? 50 + UInt64(g) : UInt64((g + p) % 3) }
    }
    let split = SplitInfo(name: "<b>split</b>", seenIDs: [0, 1], unseenIDs: [2, 3, 4], source: "<i>paper</i> | \"x\"", inferred: true)
    let inputs = try hostile.prefix(3).enumerated().map { index, method in
        var matrix = counts
        matrix[index] += 5
        let record = try makeRecord(
            method: method, classNames: classes, matrix: matrix, split: split, vocabularyName: "Vocab <script>x</script>",
            groundTruthDirectory: "/data/<gt>|&\"", predictionDirectory: "/pred/\(method)", imageCount: 3)
        return ReportInput(record: record, path: "/runs/<\(index)>|&.ovseg.json")
    }
    return try Report(
        inputs: inputs,
        options: ReportOptions(
            title: "Title <script>alert('t')</script> | & \"q\"\nsecond line", baseline: hostile[0],
            bootstrap: BootstrapConfiguration(resamples: 20, seed: 1)))
}

@Suite("Escaping")
struct EscapingTests {
    @Test func htmlEscapeCoversTheFiveCharacters() {
        #expect(HTMLText.escape("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
    }

    @Test func markdownEscapeNeutralisesTableSyntax() {
        #expect(MarkdownText.escape("a|b") == "a\\|b")
        #expect(MarkdownText.escape("x\ny\r\nz") == "x y z")
        #expect(MarkdownText.escape("<script>") == "\\<script\\>")
        #expect(MarkdownText.escape("`c` & *d*") == "\\`c\\` \\& \\*d\\*")
    }

    @Test func htmlShowsHostileNamesAsText() throws {
        let html = HTMLReport.render(try hostileReport())
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img src=x"))
        #expect(!html.contains("<b>split"))
        #expect(!html.contains("<i>paper"))
        #expect(!html.contains("<gt>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("<title>Title &lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; | &amp; &quot;q&quot;\nsecond line</title>"))
        // Parsed back, the cells hold the original names.
        let summary = htmlTableRows(html, id: "summary-1")
        let methods: [String] = summary.dropFirst().map { $0[0] }
        #expect(methods == Array(hostile.prefix(3)))
        let perClass = htmlTableRows(html, id: "per-class-1")
        let classNames: [String] = perClass.dropFirst().map { $0[0] }
        #expect(classNames == ["<script>", "road | path", "trees & \"grass\"", "multi\nline", "`code`"])
        // No attribute value is broken open by a quote.
        #expect(!html.contains("onerror=y>"))
    }

    @Test func chartsEscapeEveryName() throws {
        for chart in try hostileReport().sections[0].charts {
            #expect(!chart.svg.contains("<script"), "\(chart.fileName)")
            #expect(!chart.svg.contains("<img"), "\(chart.fileName)")
            #expect(chart.svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
            #expect(chart.fileName.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." })
        }
    }

    @Test func markdownTablesKeepTheirShape() throws {
        let markdown = MarkdownReport.render(try hostileReport())
        // Every "<" is backslash-escaped, so GFM shows it as text and never opens raw HTML; the
        // only raw HTML is the report's own anchor lines, whose ids are generated, never typed.
        let anchorLine = /<a id="[a-z0-9-]+"><\/a>/
        let prose = markdown.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { (try? anchorLine.wholeMatch(in: $0)) == nil }.joined(separator: "\n")
        #expect(prose.count < markdown.count)
        let characters = Array(prose)
        let bare = characters.indices.filter { characters[$0] == "<" && ($0 == 0 || characters[$0 - 1] != "\\") }
        #expect(bare.isEmpty)
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false)
        // Every table block has the same number of unescaped pipes on every line.
        var index = 0
        var tables = 0
        while index < lines.count {
            guard lines[index].hasPrefix("|") else {
                index += 1
                continue
            }
            let expected = unescapedPipes(lines[index])
            while index < lines.count && lines[index].hasPrefix("|") {
                #expect(unescapedPipes(lines[index]) == expected, "\(lines[index])")
                index += 1
            }
            tables += 1
        }
        #expect(tables >= 5)
        #expect(markdown.hasPrefix("# Title \\<script\\>alert('t')\\</script\\> \\| \\& \"q\" second line\n"))
    }

    private func unescapedPipes(_ line: Substring) -> Int {
        var count = 0
        var escaped = false
        for character in line {
            if escaped {
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "|" {
                count += 1
            }
        }
        return count
    }
}
