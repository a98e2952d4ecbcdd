import FileOutput
import ArgumentParser
import Referring
import SceneClassification
import Foundation
import VQAScoring
import Harness
import Metrics
import Reports
import SuiteReports
import Vocabulary

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Compare runs in a Markdown and a self-contained HTML report with bootstrap confidence intervals.",
        discussion: """
            Writes DIR/report.md, DIR/report.html and the SVG charts beside them; with bootstrap intervals the \
            bar charts show them as whiskers. Runs must share vocabulary, \
            split, evaluation policy and dataset; --allow-mixed shows differing runs in separate sections instead. \
            Runs that differ only in being different folds of one family (splits <prefix>fold0, <prefix>fold1, …, \
            e.g. loveda's fewshot-fold0..2) get a section per fold and a fold summary first: each method's mean ± \
            sample std over the folds, for methods with a run on every fold (also printed on the terminal). \
            With --gt (and optionally --images, --pred NAME=DIR) the HTML shows the worst images side by side as \
            thumbnails linking to full-resolution PNGs written to DIR/qualitative/; \
            each prediction file shown must be the one the run was scored with (its SHA-256 is checked against the \
            results file). Runs of one table must have different method names: rename them with --label RUN=NAME.

            Examples:
              ovseg report exp1.ovseg.json exp2.ovseg.json -o report --title \"Potsdam\"
              ovseg report runs/*.ovseg.json -o report --gt gt --images img --pred a=pa
              ovseg report */fold*.ovseg.json -o folds --bootstrap 0
              ovseg report runs/*.ovseg.json -o r --split-file my-split.json
            """)

    @Argument(help: "Results files (*.ovseg.json).")
    var runs: [String]

    @OptionGroup var resplit: ResplitOptions

    @Option(name: [.short, .customLong("output"), .customLong("out")],
            help: "Folder to write the report into (created if missing; --out is an alias).")
    var out: String

    @Option(help: "Title of the report.")
    var title: String = "ovseg report"

    @Option(help: "A paragraph to show under the title, e.g. what the data and the methods are (repeatable).")
    var note: [String] = []

    @Option(help: "Method the others are compared with (default: the first run).")
    var baseline: String?

    @Option(help: "Bootstrap resamples for the confidence intervals (0: none).")
    var bootstrap: Int = 1000

    @Option(help: "Confidence level of the intervals.")
    var level: Double = 0.95

    @Option(help: "Seed of the bootstrap generator.")
    var seed: UInt64 = 0

    @Flag(help: "Show runs that measured different things in separate sections instead of refusing.")
    var allowMixed = false

    @Option(help: "Folder of input images for the qualitative panel: <id>.png, .jpg, .jpeg, .tif or .tiff, the first that exists.")
    var images: String?

    @Option(help: "Folder of ground-truth label maps for the qualitative panel.")
    var gt: String?

    @Option(parsing: .singleValue, help: "Prediction folder of a method for the qualitative panel, as NAME=DIR (repeatable).")
    var pred: [String] = []

    @Option(
        parsing: .singleValue,
        help: "Rename a run as RUN=NAME, RUN being its results file or its current method name (repeatable), e.g. to tell apart runs all named after a 'pred' folder.")
    var label: [String] = []

    @Flag(help: "Also write report-tables.tex: the summary and per-class tables as booktabs LaTeX (a document for pdflatex).")
    var latex = false

    @Option(help: "Number of images in the qualitative panel (the worst ones).")
    var worst: Int = 3

    @Option(help: "Longest side in pixels of the panel's thumbnails in report.html (each links to its full-resolution PNG in DIR/qualitative/).")
    var thumbSize: Int = QualitativeSources.defaultThumbnailSize

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("give at least one results file") }
        guard bootstrap >= 0 else { throw ValidationError("--bootstrap must be 0 or more") }
        guard level > 0 && level < 1 else { throw ValidationError("--level must lie strictly between 0 and 1") }
        guard thumbSize >= 16 && thumbSize <= 4096 else { throw ValidationError("--thumb-size must be between 16 and 4096, got \(thumbSize)") }
        for item in pred where !item.contains("=") {
            throw ValidationError("--pred \(item): expected NAME=DIR")
        }
    }

    func run() throws {
        if runs.contains(where: isVQAResultsFile) {
            try runVQA()
            return
        }
        if runs.contains(where: isSceneResultsFile) {
            try runSceneClassification()
            return
        }
        if runs.contains(where: isReferringResultsFile) {
            try runReferring()
            return
        }
        try runReportingErrors {
            var sources = runs.map { OutputGuard.Input($0, role: "the results file \($0)") }
            if let gt { sources.append(.init(gt, role: "the ground-truth folder")) }
            if let images { sources.append(.init(images, role: "the image folder")) }
            for item in pred { sources.append(.init(String(item.split(separator: "=", maxSplits: 1).last ?? ""), role: "a prediction folder")) }
            try OutputGuard.check(output: out, role: "report", inputs: sources.filter { !$0.path.isEmpty })
            let selection = try resplit.selection()
            let inputs = try runs.map { path throws -> ReportInput in
                let record = try ResultsFile.read(path: path)
                return ReportInput(record: try selection.map { try record.resplit($0) } ?? record, path: path)
            }
            var qualitative: QualitativeSources?
            if gt != nil || images != nil || !pred.isEmpty {
                let predictions = pred.map { item -> (method: String, directory: String) in
                    let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
                }
                qualitative = QualitativeSources(
                    imageDirectory: images, groundTruthDirectory: gt, predictionDirectories: predictions, count: worst,
                    thumbnailSize: thumbSize)
            }
            let labels = try label.map { text throws(ReportError) in try RunLabel(parsing: text) }
            let options = ReportOptions(
                title: title, baseline: baseline,
                bootstrap: bootstrap > 0 ? BootstrapConfiguration(resamples: bootstrap, level: level, seed: seed) : nil,
                allowMixed: allowMixed, qualitative: qualitative, notes: note, labels: labels)
            let report = try Report(inputs: inputs, options: options)
            var written: [String]
            if latex {
                // The LaTeX tables join the report's files in one atomic set.
                try AtomicFile.createDirectory(out)
                var files = ReportFiles.images(of: report).map { (path: out + "/" + $0.name, bytes: $0.png) }
                files += ReportFiles.contents(of: report).map { (path: out + "/" + $0.name, bytes: Array($0.text.utf8)) }
                files.append((out + "/report-tables.tex", Array(GridLaTeX.reportDocument(report).utf8)))
                try AtomicFile.writeAll(files)
                written = files.map(\.path)
            } else {
                written = try ReportFiles.write(report, to: out)
            }
            for summary in report.foldSummaries { print(TerminalTable.render(summary)) }
            let images = written.filter { $0.hasSuffix(".png") }.count
            print(
                "wrote \(written.count) files to \(out): report.md, report.html" + (latex ? ", report-tables.tex" : "")
                    + ", \(written.count - 2 - images - (latex ? 1 : 0)) charts and tables"
                    + (images > 0 ? ", \(images) full-resolution images in \(QualitativePanel.folder)/" : ""))
        }
    }

    /// A report of referring runs (docs/referring.md §8): summary, per class, size buckets, best and
    /// worst samples with their instructions, as report.md and report.html.
    private func runReferring() throws {
        try runReportingErrors {
            guard runs.allSatisfy(isReferringResultsFile) else {
                throw ValidationError("referring and semantic runs cannot share a report; give only referring results files")
            }
            if gt != nil || images != nil || !pred.isEmpty {
                throw ValidationError("--gt, --images and --pred build the semantic qualitative panel; a referring report lists its best and worst samples itself")
            }
            if try resplit.selection() != nil { throw ValidationError("--split and its variants apply to semantic runs, not referring runs") }
            try OutputGuard.check(output: out, role: "report", inputs: runs.map { .init($0, role: "the results file \($0)") })
            var records: [(path: String, record: ReferringRunRecord)] = []
            for path in runs { records.append((path, try ReferringResultsFile.read(path: path))) }
            let report = ReferringReport(title: title, runs: records, listed: worst)
            try AtomicFile.createDirectory(out)
            try AtomicFile.writeAll([
                (out + "/report.md", Array(report.markdown.utf8)), (out + "/report.html", Array(report.html.utf8)),
            ])
            print("wrote 2 files to \(out): report.md, report.html")
        }
    }

    /// A report of scene-classification runs (docs/scene-classification.md §5): summary with bootstrap
    /// intervals, per-class tables and confusion matrices, as report.md and report.html.
    private func runSceneClassification() throws {
        try runReportingErrors {
            guard runs.allSatisfy(isSceneResultsFile) else {
                throw ValidationError("scene-classification runs cannot share a report with other runs; give only scene results files")
            }
            if gt != nil || images != nil || !pred.isEmpty {
                throw ValidationError("--gt, --images and --pred build the semantic qualitative panel; a scene report has no image panel")
            }
            if try resplit.selection() != nil { throw ValidationError("--split and its variants apply to semantic runs; score scene runs with --split instead") }
            try OutputGuard.check(output: out, role: "report", inputs: runs.map { .init($0, role: "the results file \($0)") })
            var records: [(path: String, record: SceneRunRecord)] = []
            for path in runs { records.append((path, try SceneResultsFile.read(path: path))) }
            let report = try SceneClassificationReport(
                title: title == "ovseg report" ? nil : title, runs: records,
                bootstrap: bootstrap > 0 ? BootstrapConfiguration(resamples: bootstrap, level: level, seed: seed) : nil)
            try AtomicFile.createDirectory(out)
            try AtomicFile.writeAll([
                (out + "/report.md", Array(report.markdown.utf8)), (out + "/report.html", Array(report.html.utf8)),
            ])
            print("wrote 2 files to \(out): report.md, report.html")
        }
    }

    /// A report of VQA runs (docs/vqa.md §6): accuracy per question type, overall and average,
    /// confusions of the closed-answer types and wrong answers, as report.md and report.html.
    private func runVQA() throws {
        try runReportingErrors {
            guard runs.allSatisfy(isVQAResultsFile) else {
                throw ValidationError("VQA runs cannot share a report with other runs; give only VQA results files")
            }
            if gt != nil || images != nil || !pred.isEmpty {
                throw ValidationError("--gt, --images and --pred build the semantic qualitative panel; a VQA report lists its wrong answers itself")
            }
            if try resplit.selection() != nil { throw ValidationError("--split and its variants apply to semantic runs, not VQA runs") }
            try OutputGuard.check(output: out, role: "report", inputs: runs.map { .init($0, role: "the results file \($0)") })
            var records: [(path: String, record: VQARunRecord)] = []
            for path in runs { records.append((path, try VQAResultsFile.read(path: path))) }
            let report = VQAReport(title: title == "ovseg report" ? nil : title, runs: records, listed: worst)
            try AtomicFile.createDirectory(out)
            try AtomicFile.writeAll([
                (out + "/report.md", Array(report.markdown.utf8)), (out + "/report.html", Array(report.html.utf8)),
            ])
            print("wrote 2 files to \(out): report.md, report.html")
        }
    }
}
