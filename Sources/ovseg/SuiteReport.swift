import ArgumentParser
import FileOutput
import Foundation
import Metrics
import SuiteReports

/// `ovseg suite report`: the cross-dataset grid of a suite run (docs/suite-report.md).
struct SuiteReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render the grid of a suite run: methods × test datasets, with published baselines and LaTeX tables.",
        discussion: """
            Reads DIR/suite-run.json (written by `ovseg suite run`) and every finished cell's results file, and \
            writes OUT/suite.md, OUT/suite.html and one comparison report per test dataset in OUT/<dataset-key>/ \
            (all methods on that dataset), all at once. Every number is recomputed from the results files' counts. \
            Best per column in bold, second best underlined; published numbers of the literature (the same \
            training set, the same test datasets) are shown as separate italic rows, never ranked with the suite's \
            unless --rank-published. --latex also writes grid-<metric>.tex per grid and suite-tables.tex, a \
            document that inputs them (pdflatex).

            Examples:
              ovseg suite report runs/dlrsd-suite
              ovseg suite report runs/dlrsd-suite -o paper --grids miou,hiou --latex
            """)

    @Argument(help: "The suite-run folder (the --out folder of `ovseg suite run`).")
    var directory: String

    @Option(name: [.short, .customLong("output"), .customLong("out")], help: "Folder to write the report into (default: DIR/report).")
    var out: String?

    @Option(help: "Grids to show, comma-separated, in order: miou, hiou, seen, unseen.")
    var grids: String = "miou"

    @Flag(help: "Also write a LaTeX (booktabs) fragment per grid and a wrapper document.")
    var latex = false

    @Flag(help: "Leave out the published baselines.")
    var noPublished = false

    @Flag(help: "Also show training-free published numbers that no source ties to a training set.")
    var publishedTrainingFree = false

    @Flag(help: "Rank published rows together with the suite's rows for bold and underline.")
    var rankPublished = false

    @Option(help: "Bootstrap resamples of the per-dataset reports' confidence intervals (0: none).")
    var bootstrap: Int = 1000

    @Option(help: "Title of the grid report (default: the suite's name).")
    var title: String?

    func validate() throws {
        guard bootstrap >= 0 else { throw ValidationError("--bootstrap must be 0 or more") }
        _ = try metrics()
    }

    func metrics() throws -> [GridMetric] {
        let names = grids.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard !names.isEmpty else { throw ValidationError("--grids: name at least one of miou, hiou, seen, unseen") }
        return try names.map { name in
            guard let metric = GridMetric(rawValue: name) else {
                throw ValidationError("--grids: unknown grid '\(name)' (known: miou, hiou, seen, unseen)")
            }
            return metric
        }
    }

    func run() throws {
        try runReportingErrors {
            let output = out ?? directory + "/report"
            let run = try SuiteRun.load(directory: directory)
            var inputs = [OutputGuard.Input(directory + "/" + SuiteRunManifest.fileName, role: "the suite-run manifest")]
            for row in run.states {
                for state in row {
                    if case .done(_, let path) = state { inputs.append(.init(path, role: "the results file \(path)")) }
                }
            }
            try OutputGuard.check(output: output, isFolder: true, role: "suite report", inputs: inputs)
            let options = SuiteGridOptions(
                metrics: try metrics(), latex: latex, published: !noPublished, publishedTrainingFree: publishedTrainingFree,
                rankPublished: rankPublished, bootstrap: bootstrap > 0 ? BootstrapConfiguration(resamples: bootstrap) : nil,
                title: title)
            let document = try SuiteGridDocument(run: run, options: options)
            let written = try SuiteGridReport.write(document, to: output, options: options)
            print("wrote \(written.count) files to \(output): suite.md, suite.html, \(document.reports.count) dataset reports"
                + (latex ? ", \(document.grids.count) LaTeX tables and \(SuiteGridReport.latexWrapper)" : ""))
        }
    }
}

/// `ovseg suite baselines`: the published numbers ovseg ships (docs/published-baselines.md).
struct SuiteBaselinesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baselines",
        abstract: "List the published baselines ovseg ships (source, backbone, training and test datasets, values as printed).",
        discussion: """
            Examples:
              ovseg suite baselines
              ovseg suite baselines --train dlrsd
              ovseg suite baselines --train training-free
            """)

    @Option(help: "Only entries trained on this dataset key (e.g. dlrsd, isaid); 'training-free' for entries tied to none.")
    var train: String?

    func run() throws {
        try runReportingErrors {
            let entries = PublishedBaselines.filter(try PublishedBaselines.bundled(), training: train)
            print(PublishedBaselines.listing(entries), terminator: "")
        }
    }
}
