import Foundation
import Harness
import Testing
@testable import Reports

/// Runs whose files a release layout or pairs file listed say so where the report lists the run's
/// settings and in the terminal summary; folder runs do not.
@Suite struct DatasetOriginTests {
    @Test func layoutAndPairsFileAreShown() throws {
        var record = try makeRecord(method: "m", classNames: ["a", "b"], matrix: [3, 1, 0, 4])
        #expect(!ReportSection.policyLines(record).contains { $0.label == "Files listed by" })
        #expect(!TerminalSummary.render(record).contains("files:"))
        record.dataset.origin = DatasetOrigin(layout: "official", subset: "val", labelVariant: "eroded")
        let line = ReportSection.policyLines(record).first { $0.label == "Files listed by" }
        #expect(line?.value == "layout official, subset val, eroded labels")
        #expect(TerminalSummary.render(record).contains("files: layout official, subset val, eroded labels\n"))
        record.dataset.origin = DatasetOrigin(pairsFile: "lists/pairs.csv")
        #expect(ReportSection.policyLines(record).first { $0.label == "Files listed by" }?.value == "pairs file lists/pairs.csv")
    }
}
