import Foundation
import JSON
import Reports
import SuiteReports
import Testing

@Suite struct PublishedBaselinesTests {
    @Test func theBundledFilesLoadWithTheCorePaperFirst() throws {
        let entries = try PublishedBaselines.bundled()
        #expect(entries.first?.source.id == "sgseg-tgrs2025")
        let sgseg = entries.filter { $0.source.id == "sgseg-tgrs2025" }
        #expect(sgseg.count == 2 * 8 * 6)
        // Spot checks against the source table, as printed (benchmarks of the core paper).
        func value(_ method: String, _ training: String, _ test: String) -> String? {
            sgseg.first { $0.method == method && $0.training == training && $0.testDataset == test }?.value
        }
        #expect(value("CAT-Seg", "isaid", "vaihingen") == "14")
        #expect(value("SCAN", "dlrsd", "isaid") == "35.1")
        #expect(value("SGSeg", "dlrsd", "potsdam") == "32.45")
        #expect(value("SGSeg", "isaid", "gid5") == "23.85")
        #expect(value("SegEarth-OV", "dlrsd", "potsdam") == "18.95" && value("SegEarth-OV", "isaid", "potsdam") == "18.95")
        #expect(sgseg.first { $0.testDataset == "gid5" }?.printedColumn == "GaoFen-2")
        // Every entry carries a source URL, a metric and a protocol for its test dataset.
        for entry in entries {
            #expect(!entry.source.url.isEmpty && (entry.metric == "miou" || entry.metric == "macc"))
            #expect(entry.protocolNotes != nil)
            #expect(PublishedBaselines.parseHundredths(entry.value) == entry.hundredths)
        }
        let hg = entries.filter { $0.source.id == "hg-rsovsseg-rs2026" }
        #expect(hg.count == 5 * 6 + 6)  // "-" (the training set) left out
        #expect(entries.filter { $0.source.id == "farslip-rs-ovss" }.count == 17 * 8)
    }

    @Test func printedValuesParseAsExactDecimals() {
        #expect(PublishedBaselines.parseHundredths("14") == 1400)
        #expect(PublishedBaselines.parseHundredths("31.3") == 3130)
        #expect(PublishedBaselines.parseHundredths("2.675") == nil)
        #expect(PublishedBaselines.parseHundredths("0.07") == 7)
        #expect(PublishedBaselines.parseHundredths("-1.5") == -150)
        #expect(PublishedBaselines.parseHundredths("") == nil)
        #expect(PublishedBaselines.parseHundredths("1e3") == nil)
        #expect(PublishedBaselines.parseHundredths("–") == nil)
    }

    @Test func filteringByTrainingSet() throws {
        let entries = try PublishedBaselines.bundled()
        let dlrsd = PublishedBaselines.filter(entries, training: "DLRSD")
        #expect(!dlrsd.isEmpty && dlrsd.allSatisfy { $0.training == "dlrsd" })
        let free = PublishedBaselines.filter(entries, training: "training-free")
        #expect(!free.isEmpty && free.allSatisfy { $0.training == nil && $0.trainingFree })
        let listing = PublishedBaselines.listing(PublishedBaselines.filter(entries, training: "isaid"))
        #expect(listing.contains("SGSeg (ConvNeXt-L), trained on isaid, miou: isaid 94.49, dlrsd 28.52"))
        #expect(PublishedBaselines.listing([]) == "no published baselines match\n")
    }

    @Test func malformedBaselineFilesNameTheEntry() throws {
        let text = """
            {"schema": "ovseg.published-baselines", "schema_version": 1,
             "source": {"id": "x", "order": 1, "short": "X", "citation": "X", "table": "T", "url": "https://example.org", "reliability": "primary"},
             "metric": "miou", "metric_notes": "mIoU", "printed_columns": {"potsdam": "Potsdam"},
             "protocols": {"potsdam": {"classes": 6, "vocabulary": "v", "ignore": "i", "split": "s"}},
             "entries": [{"method": "M", "training": "dlrsd", "training_free": false, "values": {"potsdam": 31.3}}]}
            """
        #expect(throws: SuiteReportError.self) { try PublishedBaselines.decode(try JSONCodec.parse(text, source: "x.json"), source: "x.json") }
        do {
            _ = try PublishedBaselines.decode(try JSONCodec.parse(text, source: "x.json"), source: "x.json")
        } catch let error as SuiteReportError {
            #expect(error.message == "x.json: entries[0].values.potsdam: expected a number as printed in a string, e.g. \"31.3\"")
        }
        let unknownTest = text.replacingOccurrences(of: "\"potsdam\": 31.3", with: "\"vaihingen\": \"31.3\"")
        #expect(throws: SuiteReportError.self) { try PublishedBaselines.decode(try JSONCodec.parse(unknownTest, source: "x.json"), source: "x.json") }
    }
}

@Suite struct LaTeXTests {
    @Test func everySpecialCharacterIsEscaped() {
        #expect(LaTeXText.escape("a & b % c $ d # e _ f { g } h ~ i ^ j \\ k")
            == "a \\& b \\% c \\$ d \\# e \\_ f \\{ g \\} h \\textasciitilde{} i \\textasciicircum{} j \\textbackslash{} k")
        #expect(LaTeXText.escape("<x|y>") == "\\textless{}x\\textbar{}y\\textgreater{}")
        #expect(LaTeXText.escape("a\nb\u{7}c") == "a b c")
        #expect(LaTeXText.escape("— “q” 2×3 → …") == "--- ``q'' 2$\\times$3 $\\rightarrow$ \\dots{}")
    }

    /// Removes escaped specials (`\&`, `\{`, …) so the rest can be checked for raw ones.
    static func withoutEscapes(_ line: String) -> String {
        var out = ""
        var iterator = line.makeIterator()
        while let character = iterator.next() {
            if character == "\\" {
                guard let next = iterator.next() else {
                    out.append("\\")
                    break
                }
                if !"&%$#_{}".contains(next) {
                    out.append("\\")
                    out.append(next)
                }
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// Columns of a tabular row: `&`-separated cells, a `\multicolumn{n}` counting n.
    static func columnCount(_ row: String) -> Int {
        let cells = withoutEscapes(row).components(separatedBy: "&")
        return cells.reduce(0) { total, cell in
            if let range = cell.range(of: "\\multicolumn{"), let end = cell[range.upperBound...].firstIndex(of: "}"),
                let n = Int(cell[range.upperBound..<end])
            {
                return total + n
            }
            return total + 1
        }
    }

    /// Checks a LaTeX text: braces balance (outside escapes) and every tabular row has the header's width.
    static func checkStructure(_ tex: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let plain = withoutEscapes(tex)
        var depth = 0
        for character in plain {
            if character == "{" { depth += 1 } else if character == "}" { depth -= 1 }
            #expect(depth >= 0, "a closing brace without an opening one", sourceLocation: sourceLocation)
        }
        #expect(depth == 0, "unbalanced braces", sourceLocation: sourceLocation)
        #expect(plain.components(separatedBy: "\\begin{").count == plain.components(separatedBy: "\\end{").count, sourceLocation: sourceLocation)
        let lines = tex.split(separator: "\n").map(String.init)
        guard let spec = lines.first(where: { $0.hasPrefix("\\begin{tabular}{") }) else {
            Issue.record("no tabular", sourceLocation: sourceLocation)
            return
        }
        let width = spec.dropFirst("\\begin{tabular}{".count).prefix { $0 != "}" }.count
        let rows = lines.filter { $0.hasSuffix(" \\\\") }
        #expect(!rows.isEmpty, sourceLocation: sourceLocation)
        for row in rows {
            #expect(columnCount(row) == width, "\(row)", sourceLocation: sourceLocation)
            // No raw special character is left in a row (only commands and escaped ones).
            let raw = withoutEscapes(row).replacingOccurrences(of: "\\\\", with: "")
            for special in ["%", "$", "#", "_", "~", "^"] where !row.contains("$\\times$") {
                #expect(!raw.contains(special), "raw \(special) in \(row)", sourceLocation: sourceLocation)
            }
        }
        for booktabs in ["\\toprule", "\\midrule", "\\bottomrule"] {
            #expect(lines.contains(booktabs), "missing \(booktabs)", sourceLocation: sourceLocation)
        }
    }

    @Test func gridFragmentsAreStructurallyValid() throws {
        let document = try fixtureDocument()
        for grid in document.grids {
            let tex = GridLaTeX.fragment(grid)
            Self.checkStructure(tex)
            // Published rows in their own block after a \multicolumn "Published" line.
            if !grid.published.isEmpty {
                let lines = tex.split(separator: "\n")
                let block = try #require(lines.firstIndex { $0.contains("\\multicolumn{5}{l}{\\textit{Published}}") })
                let firstSuite = try #require(lines.firstIndex { $0.hasPrefix("CAT-Seg") })
                #expect(firstSuite < block)
                #expect(lines[(block + 1)...].contains { $0.hasPrefix("\\textit{SGSeg} (ConvNeXt-L)\\textsuperscript{1}") })
            }
        }
        let miou = GridLaTeX.fragment(try #require(document.grids.first))
        #expect(miou.contains("Ours\\_v2 \\& \\{50\\%\\} \\#1 \\textasciitilde{}\\$\\textasciicircum{}\\textbackslash{} &"))
        #expect(miou.contains("\\textbf{") && miou.contains("\\underline{"))
        let wrapper = GridLaTeX.wrapper(title: document.title, fragments: ["grid-miou.tex"])
        #expect(wrapper.contains("\\usepackage{booktabs}") && wrapper.contains("\\input{grid-miou.tex}"))
        #expect(wrapper.contains("\\section*{RS OVSS cross-dataset (DLRSD $\\rightarrow$ others)}"))
    }

    @Test func reportTablesAreStructurallyValid() throws {
        let directory = try SuiteFixture.prepared()
        let run = try SuiteRun.load(directory: directory)
        let inputs = run.manifest.methods.indices.compactMap { m in
            run.record(method: m, dataset: 0).map { ReportInput(record: $0, path: "x") }
        }
        let report = try Report(inputs: inputs, options: ReportOptions(title: "Potsdam_50%", bootstrap: nil))
        for section in report.sections {
            Self.checkStructure(GridLaTeX.table(section.perClass, label: "per-class"))
            Self.checkStructure(GridLaTeX.table(section.summary, label: "summary"))
        }
        let document = GridLaTeX.reportDocument(report)
        #expect(document.contains("\\section*{Potsdam\\_50\\%}") && document.hasSuffix("\\end{document}\n"))
    }
}
