import Foundation
import Harness
import Metrics
import Reports
import Testing
import Vocabulary

/// Runs scored on the folds of one family (`<prefix>fold<N>`) are reported together: a section per
/// fold and a summary of each method's mean ± std over the folds.
@Suite("Fold summaries")
struct FoldSummaryTests {
    static let classes = ["a", "b", "c"]
    /// Three folds over classes a, b, c: each fold leaves a different class unseen.
    static let folds = [
        SplitInfo(name: "tf-fold0", seenIDs: [0, 1], unseenIDs: [2], source: "test", inferred: false),
        SplitInfo(name: "tf-fold1", seenIDs: [0, 2], unseenIDs: [1], source: "test", inferred: false),
        SplitInfo(name: "tf-fold2", seenIDs: [1, 2], unseenIDs: [0], source: "test", inferred: false),
    ]
    static let identity: [UInt64] = [1, 0, 0, 0, 1, 0, 0, 0, 1]
    /// Method A, rows = ground truth a, b, c; columns = prediction.
    /// fold0: one c pixel predicted b → IoU a 1, b 1/2, c 1/2.
    /// fold1: all right → every IoU 1.
    /// fold2: one a pixel predicted c → IoU a 1/2, b 1, c 1/2.
    static let methodA: [[UInt64]] = [[1, 0, 0, 0, 1, 0, 0, 1, 1], identity, [1, 0, 1, 0, 1, 0, 0, 0, 1]]

    /// A on folds 0–2, B on folds 0 and 1 only, C (all right) on folds 0–2; one input per run.
    static func inputs(order: [Int] = [0, 1, 2]) throws -> [ReportInput] {
        var inputs: [ReportInput] = []
        for fold in order {
            let split = folds[fold]
            inputs.append(ReportInput(
                record: try makeRecord(method: "A", classNames: classes, matrix: methodA[fold], split: split),
                path: "A-\(split.name).json"))
            if fold < 2 {
                inputs.append(ReportInput(
                    record: try makeRecord(method: "B", classNames: classes, matrix: identity, split: split),
                    path: "B-\(split.name).json"))
            }
            inputs.append(ReportInput(
                record: try makeRecord(method: "C", classNames: classes, matrix: identity, split: split),
                path: "C-\(split.name).json"))
        }
        return inputs
    }

    @Test func foldNamesAreParsed() {
        let cases: [(String, String?, Int?)] = [
            ("fewshot-fold0", "fewshot-", 0), ("isaid-5i-fold2", "isaid-5i-", 2), ("tbrnet-Fold1", "tbrnet-", 1),
            ("my-fold10", "my-", 10), ("fold3", "", 3),
            ("fold", nil, nil), ("tbrnet-fold", nil, nil), ("zori-11-4", nil, nil), ("fold1x", nil, nil), ("dlrsd-overlap", nil, nil),
        ]
        for (name, family, number) in cases {
            let fold = FoldName(splitName: name)
            #expect(fold?.family == family && fold?.number == number, "\(name)")
        }
    }

    /// Hand computation (per fold: mIoU, seen, unseen, hIoU = 2su/(s+u)):
    ///   A fold0: IoU 1, 1/2, 1/2; seen {a,b} 3/4, unseen {c} 1/2, mIoU 2/3, hIoU 0.75/1.25 = 0.6
    ///   A fold1: all 1
    ///   A fold2: IoU 1/2, 1, 1/2; seen {b,c} 3/4, unseen {a} 1/2, mIoU 2/3, hIoU 0.6
    /// Means: mIoU 7/9 = 77.78; seen 5/6 = 83.33; unseen 2/3 = 66.67; hIoU 2.2/3 = 73.33.
    /// Sample std (n − 1 = 2):
    ///   mIoU: deviations −1/9, 2/9, −1/9 → (1+4+1)/81 / 2 = 1/27 → √ = 0.192450 → 19.25
    ///   seen: −1/12, 1/6, −1/12 → (1+4+1)/144 / 2 = 1/48 → 0.144338 → 14.43
    ///   unseen: −1/6, 1/3, −1/6 → (1+4+1)/36 / 2 = 1/12 → 0.288675 → 28.87
    ///   hIoU: −2/15, 4/15, −2/15 → 24/225 / 2 = 12/225 → 0.230940 → 23.09
    /// (hIoU of the mean seen and unseen would be 2·(5/6)·(2/3)/(3/2) = 74.07, not 73.33.)
    /// C is right everywhere: 100.00 ± 0.00, the best mean of every column. B lacks fold2: no means.
    @Test func meansAndSampleDeviationsMatchAHandComputation() throws {
        let report = try Report(inputs: try Self.inputs(), options: ReportOptions(bootstrap: nil))
        #expect(report.sections.count == 3)
        #expect(report.sections.map { $0.inputs[0].record.split?.name } == ["tf-fold0", "tf-fold1", "tf-fold2"])
        #expect(report.sections[2].inputs.map(\.record.method) == ["A", "C"])
        #expect(report.warnings.isEmpty, "folds are not a mix: \(report.warnings)")
        try #require(report.foldSummaries.count == 1)
        let table = report.foldSummaries[0]
        #expect(table.id == "fold-summary-1")
        #expect(table.caption == "Fold summary: Test vocabulary, tf-fold0, tf-fold1, tf-fold2 (%, mean ± std over folds, best mean per column in bold)")
        #expect(table.columns.map(\.title) == ["Method", "Folds", "mIoU", "mIoU seen", "mIoU unseen", "hIoU"])
        let text = table.rows.map { $0.map(\.text) }
        #expect(text == [
            ["A", "all 3", "77.78 ± 19.25", "83.33 ± 14.43", "66.67 ± 28.87", "73.33 ± 23.09"],
            ["B", "tf-fold0, tf-fold1 (no tf-fold2)", "—", "—", "—", "—"],
            ["C", "all 3", "100.00 ± 0.00", "100.00 ± 0.00", "100.00 ± 0.00", "100.00 ± 0.00"],
        ])
        #expect(table.rows.map { $0.map(\.best) } == [
            [false, false, false, false, false, false], [false, false, false, false, false, false],
            [false, false, true, true, true, true],
        ])
        #expect(table.footnotes.contains { $0.contains("sample standard deviation (n − 1 in the denominator)") })
        #expect(table.footnotes.contains { $0.hasPrefix("hIoU is averaged over the folds") })
        #expect(table.footnotes.contains {
            $0 == "B has no run on tf-fold2, so it has no means: a mean over fewer folds would not be comparable with the others."
        })
        #expect(table.footnotes[0].contains("tf-fold0 (section 1), tf-fold1 (section 2), tf-fold2 (section 3)"))
    }

    /// Markdown, HTML, the terminal and the table of contents show the one model table, first.
    @Test func everyRendererShowsTheSummaryFirst() throws {
        let report = try Report(inputs: try Self.inputs(order: [2, 0, 1]), options: ReportOptions(bootstrap: nil))
        let table = try #require(report.foldSummaries.first)
        #expect(table.caption.contains("tf-fold2, tf-fold0, tf-fold1"), "folds in the order of their sections")
        let first = try #require(report.contents.first)
        #expect(first.depth == 0 && first.title == table.caption && first.anchor == "fold-summary-1")
        #expect(report.contents.dropFirst().first?.anchor == "section-1")

        let html = HTMLReport.render(report)
        let rows = htmlTableRows(html, id: "fold-summary-1")
        #expect(rows.first == table.columns.map(\.title))
        #expect(Array(rows.dropFirst()) == table.rows.map { $0.map(\.text) })
        #expect(html.range(of: "id=\"fold-summary-1\"")!.lowerBound < html.range(of: "id=\"section-1\"")!.lowerBound)
        #expect(html.contains("<a href=\"#fold-summary-1\">"))

        let markdown = MarkdownReport.render(report)
        #expect(markdown.contains("| Method | Folds | mIoU | mIoU seen | mIoU unseen | hIoU |"))
        #expect(markdown.contains("| C | all 3 | **100.00 ± 0.00** | **100.00 ± 0.00** | **100.00 ± 0.00** | **100.00 ± 0.00** |"))
        #expect(markdown.contains("| A | all 3 | 77.78 ± 19.25 | 83.33 ± 14.43 | 66.67 ± 28.87 | 73.33 ± 23.09 |"))
        #expect(markdown.range(of: "## Fold summary")!.lowerBound < markdown.range(of: "## Section 1 of 3")!.lowerBound)
        #expect(markdown.contains("- [Fold summary: Test vocabulary"))

        let terminal = TerminalTable.render(table)
        #expect(terminal.hasPrefix(table.caption + "\n"))
        #expect(terminal.contains("A       all 3"), "\(terminal)")
        for row in table.rows { for cell in row { #expect(terminal.contains(cell.text)) } }
        #expect(terminal.contains("100.00 ± 0.00 *") && terminal.contains("*: bold in report.md and report.html"))
        for note in table.footnotes { #expect(terminal.contains(note)) }
    }

    /// Only runs that differ in nothing but their fold of one family escape --allow-mixed.
    @Test func otherDifferencesAreStillRefused() throws {
        func run(_ split: SplitInfo?, presence: PresencePolicy = .unionPresent, method: String = "A") throws -> ReportInput {
            ReportInput(
                record: try makeRecord(method: method, classNames: Self.classes, matrix: Self.identity, presence: presence, split: split),
                path: "\(split?.name ?? "none")-\(presence.rawValue).json")
        }
        var otherFamily = Self.folds[1]
        otherFamily.name = "other-fold1"
        var sameFoldOtherClasses = Self.folds[1]
        sameFoldOtherClasses.name = "tf-fold0"
        let refused: [(ReportInput, String)] = [
            (try run(otherFamily), "split differs"),
            (try run(sameFoldOtherClasses), "split differs"),
            (try run(Self.folds[1], presence: .gtPresent), "presence policy differs"),
            (try run(nil), "split differs"),
        ]
        for (input, reason) in refused {
            let pair = [try run(Self.folds[0]), input]
            let error = #expect(throws: ReportError.self) { try Report(inputs: pair, options: ReportOptions(bootstrap: nil)) }
            #expect(error?.description.contains(reason) == true && error?.settings == [.allowMixed],
                    "\(String(describing: error))")
        }
        // With --allow-mixed the mix is still called one, and the folds still get their summary.
        let mixed = try Report(
            inputs: [try run(Self.folds[0]), try run(Self.folds[1]), try run(Self.folds[1], presence: .gtPresent)],
            options: ReportOptions(bootstrap: nil, allowMixed: true))
        #expect(mixed.sections.count == 3)
        #expect(mixed.warnings.count == 1 && mixed.warnings[0].contains("presence policy differs"))
        #expect(mixed.foldSummaries.count == 1)
        #expect(mixed.foldSummaries[0].caption.contains("tf-fold0, tf-fold1 ("))
        // A single fold is an ordinary report.
        let single = try Report(inputs: [try run(Self.folds[0])], options: ReportOptions(bootstrap: nil))
        #expect(single.foldSummaries.isEmpty && single.contents.first?.anchor == "summary-1")
    }

    /// LoveDA bundles fewshot-fold0..2: a report of two of them says which fold has no run.
    @Test func foldsTheVocabularyDefinesButNoRunCoversAreNamed() throws {
        let loveda = try Vocabulary.load(key: "loveda")
        func run(_ fold: String, fingerprint: String? = nil) throws -> ReportInput {
            let split = try loveda.split(named: fold)
            let k = loveda.classCount
            var record = try makeRecord(
                method: "A", classNames: loveda.classes.map(\.name),
                matrix: (0..<(k * k)).map { $0 % (k + 1) == 0 ? 5 : 1 },
                split: SplitInfo(name: split.name, seenIDs: split.seenIDs, unseenIDs: split.unseenIDs, source: split.source, inferred: false))
            record.vocabulary = VocabularyInfo(
                key: loveda.key, name: loveda.name, fingerprint: fingerprint ?? loveda.fingerprint,
                classNames: loveda.classes.map(\.name), colors: record.vocabulary.colors)
            return ReportInput(record: record, path: "\(fold).json")
        }
        let report = try Report(inputs: [try run("fewshot-fold1"), try run("fewshot-fold0")], options: ReportOptions(bootstrap: nil))
        let table = try #require(report.foldSummaries.first)
        #expect(table.footnotes.contains(
            "LoveDA defines 3 folds of this family; no run here is on fewshot-fold2, so the means are over 2 of the 3."),
            "\(table.footnotes)")
        let all = try Report(
            inputs: try ["fewshot-fold0", "fewshot-fold1", "fewshot-fold2"].map { try run($0) }, options: ReportOptions(bootstrap: nil))
        #expect(!(all.foldSummaries.first?.footnotes.contains { $0.contains("LoveDA defines") } ?? true))
        // A vocabulary changed since the runs were scored says nothing about its folds.
        let changed = try Report(
            inputs: [try run("fewshot-fold0", fingerprint: "fnv1a64:0"), try run("fewshot-fold1", fingerprint: "fnv1a64:0")],
            options: ReportOptions(bootstrap: nil))
        #expect(changed.foldSummaries.count == 1 && !changed.foldSummaries[0].footnotes.contains { $0.contains("defines") })
    }
}
