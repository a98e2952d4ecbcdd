import Foundation
import Harness
import JSON
import Metrics
import Reports
import SuiteReports
import Testing

/// Options of the golden grid: every grid, LaTeX, published rows, no bootstrap (fast, deterministic).
let goldenOptions = SuiteGridOptions(metrics: [.miou, .hiou, .seen, .unseen], latex: true, bootstrap: nil)

func fixtureDocument(_ options: SuiteGridOptions = goldenOptions) throws -> SuiteGridDocument {
    try SuiteGridDocument(run: try SuiteRun.load(directory: try SuiteFixture.prepared()), options: options)
}

@Suite struct SuiteGridGoldenTests {
    @Test func markdownHTMLAndLaTeXMatchTheirGoldens() throws {
        let document = try fixtureDocument()
        let files = Dictionary(uniqueKeysWithValues: SuiteGridReport.files(of: document, options: goldenOptions).map { ($0.name, $0.text) })
        try SuiteFixture.assertGolden(try #require(files["suite.md"]), "suite.md")
        try SuiteFixture.assertGolden(try #require(files["suite.html"]), "suite.html")
        for metric in GridMetric.allCases {
            let name = SuiteGridReport.latexFileName(metric)
            try SuiteFixture.assertGolden(try #require(files[name]), name)
        }
        try SuiteFixture.assertGolden(try #require(files[SuiteGridReport.latexWrapper]), SuiteGridReport.latexWrapper)
    }

    @Test func writesTheGridWithOneReportPerDatasetThatTheCellsLinkTo() throws {
        let output = NSTemporaryDirectory() + "ovseg-grid-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let written = try SuiteGridReport.write(manifestDirectory: try SuiteFixture.prepared(), to: output, options: goldenOptions)
        for name in ["suite.md", "suite.html", "grid-miou.tex", "suite-tables.tex", "potsdam/report.md", "loveda/report.html", "gid5/report.md"] {
            #expect(written.contains(output + "/" + name), "\(name) not written")
            #expect(FileManager.default.fileExists(atPath: output + "/" + name))
        }
        let markdown = try String(contentsOfFile: output + "/suite.md", encoding: .utf8)
        #expect(markdown.contains("](potsdam/report.md)"))
        let html = try String(contentsOfFile: output + "/suite.html", encoding: .utf8)
        #expect(html.contains("<a href=\"loveda/report.html\">"))
        // The per-dataset report compares every method that finished there (two on GID-5).
        let gid = try String(contentsOfFile: output + "/gid5/report.md", encoding: .utf8)
        #expect(gid.contains("CAT-Seg (ours, re-run)") && !gid.contains("| Zero-shot"))
    }
}

@Suite struct SuiteGridNumberTests {
    /// IoU of class c from a K×K matrix, by hand (docs/metrics.md §3), union-present mean (§4).
    static func handMeanIoU(_ counts: [UInt64], k: Int, classes: [Int]) -> Double? {
        var ious: [Double] = []
        for c in classes {
            let tp = counts[c * k + c]
            let gt = (0..<k).reduce(UInt64(0)) { $0 + counts[c * k + $1] }
            let pred = (0..<k).reduce(UInt64(0)) { $0 + counts[$1 * k + c] }
            let union = gt + pred - tp
            if union > 0 { ious.append(Double(tp) / Double(union)) }
        }
        return ious.isEmpty ? nil : ious.reduce(0, +) / Double(ious.count)
    }

    @Test func everyGridNumberEqualsTheOneRecomputedFromItsResultsFile() throws {
        let directory = try SuiteFixture.prepared()
        let document = try fixtureDocument()
        let manifest = try SuiteRunManifest.read(path: directory + "/suite-run.json")
        var checked = 0
        for grid in document.grids {
            for (m, method) in manifest.methods.enumerated() {
                var row: [Double] = []
                for (d, dataset) in manifest.datasets.enumerated() {
                    let cell = grid.rows[m].cells[d]
                    guard case .done(let relative) = manifest.cell(method: method.name, dataset: dataset.key)?.status else {
                        #expect(cell.text == "—" && cell.kind == .missing)
                        continue
                    }
                    // Read the file again, independently of the grid, and recompute from its counts.
                    // The counts straight from the JSON (confusion_matrix.rows), not through the results-file reader.
                    let document = try JSONCodec.read(path: directory + "/" + relative)
                    let names = try #require(document["vocabulary"]?["classes"]?.arrayValue).compactMap(\.stringValue)
                    let k = names.count
                    let rows = try #require(document["confusion_matrix"]?["rows"]?.arrayValue)
                    let counts = rows.flatMap { $0.arrayValue ?? [] }.compactMap(\.uint64Value)
                    try #require(counts.count == k * k)
                    let seen = dataset.split?.seen.compactMap { names.firstIndex(of: $0) } ?? []
                    let unseen = dataset.split?.unseen.compactMap { names.firstIndex(of: $0) } ?? []
                    let s = Self.handMeanIoU(counts, k: k, classes: seen)
                    let u = Self.handMeanIoU(counts, k: k, classes: unseen)
                    let expected: Double? = switch grid.metric {
                    case .miou: Self.handMeanIoU(counts, k: k, classes: Array(0..<k))
                    case .seen: s
                    case .unseen: u
                    case .hiou: s.flatMap { s in u.map { u in (s == 0 || u == 0) ? 0 : 2 * s * u / (s + u) } }
                    }
                    #expect(cell.text == Percent.format(expected), "\(grid.metric) \(method.name) × \(dataset.key)")
                    if let expected { row.append(expected) }
                    checked += 1
                }
                if grid.hasAverage {
                    let mean = row.reduce(0, +) / Double(row.count)
                    let average = grid.rows[m].cells[manifest.datasets.count]
                    let expectedText = row.count == manifest.datasets.count
                        ? Percent.format(mean) : "\(Percent.format(mean)) (\(row.count)/\(manifest.datasets.count))"
                    #expect(average.text == expectedText, "average of \(method.name) in \(grid.metric)")
                }
            }
        }
        #expect(checked == 4 * 8)
    }

    @Test func theFailedCellIsADashWithItsMessageAndAPartialUnrankedAverage() throws {
        let grid = try #require(try fixtureDocument().grids.first)
        let failed = grid.rows[2].cells[2]
        #expect(failed.text == "—" && failed.kind == .missing && failed.link == nil)
        let average = grid.rows[2].cells[3]
        #expect(average.kind == .partial && average.text.hasSuffix("(2/3)") && average.mark == .none)
        #expect(grid.footnotes.contains { $0.contains("Zero-shot × GID-5: failed (prediction folder pred/m2/gid5 does not exist)") })
    }

    @Test func tiesAreAllMarkedAndSecondBestIsTheNextValue() throws {
        #expect(GridTable.marks([5, 5, 3, nil]) == [.best, .best, .second, .none])
        #expect(GridTable.marks([1, 3, 3, 2, 2]) == [.none, .best, .best, .second, .second])
        #expect(GridTable.marks([4, 4]) == [.best, .best])
        #expect(GridTable.marks([4, nil]) == [.none, .none])
        #expect(GridTable.marks([nil, nil]) == [.none, .none])
        // In the fixture, methods 0 and 1 have the same counts on LoveDA: both bold, the third underlined.
        let grid = try #require(try fixtureDocument().grids.first)
        #expect(grid.rows[0].cells[1].text == grid.rows[1].cells[1].text)
        #expect(grid.rows.map { $0.cells[1].mark } == [.best, .best, .second])
    }

    @Test func publishedRowsAreMatchedMarkedApartAndNeverRankedUnlessAsked() throws {
        let grid = try #require(try fixtureDocument().grids.first)
        // DLRSD-trained: the SGSeg table's eight rows (Potsdam, LoveDA, GaoFen-2 = gid5), then RSKT-Seg's
        // README row (Potsdam, LoveDA) and its author's log (Potsdam).
        #expect(grid.published.count == 10)
        #expect(grid.published.map(\.source) == Array(repeating: 1, count: 8) + [2, 3])
        let sgseg = try #require(grid.published.first { $0.name == "SGSeg" })
        #expect(sgseg.cells.prefix(3).map(\.text) == ["32.45", "26.4", "30.06"])
        #expect(sgseg.detail == "ConvNeXt-L" && sgseg.source == 1)
        #expect(grid.published.allSatisfy { $0.cells.allSatisfy { $0.mark == .none } })
        #expect(grid.sources.count == 3 && grid.sources[0].contains("https://github.com/H1NATA111/SGSeg"))
        #expect(grid.sources[1].contains("differs from this suite: the source evaluates 8 classes, this suite 7"))
        // The protocol note: the source evaluates 6 Potsdam classes like the suite; LoveDA's count is not stated.
        #expect(grid.sources[0].contains("this suite: 6 classes of potsdam, ignored values 255 — 6 classes in both"))
        #expect(grid.sources[0].contains("does not state its class count"))
        // Recomputed rows keep their own marks, computed without the published rows.
        #expect(grid.rows.contains { $0.cells[0].mark == .best })

        let ranked = try #require(try fixtureDocument(SuiteGridOptions(rankPublished: true, bootstrap: nil)).grids.first)
        for column in 0..<4 {
            let all = ranked.rows + ranked.published
            let values = all.map { $0.cells[column].kind == .value ? $0.cells[column].hundredths : nil }
            #expect(all.map { $0.cells[column].mark } == GridTable.marks(values), "column \(column)")
        }
        #expect(ranked.published.contains { $0.cells.contains { $0.mark != .none } })

        let without = try #require(try fixtureDocument(SuiteGridOptions(published: false, bootstrap: nil)).grids.first)
        #expect(without.published.isEmpty && without.sources.isEmpty)
        // No published seen/unseen numbers exist, so those grids have no published rows.
        #expect(try fixtureDocument().grids.dropFirst().allSatisfy { $0.published.isEmpty })
    }

    @Test func trainingFreeEntriesJoinOnlyWhenAsked() throws {
        let plain = try #require(try fixtureDocument(SuiteGridOptions(bootstrap: nil)).grids.first)
        #expect(!plain.published.contains { $0.name == "FarSLIP2" })
        let grid = try #require(try fixtureDocument(SuiteGridOptions(publishedTrainingFree: true, bootstrap: nil)).grids.first)
        let farslip = grid.published.filter { $0.name == "FarSLIP2" }
        #expect(farslip.count == 2)  // ViT-B/32 and ViT-B/16
        #expect(farslip.first?.cells[0].text == "40.38" && farslip.first?.cells[1].text == "30.79")
    }
}

@Suite struct SuiteGridEscapingTests {
    /// The fixture with method 0 renamed to `name` (in the methods and in its cells).
    func document(methodName name: String) throws -> SuiteGridDocument {
        let directory = try SuiteFixture.temporaryCopy()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let old = SuiteFixture.methods[0]
        try SuiteFixture.editManifest(directory) { root in
            func renamed(_ value: JSONValue) -> JSONValue {
                guard var object = value.objectValue else { return value }
                if object["name"]?.stringValue == old { object["name"] = .string(name) }
                if object["method"]?.stringValue == old { object["method"] = .string(name) }
                return .object(object)
            }
            root["methods"] = .array((root["methods"]?.arrayValue ?? []).map(renamed))
            root["cells"] = .array((root["cells"]?.arrayValue ?? []).map(renamed))
        }
        return try SuiteGridDocument(run: try SuiteRun.load(directory: directory), options: SuiteGridOptions(latex: true, bootstrap: nil))
    }

    @Test func namesAreInertInEveryFormat() throws {
        let name = "<script>alert(1)</script> | *x* [y](z) & 100%_{a}"
        let document = try document(methodName: name)
        let html = GridHTML.render(document)
        #expect(html.contains("<td>&lt;script&gt;alert(1)&lt;/script&gt; | *x* [y](z) &amp; 100%_{a}</td>"))
        #expect(!html.contains("<script>"))
        let markdown = GridMarkdown.render(document)
        #expect(markdown.contains("| \\<script\\>alert(1)\\</script\\> \\| \\*x\\* \\[y\\](z) \\& 100%\\_{a} |"))
        let tex = GridLaTeX.fragment(try #require(document.grids.first))
        #expect(tex.contains("\\textless{}script\\textgreater{}alert(1)\\textless{}/script\\textgreater{} \\textbar{} *x* [y](z) \\& 100\\%\\_\\{a\\} &"))
    }

    @Test func everyHTMLGridRowHasTheHeadersWidth() throws {
        let document = try fixtureDocument()
        let html = GridHTML.render(document)
        for grid in document.grids {
            let id = "grid-\(grid.metric.rawValue)-table"
            let start = try #require(html.range(of: "<table id=\"\(id)\">"))
            let end = try #require(html.range(of: "</table>", range: start.upperBound..<html.endIndex))
            let rows = html[start.upperBound..<end.lowerBound].components(separatedBy: "<tr").dropFirst()
            #expect(rows.count == 1 + grid.rows.count + (grid.published.isEmpty ? 0 : 1 + grid.published.count))
            for row in rows where !row.contains("class=\"block\"") {
                let cells = row.components(separatedBy: "<td").count - 1 + row.components(separatedBy: "<th").count - 1
                #expect(cells == grid.columns.count + 1, "\(row.prefix(120))")
            }
        }
    }
}
