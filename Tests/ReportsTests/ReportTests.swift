import Foundation
import Harness
import Metrics
import Reports
import Testing

private let goldenOptions = ReportOptions(
    title: "Fixture report", baseline: "boundary-drift", bootstrap: BootstrapConfiguration(resamples: 200, level: 0.95, seed: 7),
    notes: ["Fixture runs of the synthetic demo data.", "A second paragraph with <markup> & a | pipe."])

@Suite("Report goldens")
struct ReportGoldenTests {
    @Test func markdownHTMLAndChartsMatchGoldens() throws {
        let report = try Report(inputs: try Fixtures.inputs(), options: goldenOptions)
        let files = ReportFiles.contents(of: report)
        let names: [String] = files.map(\.name)
        #expect(names.contains("report.md") && names.contains("report.html") && names.contains("iou-per-class.svg"))
        for file in files { try Fixtures.assertGolden(file.text, file.name) }
    }

    @Test func outputIsDeterministic() throws {
        let first = ReportFiles.contents(of: try Report(inputs: try Fixtures.inputs(), options: goldenOptions))
        let second = ReportFiles.contents(of: try Report(inputs: try Fixtures.inputs(), options: goldenOptions))
        let firstTexts: [String] = first.map(\.text)
        let secondTexts: [String] = second.map(\.text)
        #expect(firstTexts == secondTexts)
    }

    @Test func writesEveryFileIntoTheFolder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ovseg-report-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let report = try Report(inputs: try Fixtures.inputs(), options: goldenOptions)
        let written = try ReportFiles.write(report, to: folder + "/nested")
        let listing = try FileManager.default.contentsOfDirectory(atPath: folder + "/nested").sorted()
        let expected: [String] = written.map { URL(fileURLWithPath: $0).lastPathComponent }.sorted()
        #expect(listing == expected)
        #expect(listing.count == 2 + 2 + 3 + 1)
        #expect(listing.contains("per-image.csv"))
    }
}

@Suite("Report values")
struct ReportValueTests {
    /// The HTML tables, parsed back, hold exactly the terminal's numbers for every run.
    @Test func htmlTablesMatchTheResultsFiles() throws {
        let inputs = try Fixtures.inputs()
        let html = HTMLReport.render(try Report(inputs: inputs, options: goldenOptions))
        let summary = htmlTableRows(html, id: "summary-1")
        #expect(summary.first == ["Method", "mIoU", "mIoU seen", "mIoU unseen", "hIoU", "Pixel acc.", "Images"])
        #expect(summary.count == inputs.count + 1)
        for (row, input) in zip(summary.dropFirst(), inputs) {
            let record = input.record
            let split = try #require(record.splitScores)
            let expected: [String] = [
                record.method, Percent.format(record.scores.meanIoU), Percent.format(split.seen),
                Percent.format(split.unseen), Percent.format(split.harmonic), Percent.format(record.scores.pixelAccuracy),
                String(record.images.count),
            ]
            #expect(row == expected)
            // The terminal summary shows the same headline digits.
            let terminal = TerminalSummary.render(record)
            #expect(terminal.contains("mIoU \(expected[1])") && terminal.contains("hIoU \(expected[4])"))
        }
        let perClass = htmlTableRows(html, id: "per-class-1")
        let first = inputs[0].record
        #expect(perClass.count == first.classNames.count + 1)
        for (c, row) in perClass.dropFirst().enumerated() {
            #expect(row[0] == first.classNames[c])
            #expect(row[1] == (first.split?.side(ofClass: c) ?? "—"))
            for (m, input) in inputs.enumerated() {
                let counts = input.record.scores.classCounts[c]
                let expected = counts.groundTruth == 0
                    ? (counts.predicted == 0 ? "absent" : Percent.format(counts.iou) + "*") : Percent.format(counts.iou)
                #expect(row[2 + m] == expected)
            }
        }
    }

    @Test func bestValuesAreMarkedPerColumnAndRow() throws {
        let inputs = try Fixtures.inputs()
        let report = try Report(inputs: inputs, options: goldenOptions)
        let summary = report.sections[0].summary
        let mIoUs: [Double] = inputs.map { $0.record.scores.meanIoU ?? 0 }
        let bestIndex = try #require(mIoUs.indices.max { mIoUs[$0] < mIoUs[$1] })
        let marked: [Bool] = summary.rows.map { $0[1].best }
        #expect(marked.enumerated().allSatisfy { $0.element == ($0.offset == bestIndex) })
        for row in report.sections[0].perClass.rows {
            let bestCount = row.dropFirst(2).filter(\.best).count
            #expect(bestCount >= 1)
        }
    }

    @Test func absentClassesAreShownAsAbsent() throws {
        // Class "water" never occurs: absent in the ground truth, never predicted.
        let names = ["road", "roof", "water"]
        let a = try makeRecord(method: "a", classNames: names, matrix: [8, 2, 0, 1, 9, 0, 0, 0, 0])
        // Method b predicts "water" on a road pixel: counted, flagged with *.
        let b = try makeRecord(method: "b", classNames: names, matrix: [7, 2, 1, 1, 9, 0, 0, 0, 0])
        let report = try Report(inputs: [ReportInput(record: a, path: "a"), ReportInput(record: b, path: "b")], options: ReportOptions(bootstrap: nil))
        let water = report.sections[0].perClass.rows[2]
        let texts: [String] = water.map(\.text)
        #expect(texts == ["water", "—", "absent", "0.00*"])
        #expect(!water[2].best && !water[3].best)
        let markdown = MarkdownReport.render(report)
        #expect(markdown.contains("| water | — | absent | 0.00\\* |"))
    }

    @Test func identicalRunsAreNotSignificantlyDifferent() throws {
        let names = ["road", "roof"]
        let a = try makeRecord(method: "a", classNames: names, matrix: [80, 20, 10, 90], imageCount: 5)
        var b = a
        b.method = "b"
        let report = try Report(
            inputs: [ReportInput(record: a, path: "a"), ReportInput(record: b, path: "b")],
            options: ReportOptions(bootstrap: BootstrapConfiguration(resamples: 50, seed: 1)))
        let deltas = try #require(report.sections[0].deltas)
        let texts: [String] = deltas.rows[0].map(\.text)
        #expect(texts == ["b", "mIoU", "0.00", "[0.00, 0.00]", "1.000", "not significant"])
    }
}

@Suite("Report comparability")
struct ReportComparabilityTests {
    @Test func refusesRunsScoredDifferently() throws {
        let names = ["road", "roof"]
        let a = try makeRecord(method: "a", classNames: names, matrix: [8, 2, 1, 9])
        let b = try makeRecord(method: "b", classNames: names, matrix: [8, 2, 1, 9], presence: .gtPresent)
        let inputs = [ReportInput(record: a, path: "a.ovseg.json"), ReportInput(record: b, path: "b.ovseg.json")]
        let error = #expect(throws: ReportError.self) {
            try Report(inputs: inputs, options: ReportOptions(bootstrap: nil))
        }
        let message = error?.description ?? ""
        #expect(message.contains("presence policy differs") && message.contains("the allow-mixed setting") && message.contains("b.ovseg.json"))
        let mixed = try Report(inputs: inputs, options: ReportOptions(bootstrap: nil, allowMixed: true))
        #expect(mixed.sections.count == 2)
        #expect(mixed.warnings.count == 1)
        let html = HTMLReport.render(mixed)
        #expect(html.contains("class=\"warning\""))
        #expect(html.contains("<table id=\"summary-2\">"))
        let charts: [String] = ReportFiles.contents(of: mixed).map(\.name)
        #expect(charts.contains("s1-iou-per-class.svg") && charts.contains("s2-iou-per-class.svg"))
    }

    @Test func unknownBaselineIsAnError() throws {
        let a = try makeRecord(method: "a", classNames: ["x", "y"], matrix: [1, 0, 0, 1])
        #expect(throws: ReportError.self) {
            try Report(inputs: [ReportInput(record: a, path: "a")], options: ReportOptions(baseline: "nope"))
        }
    }
}

@Suite("Report feature drift")
struct ReportFeatureDriftTests {
    /// Means over the images that have each region, by hand: whole (0.1 + 0.3) / 2, seen 0.2 (one
    /// image), unseen 0.5 (one image); runs without a measurement get no row.
    @Test func driftTableShowsHandComputedMeansAndItsDefinition() throws {
        var inputs = try Fixtures.inputs()
        inputs[1].record.featureDrift = FeatureDrift(
            frozenCheckpoint: "frozen.safetensors", frozenSHA256: String(repeating: "ab", count: 32),
            definition: "SmoothL1 between POD features (test definition)",
            images: [
                FeatureDrift.Image(id: "a", whole: 0.1, seen: 0.2, unseen: nil),
                FeatureDrift.Image(id: "b", whole: 0.3, seen: nil, unseen: 0.5),
            ])
        let report = try Report(inputs: inputs, options: ReportOptions(title: "drift", bootstrap: nil))
        let table = try #require(report.sections.first?.featureDrift)
        let texts = table.rows.map { $0.map(\.text) }
        #expect(texts == [[inputs[1].record.method, "abababababab", "0.200000", "0.200000", "0.500000", "2"]])
        #expect(table.footnotes == ["SmoothL1 between POD features (test definition)"])
        let markdown = MarkdownReport.render(report)
        #expect(markdown.contains("Feature drift from the frozen encoder"))
        #expect(markdown.contains("| \(inputs[1].record.method) | abababababab | 0.200000 | 0.200000 | 0.500000 | 2 |"))
        let html = HTMLReport.render(report)
        #expect(html.contains("id=\"drift-1\""))

        let withoutDrift = try Report(inputs: try Fixtures.inputs(), options: ReportOptions(title: "none", bootstrap: nil))
        #expect(withoutDrift.sections.first?.featureDrift == nil)
        #expect(!MarkdownReport.render(withoutDrift).contains("Feature drift"))
    }
}

@Suite("Report runs table")
struct ReportRunsTableTests {
    /// A checkpoint hash is shortened so the table fits a page; the footnote says where the rest is.
    @Test func checkpointHashesAreShortenedWithAFootnote() throws {
        var inputs = try Fixtures.inputs()
        inputs[0].record.provenance.checkpointSHA256 = String(repeating: "0123456789abcdef", count: 4)
        let table = try Report(inputs: inputs, options: ReportOptions(bootstrap: nil)).sections[0].provenance
        let hashColumn = try #require(table.columns.firstIndex { $0.title == "Checkpoint SHA-256" })
        #expect(table.rows[0][hashColumn].text == "0123456789abcdef")
        #expect(table.rows[1][hashColumn].text == "—")
        #expect(table.footnotes.count == 1)
        let plain = try Report(inputs: try Fixtures.inputs(), options: ReportOptions(bootstrap: nil)).sections[0].provenance
        #expect(plain.footnotes.isEmpty)
    }

    /// A model run shows its arithmetic (never the kernel or CPU, which differ between machines
    /// and would make the same run's report differ); scoring runs show a dash.
    @Test func modelRunsShowTheirArithmetic() throws {
        var inputs = try Fixtures.inputs()
        inputs[0].record.provenance.numerics = NumericEnvironment(
            arithmetic: "reproducible", kernel: "AVX2+FMA", blas: "OpenBLAS 0.3.21", cpu: "Example CPU",
            instructionSet: "x86-64-v3", threads: 2)
        let table = try Report(inputs: inputs, options: ReportOptions(bootstrap: nil)).sections[0].provenance
        let column = try #require(table.columns.firstIndex { $0.title == "Arithmetic" })
        #expect(table.rows[0][column].text == "reproducible")
        #expect(table.rows[1][column].text == "—")
        #expect(table.footnotes.contains { $0.hasPrefix("Arithmetic of model runs") })
        let markdown = MarkdownReport.render(try Report(inputs: inputs, options: ReportOptions(bootstrap: nil)))
        #expect(!markdown.contains("AVX2") && !markdown.contains("Example CPU"))
    }
}

/// A class absent from the ground truth is marked and explained the same way in the terminal
/// and the reports, and the explanation agrees with the mean under every presence policy:
/// rows a (8 right, 2 predicted as b), b predicted but absent from the ground truth, c absent.
@Suite("Presence policy notes")
struct PresenceNotesTests {
    @Test(arguments: [
        (PresencePolicy.unionPresent, "40.00", "it enters no mean", "counted in the means"),
        (.gtPresent, "80.00", "it enters no mean", "left out of the means"),
        (.allZero, "26.67", "it counts as 0 in the means", "counted in the means"),
    ])
    func notesAgreeWithTheMean(policy: PresencePolicy, mean: String, absentNote: String, predictedNote: String) throws {
        let record = try makeRecord(
            method: "m", classNames: ["a", "b", "c"], matrix: [8, 2, 0, 0, 0, 0, 0, 0, 0], presence: policy)
        #expect(Percent.format(record.scores.meanIoU) == mean)
        let expected = [
            "“absent”: the class occurs in neither the ground truth nor the prediction; \(absentNote) under \(policy.rawValue).",
            "* predicted but absent from the ground truth: IoU 0, \(predictedNote) under \(policy.rawValue).",
        ]
        #expect(PresenceNotes.notes(record.scores) == expected)
        let terminal = TerminalSummary.render(record)
        #expect(terminal.contains("mIoU \(mean)"))
        for note in expected { #expect(terminal.contains(note), "terminal: \(note)") }
        #expect(!terminal.contains("union-present") || policy == .unionPresent)
        let report = try Report(
            inputs: [ReportInput(record: record, path: "m.ovseg.json")], options: ReportOptions(bootstrap: nil))
        let table = report.sections[0].perClass
        #expect(table.footnotes == expected)
        #expect(table.rows.map { $0[2].text } == ["80.00", "0.00*", "absent"])
        let markdown = MarkdownReport.render(report)
        for note in expected { #expect(markdown.contains(note), "markdown: \(note)") }
    }

    /// Every class in the ground truth: no marks and no notes.
    @Test func noNotesWhenEveryClassOccurs() throws {
        let record = try makeRecord(method: "m", classNames: ["a", "b"], matrix: [5, 1, 2, 7])
        #expect(PresenceNotes.notes(record.scores).isEmpty)
        #expect(!TerminalSummary.render(record).contains("*"))
    }
}
