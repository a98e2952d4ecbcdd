import FileOutput
import Harness
import Metrics
import Reports

/// What `ovseg suite report` shows and writes (docs/suite-report.md §4).
public struct SuiteGridOptions: Sendable {
    /// The grids, in order; mIoU alone by default.
    public var metrics: [GridMetric]
    /// Also write one LaTeX fragment per grid and a wrapper document.
    public var latex: Bool
    /// Show the published rows matched to the suite.
    public var published: Bool
    /// Also show training-free published entries that no source ties to a training set.
    public var publishedTrainingFree: Bool
    /// Rank published rows together with the suite's rows for bold/underline.
    public var rankPublished: Bool
    /// Bootstrap of the per-dataset reports; nil for none.
    public var bootstrap: BootstrapConfiguration?
    /// The published entries to match; nil for the bundled ones.
    public var baselines: [PublishedBaseline]?
    /// Title of the grid report; nil for "<suite name>".
    public var title: String?

    public init(
        metrics: [GridMetric] = [.miou], latex: Bool = false, published: Bool = true, publishedTrainingFree: Bool = false,
        rankPublished: Bool = false, bootstrap: BootstrapConfiguration? = BootstrapConfiguration(),
        baselines: [PublishedBaseline]? = nil, title: String? = nil
    ) {
        self.metrics = metrics
        self.latex = latex
        self.published = published
        self.publishedTrainingFree = publishedTrainingFree
        self.rankPublished = rankPublished
        self.bootstrap = bootstrap
        self.baselines = baselines
        self.title = title
    }
}

/// One test dataset as the grid report describes it.
public struct GridDataset: Sendable, Equatable {
    public var key: String
    public var title: String
    public var vocabulary: String
    public var classCount: Int?
    public var split: SuiteRunManifest.Split?
    /// Folder of its per-dataset report (relative to the grid report); nil when no cell finished.
    public var folder: String?
}

/// The grid report: every grid, the datasets and their per-dataset comparison reports.
public struct SuiteGridDocument: Sendable {
    public var title: String
    public var intro: [String]
    public var grids: [GridTable]
    public var datasets: [GridDataset]
    /// Per-dataset reports by folder (all methods that finished on the dataset).
    public var reports: [(folder: String, report: Report)]

    /// Builds the document from a loaded suite run.
    public init(run: SuiteRun, options: SuiteGridOptions) throws(SuiteReportError) {
        let manifest = run.manifest
        title = options.title ?? manifest.suite.name
        var intro = [
            "Suite “\(manifest.suite.name)”" + (manifest.suite.file.map { " (\($0)" + (manifest.suite.sha256.map { ", \($0)" } ?? "") + ")" } ?? "")
                + ": \(manifest.methods.count) methods trained on \(manifest.trainingVocabulary), tested on "
                + "\(manifest.datasets.count) datasets; presence policy \(manifest.presencePolicy.rawValue)."
        ]
        let done = run.states.joined().filter { if case .done = $0 { return true } else { return false } }.count
        let total = manifest.methods.count * manifest.datasets.count
        if done < total { intro.append("\(done) of \(total) cells are done; the others show “—” (see the notes under each grid).") }
        self.intro = intro

        var used: Set<String> = []
        var folders: [String?] = []
        var reports: [(String, Report)] = []
        var warnings: [String] = []
        var datasets: [GridDataset] = []
        for (d, dataset) in manifest.datasets.enumerated() {
            var inputs: [ReportInput] = []
            for m in manifest.methods.indices {
                if case .done(let record, let path) = run.states[m][d] { inputs.append(ReportInput(record: record, path: Self.display(path, in: run.directory))) }
            }
            var folder: String?
            if !inputs.isEmpty {
                let name = Self.folderName(dataset.key, avoiding: used)
                used.insert(name)
                folder = name
                var notes = ["Test dataset “\(dataset.title)” (\(dataset.key)) of the suite “\(manifest.suite.name)”, trained on \(manifest.trainingVocabulary)."]
                if let split = dataset.split { notes.append(Self.describe(split)) }
                let report: Report
                do {
                    report = try Report(
                        inputs: inputs,
                        options: ReportOptions(
                            title: "\(manifest.suite.name): \(dataset.title)", bootstrap: options.bootstrap, allowMixed: true, notes: notes))
                } catch {
                    throw SuiteReportError(.cell, file: inputs[0].path, "the report of dataset '\(dataset.key)' cannot be made: \(error)")
                }
                if report.sections.count > 1 {
                    warnings.append("The runs on \(dataset.title) did not all measure the same thing (different data or settings); its report shows them in separate sections.")
                }
                reports.append((name, report))
            }
            folders.append(folder)
            datasets.append(GridDataset(
                key: dataset.key, title: dataset.title, vocabulary: dataset.vocabulary, classCount: run.classNames(dataset: d)?.count,
                split: dataset.split, folder: folder))
        }
        self.reports = reports
        self.datasets = datasets

        var published: [PublishedBaseline] = []
        if options.published {
            let all: [PublishedBaseline]
            if let given = options.baselines { all = given } else { all = try PublishedBaselines.bundled() }
            published = PublishedMatching.entries(
                all, training: manifest.trainingVocabulary,
                datasets: manifest.datasets, includeTrainingFree: options.publishedTrainingFree)
        }
        var metrics: [GridMetric] = []
        for metric in options.metrics where !metrics.contains(metric) { metrics.append(metric) }
        grids = metrics.map { metric in
            GridTable.build(
                run: run, metric: metric, folders: folders.map { $0 ?? "" }, published: metric == .miou ? published : [],
                rankPublished: options.rankPublished, sectionWarnings: warnings)
        }
    }

    /// The split in one sentence: origin, seen (with the training class matched), unseen.
    static func describe(_ split: SuiteRunManifest.Split) -> String {
        let seen = split.seen.map { name in
            split.matches.first { $0.test == name }.map { "\(name) (= \($0.training))" } ?? name
        }
        let origin = split.origin == "derived" ? "derived by vocabulary overlap with the training vocabulary" : "declared in the suite file"
        return "Seen/unseen split \(origin): seen \(seen.isEmpty ? "none" : seen.joined(separator: ", ")); "
            + "unseen \(split.unseen.isEmpty ? "none" : split.unseen.joined(separator: ", "))."
    }

    /// A path as shown in reports: relative to the suite-run folder when inside it.
    static func display(_ path: String, in directory: String) -> String {
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }

    /// A folder name for a dataset key: letters, digits, `-`, `_` and `.` kept (other characters
    /// become `-`), never `.`/`..` or empty, and distinct from `used`.
    static func folderName(_ key: String, avoiding used: Set<String>) -> String {
        var name = String(key.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") ? $0 : "-" })
        if name.isEmpty || name.allSatisfy({ $0 == "." }) { name = "dataset" }
        var candidate = name
        var number = 2
        while used.contains(candidate) {
            candidate = "\(name)-\(number)"
            number += 1
        }
        return candidate
    }
}

/// Writes the grid report of a suite-run folder (docs/suite-report.md §4).
public enum SuiteGridReport {
    /// The LaTeX wrapper document's name.
    public static let latexWrapper = "suite-tables.tex"

    /// File name of a grid's LaTeX fragment, e.g. `grid-miou.tex`.
    public static func latexFileName(_ metric: GridMetric) -> String { "grid-\(metric.rawValue).tex" }

    /// Every file of the report by path relative to the output folder, in writing order.
    public static func files(of document: SuiteGridDocument, options: SuiteGridOptions) -> [(name: String, text: String)] {
        var files: [(String, String)] = []
        for (folder, report) in document.reports {
            files += ReportFiles.contents(of: report).map { (folder + "/" + $0.name, $0.text) }
        }
        if options.latex {
            for grid in document.grids { files.append((latexFileName(grid.metric), GridLaTeX.fragment(grid))) }
            files.append((latexWrapper, GridLaTeX.wrapper(title: document.title, fragments: document.grids.map { latexFileName($0.metric) })))
        }
        files.append(("suite.md", GridMarkdown.render(document)))
        files.append(("suite.html", GridHTML.render(document)))
        return files
    }

    /// Reads `manifestDirectory` (the `--out` folder of `ovseg suite run`) and writes `suite.md`,
    /// `suite.html`, the per-dataset reports in `<dataset-key>/` and, with `latex`, the `.tex`
    /// files into `output`, all as one step (`AtomicFile.writeAll`): either every file is
    /// replaced or none is. Returns the paths written.
    @discardableResult
    public static func write(
        manifestDirectory: String, to output: String, options: SuiteGridOptions = SuiteGridOptions()
    ) throws(SuiteReportError) -> [String] {
        let run = try SuiteRun.load(directory: manifestDirectory)
        let document = try SuiteGridDocument(run: run, options: options)
        return try write(document, to: output, options: options)
    }

    /// Writes a built document into `output` as one step.
    @discardableResult
    public static func write(_ document: SuiteGridDocument, to output: String, options: SuiteGridOptions) throws(SuiteReportError) -> [String] {
        let files = files(of: document, options: options).map { (path: output + "/" + $0.name, bytes: Array($0.text.utf8)) }
        do {
            try AtomicFile.createDirectory(output)
            for (folder, _) in document.reports { try AtomicFile.createDirectory(output + "/" + folder) }
            try AtomicFile.writeAll(files)
        } catch {
            throw SuiteReportError(.output, file: error.path, error.description)
        }
        return files.map(\.path)
    }
}
