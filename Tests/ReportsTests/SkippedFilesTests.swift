import Foundation
import Harness
import Metrics
import Reports
import Testing

@Suite("Skipped files in the terminal summary and the report")
struct SkippedFilesTests {
    /// Two scored images; six ground-truth images without a prediction, one of another size and
    /// one prediction without ground truth were left out.
    func skippingRecord(method: String = "skipper") throws -> RunRecord {
        var record = try makeRecord(
            method: method, classNames: ["road", "tree"], matrix: [5, 1, 2, 8], imageCount: 2)
        record.dataset.missingPredictions = ["tile_0001", "tile_0002", "tile_0004", "tile_0005", "tile_0007", "tile_0009"]
        record.dataset.sizeMismatches = ["tile_0003"]
        record.dataset.extraPredictions = ["stray"]
        return record
    }

    @Test func terminalSummarySaysHowManyAndWhich() throws {
        let text = TerminalSummary.render(try skippingRecord())
        let lines = text.split(separator: "\n").map(String.init)
        // Snapshot of the head of the summary.
        #expect(Array(lines.prefix(3)) == [
            "skipper — Test vocabulary, 2 images (7 skipped), presence policy union-present",
            "skipped 7 of 9 ground-truth images: 6 without a prediction (tile_0001, tile_0002, tile_0004 and 3 more), "
                + "1 whose prediction has another size (tile_0003)",
            "ignored 1 prediction file without ground truth (stray)",
        ])
    }

    @Test func nothingSkippedSaysNothing() throws {
        let record = try makeRecord(method: "all", classNames: ["road", "tree"], matrix: [5, 1, 2, 8], imageCount: 2)
        let text = TerminalSummary.render(record)
        #expect(text.hasPrefix("all — Test vocabulary, 2 images, presence policy union-present\nclass"))
        #expect(!text.contains("skipped"))
        #expect(SkippedFiles.sentences(record).isEmpty)
    }

    @Test func namesAreListedWithHowManyMore() {
        #expect(SkippedFiles.listed(["a"]) == "a")
        #expect(SkippedFiles.listed(["a", "b", "c"]) == "a, b, c")
        #expect(SkippedFiles.listed(["a", "b", "c", "d"]) == "a, b, c and 1 more")
    }

    @Test func reportSummaryShowsTheSkips() throws {
        let skipping = ReportInput(record: try skippingRecord(), path: "skipper.ovseg.json")
        var complete = try makeRecord(method: "complete", classNames: ["road", "tree"], matrix: [5, 1, 2, 8], imageCount: 2)
        complete.dataset.fingerprint = skipping.record.dataset.fingerprint
        let report = try Report(
            inputs: [skipping, ReportInput(record: complete, path: "complete.ovseg.json")],
            options: ReportOptions(bootstrap: nil))
        let summary = report.sections[0].summary
        #expect(summary.rows[0].last?.text == "2 (7 skipped)")
        #expect(summary.rows[1].last?.text == "2")
        #expect(summary.footnotes.contains(
            "skipper: skipped 7 of 9 ground-truth images: 6 without a prediction (tile_0001, tile_0002, tile_0004 "
                + "and 3 more), 1 whose prediction has another size (tile_0003)."))
        #expect(summary.footnotes.contains("skipper: ignored 1 prediction file without ground truth (stray)."))
        #expect(!summary.footnotes.contains { $0.hasPrefix("complete:") })
        let markdown = MarkdownReport.render(report)
        #expect(markdown.contains("| skipper |"))
        #expect(markdown.contains("2 (7 skipped) |"))
        #expect(markdown.contains("skipper: skipped 7 of 9 ground-truth images"))
        let html = HTMLReport.render(report)
        #expect(htmlTableRows(html, id: "summary-1")[1].last == "2 (7 skipped)")
        #expect(html.contains("skipper: skipped 7 of 9 ground-truth images"))
    }
}
