import Foundation
import Harness
import Metrics
import Reports
import SyntheticData
import Testing

@Suite("Qualitative panel and workload")
struct QualitativeTests {
    /// Label maps are embedded as PNG data URLs, worst images first, with a legend.
    @Test func panelEmbedsTheWorstImages() throws {
        let panelData = try PanelDataset(methods: [.boundaryDrift])
        let inputs = try Fixtures.inputs()
        let sources = panelData.boundaryDriftSources()
        let report = try Report(inputs: inputs, options: ReportOptions(bootstrap: nil, qualitative: sources))
        let panel = try #require(report.sections[0].qualitative)
        #expect(panel.rows.count == 2)
        let scores: [Double] = panel.rows.compactMap(\.meanIoU)
        #expect(scores == scores.sorted())
        let html = HTMLReport.render(report)
        #expect(html.contains("<ul class=\"legend\">"))
        #expect(html.contains("src=\"data:image/png;base64,iVBORw0KGgo"))
        #expect(!html.contains("src=\"http"))
        #expect(!html.contains("<script"))
    }

    /// A prediction folder that is not the one the run was scored from is refused, naming the file.
    @Test func predictionsOfAnotherRunAreRefused() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ovseg-qual-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dataset = SampleDataset(imageCount: 6, width: 64, height: 64, seed: 2025)
        try dataset.write(to: root, methods: [.seenCollapse], jobs: 1)
        let foreign = dataset.predictionDirectory(in: root, method: .seenCollapse)
        let sources = QualitativeSources(
            imageDirectory: nil, groundTruthDirectory: nil, predictionDirectories: [("boundary-drift", foreign)], count: 2)
        let error = try #require(throws: ReportError.self) {
            try Report(inputs: try Fixtures.inputs(), options: ReportOptions(bootstrap: nil, qualitative: sources))
        }
        #expect(error.description.hasPrefix("prediction folder of boundary-drift (\(foreign)): \(foreign)/tile_"), "\(error.description)")
        #expect(error.kind == .predictionMismatch && error.settings == [.predictionFolder(method: "boundary-drift", folder: foreign)])
        #expect(error.description.contains("is not the prediction boundary-drift was scored with"), "\(error.description)")
        #expect(error.description.contains("Fixtures/boundary-drift.ovseg.json records"), "\(error.description)")
    }

    @Test func labelsParseAtTheLastEqualsSign() throws {
        #expect(try RunLabel(parsing: "runs/a=b.ovseg.json=exp1") == RunLabel(run: "runs/a=b.ovseg.json", name: "exp1"))
        #expect(throws: ReportError.self) { try RunLabel(parsing: "pred=") }
        #expect(throws: ReportError.self) { try RunLabel(parsing: "pred") }
    }

    @Test func syntheticWorkloadIsComparableAndConsistent() throws {
        let records = try SyntheticRuns.records(methods: 3, classes: 5, images: 20)
        #expect(Comparability.difference(records[0], records[2]) == nil)
        for record in records {
            var summed = [ClassCounts](repeating: ClassCounts(truePositives: 0, groundTruth: 0, predicted: 0), count: 5)
            for image in record.images {
                for c in 0..<5 {
                    summed[c].truePositives += image.counts[c].truePositives
                    summed[c].groundTruth += image.counts[c].groundTruth
                    summed[c].predicted += image.counts[c].predicted
                }
            }
            #expect(summed == record.matrix.classCounts)
        }
    }
}
