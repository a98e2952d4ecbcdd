import Harness
import Metrics
import Reports
import Testing

@Suite("How predictions were read, in the report")
struct PredictionReadingReportTests {
    @Test func encodingIsShownWithThePredictionsAndRunWarningsAtTheTop() throws {
        var shifted = try makeRecord(
            method: "mmseg-void", classNames: ["a", "b", "c"], matrix: [1, 40, 0, 0, 2, 50, 0, 0, 1])
        shifted.policy.outOfRangePrediction = .void
        var read = try makeRecord(method: "mmseg-read", classNames: ["a", "b", "c"], matrix: [40, 1, 0, 0, 50, 2, 0, 0, 1])
        read.policy.predictionEncoding = .reduceZeroLabel
        read.policy.outOfRangePrediction = .void
        #expect(!shifted.warnings.isEmpty, "ids + 1 read as ids: mass one column right of the diagonal")
        #expect(read.warnings.isEmpty)
        let report = try Report(
            inputs: [ReportInput(record: read, path: "read.json"), ReportInput(record: shifted, path: "shifted.json")],
            options: ReportOptions(bootstrap: nil))
        #expect(report.sections.count == 1, "the encoding does not split runs into sections")
        #expect(report.warnings == shifted.warnings.map { "mmseg-void (shifted.json): \($0)" })
        let runs = report.sections[0].provenance
        let predictions = try #require(runs.columns.firstIndex { $0.title == "Predictions" })
        #expect(runs.rows[0][predictions].text
            == "pred (read with --pred-reduce-zero-label: mmseg reduce_zero_label output: value v is class v − 1, 0 and 255 are no class)")
        #expect(runs.rows[1][predictions].text == "pred")
        #expect(MarkdownReport.render(report).contains("> **Warning:** mmseg-void (shifted.json): the predictions look shifted by one class"))
    }
}
