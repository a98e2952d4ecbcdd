import Harness
import Metrics

/// A figure a grid shows per cell (docs/suite-report.md §3).
public enum GridMetric: String, Sendable, CaseIterable {
    case miou, hiou, seen, unseen

    /// Column-free title, e.g. "unseen mIoU".
    public var title: String {
        switch self {
        case .miou: "mIoU"
        case .hiou: "hIoU"
        case .seen: "seen mIoU"
        case .unseen: "unseen mIoU"
        }
    }

    /// The figure of `record`, computed by Metrics from the results file's counts; nil when undefined.
    public func value(of record: RunRecord) -> Double? {
        switch self {
        case .miou: record.scores.meanIoU
        case .hiou: record.splitScores?.harmonic
        case .seen: record.splitScores?.seen
        case .unseen: record.splitScores?.unseen
        }
    }
}

/// One cell of a grid, formatted once so Markdown, HTML and LaTeX cannot disagree.
public struct GridCell: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A number (recomputed or published).
        case value
        /// The cell is done but the figure is undefined (e.g. no seen class entered the mean).
        case undefined
        /// Pending or failed: no number.
        case missing
        /// A partial average (over fewer datasets than the grid has).
        case partial
    }

    public enum Mark: Sendable, Equatable { case none, best, second }

    public var kind: Kind
    /// The text shown, e.g. "42.28", "—", "31.20 (2/3)".
    public var text: String
    /// The displayed value in hundredths of a percent, when it takes part in ranking.
    public var hundredths: Int?
    public var mark: Mark = .none
    /// Folder (relative to the report) of the per-dataset report this cell links to.
    public var link: String?
}

/// A row: one method of the suite, or one published entry.
public struct GridRow: Sendable, Equatable {
    public var name: String
    /// The VLM backbone of a published row, as printed.
    public var detail: String?
    /// 1-based number of the published source (its footnote); nil for the suite's own rows.
    public var source: Int?
    /// One cell per dataset column, then the average when the grid has one.
    public var cells: [GridCell]

    public var isPublished: Bool { source != nil }
}

/// One grid: methods as rows, test datasets as columns, an average column, published rows apart.
public struct GridTable: Sendable, Equatable {
    public var metric: GridMetric
    public var caption: String
    /// Dataset titles, then "Average" when present.
    public var columns: [String]
    public var hasAverage: Bool
    public var rows: [GridRow]
    public var published: [GridRow]
    /// Sentences under the table (what the marks and the average mean, missing cells, protocols).
    public var footnotes: [String]
    /// Source footnotes of the published rows, numbered from 1 in order.
    public var sources: [String]
}

extension GridTable {
    /// Builds the grid of `metric` for `run`, with `published` entries already matched to it.
    static func build(
        run: SuiteRun, metric: GridMetric, folders: [String], published entries: [PublishedBaseline], rankPublished: Bool,
        sectionWarnings: [String]
    ) -> GridTable {
        let manifest = run.manifest
        let datasets = manifest.datasets
        let hasAverage = datasets.count > 1
        // The suite's own rows: one value (or state) per dataset.
        var values: [[Double?]] = []
        var rows: [GridRow] = []
        var missing: [String] = []
        var undefinedSeen = false
        for (m, method) in manifest.methods.enumerated() {
            var cells: [GridCell] = []
            var rowValues: [Double?] = []
            for d in datasets.indices {
                switch run.states[m][d] {
                case .done(let record, _):
                    let value = metric.value(of: record)
                    rowValues.append(value)
                    if let value, let hundredths = Percent.roundedHundredths(value) {
                        cells.append(GridCell(kind: .value, text: Percent.format(value), hundredths: hundredths, link: folders[d]))
                    } else {
                        undefinedSeen = true
                        cells.append(GridCell(kind: .undefined, text: "n/a", link: folders[d]))
                    }
                case .failed(let message):
                    rowValues.append(nil)
                    missing.append("\(method.name) × \(datasets[d].title): failed (\(message))")
                    cells.append(GridCell(kind: .missing, text: "—"))
                case .pending:
                    rowValues.append(nil)
                    missing.append("\(method.name) × \(datasets[d].title): not run yet")
                    cells.append(GridCell(kind: .missing, text: "—"))
                }
            }
            values.append(rowValues)
            rows.append(GridRow(name: method.name, detail: nil, source: nil, cells: cells))
        }
        // Columns where some method has a defined value enter every average.
        let participating = datasets.indices.filter { d in values.contains { $0[d] != nil } }
        if hasAverage {
            for m in rows.indices {
                let present = participating.compactMap { values[m][$0] }
                rows[m].cells.append(averageCell(sum: present.reduce(0, +), count: present.count, of: participating.count))
            }
        }

        // Published rows: one per (source, method, backbone, training), in source order.
        var sources: [PublishedSource] = []
        var published: [GridRow] = []
        var keys: [String] = []
        var protocolNotes: [Int: [String]] = [:]
        // An entry fills every column it matches (two suite datasets may share a vocabulary).
        for entry in entries {
            for column in datasets.indices where PublishedMatching.matches(entry, dataset: datasets[column]) {
                if !sources.contains(entry.source) { sources.append(entry.source) }
                let sourceNumber = (sources.firstIndex(of: entry.source) ?? 0) + 1
                let key = "\(entry.source.id)\u{1F}\(entry.method)\u{1F}\(entry.vlm ?? "")\u{1F}\(entry.training ?? "")"
                var index = keys.firstIndex(of: key)
                if index == nil {
                    keys.append(key)
                    published.append(GridRow(
                        name: entry.method, detail: entry.vlm, source: sourceNumber,
                        cells: datasets.map { _ in GridCell(kind: .missing, text: "—") }))
                    index = published.count - 1
                }
                if let index {
                    published[index].cells[column] = GridCell(kind: .value, text: entry.value, hundredths: entry.hundredths)
                }
                let record = manifest.methods.indices.lazy.compactMap { run.record(method: $0, dataset: column) }.first
                let note = PublishedMatching.protocolNote(entry, dataset: datasets[column], suiteRun: record)
                if !protocolNotes[sourceNumber, default: []].contains(note) { protocolNotes[sourceNumber, default: []].append(note) }
            }
        }
        if hasAverage {
            for p in published.indices {
                let present = datasets.indices.compactMap { published[p].cells[$0].hundredths }
                published[p].cells.append(
                    averageCell(sum: Double(present.reduce(0, +)) / 10_000, count: present.count, of: datasets.count))
            }
        }

        // Marks: among the suite's rows; published rows join only when asked.
        let columnCount = datasets.count + (hasAverage ? 1 : 0)
        for column in 0..<columnCount {
            var ranked: [Int?] = rows.map { $0.cells[column].kind == .value ? $0.cells[column].hundredths : nil }
            if rankPublished { ranked += published.map { $0.cells[column].kind == .value ? $0.cells[column].hundredths : nil } }
            let marks = Self.marks(ranked)
            for (index, mark) in marks.enumerated() {
                if index < rows.count { rows[index].cells[column].mark = mark } else { published[index - rows.count].cells[column].mark = mark }
            }
        }

        var footnotes: [String] = []
        footnotes.append(
            "\(metric.title) in %, computed by ovseg from each cell's results file (presence policy "
                + "\(manifest.presencePolicy.rawValue)); bold: best, underlined: second best per column "
                + (rankPublished ? "among all rows, published ones included" : "among this suite's rows (published rows are not ranked)")
                + "; ties are all marked.")
        if metric != .miou {
            footnotes.append("Seen and unseen classes of each dataset: the suite's split (listed in each dataset's report); "
                + "hIoU = 2·seen·unseen / (seen + unseen) from the unrounded means.")
        }
        if hasAverage {
            var text = "Average: the mean of a row's unrounded values over the datasets of the grid"
            if participating.count < datasets.count {
                let left = datasets.indices.filter { !participating.contains($0) }.map { datasets[$0].title }
                text += " where the figure is defined for some method (left out: \(left.joined(separator: ", ")))"
            }
            text += "; “x (k/n)” is a partial average over the k of n datasets a row has, shown but not ranked."
            footnotes.append(text)
        }
        if undefinedSeen {
            footnotes.append("n/a: the figure is undefined for that run (no class of that side entered the mean, docs/metrics.md §5).")
        }
        if !missing.isEmpty { footnotes.append("— no number: " + missing.joined(separator: "; ") + ".") }
        footnotes += sectionWarnings
        if !published.isEmpty {
            footnotes.append(
                "Published rows (italic) are copied as printed by their sources, not recomputed; their protocols "
                    + "(vocabulary, ignored pixels, test split, tiling) differ from this suite's as noted per source.")
        }
        let sourceLines = sources.enumerated().map { index, source in
            var line = "[\(index + 1)] \(source.citation); \(source.table); \(source.url)"
            if let arxiv = source.arxiv { line += "; arXiv \(arxiv)" }
            if source.reliability == "secondary" { line += "; secondary (read in a third-party summary)" }
            line += ". " + (protocolNotes[index + 1] ?? []).joined(separator: " ")
            return line
        }
        let columns = datasets.map(\.title) + (hasAverage ? ["Average"] : [])
        return GridTable(
            metric: metric, caption: "\(metric.title) (%) — trained on \(manifest.trainingVocabulary)", columns: columns,
            hasAverage: hasAverage, rows: rows, published: published, footnotes: footnotes, sources: sourceLines)
    }

    /// The average cell: full when `count == of`, else partial ("x (k/n)"), "—" when nothing.
    static func averageCell(sum: Double, count: Int, of total: Int) -> GridCell {
        guard count > 0, total > 0 else { return GridCell(kind: .missing, text: "—") }
        let mean = sum / Double(count)
        let text = Percent.format(mean)
        if count == total { return GridCell(kind: .value, text: text, hundredths: Percent.roundedHundredths(mean)) }
        return GridCell(kind: .partial, text: "\(text) (\(count)/\(total))")
    }

    /// Best and second best of one column by displayed value (dense ranking: every row equal to
    /// the largest value is best, every row equal to the next smaller value is second); nothing is
    /// marked when fewer than two rows have a value.
    public static func marks(_ values: [Int?]) -> [GridCell.Mark] {
        var marks = [GridCell.Mark](repeating: .none, count: values.count)
        let present = values.compactMap { $0 }
        guard present.count > 1, let best = present.max() else { return marks }
        let second = present.filter { $0 < best }.max()
        for (index, value) in values.enumerated() {
            if value == best { marks[index] = .best } else if let second, value == second { marks[index] = .second }
        }
        return marks
    }
}

/// Which published entries belong in a suite's grid, and how their protocol compares.
public enum PublishedMatching {
    /// The key a training vocabulary is matched by: a bundled key as is, a file path by its stem.
    public static func trainingKey(_ vocabulary: String) -> String {
        var name = Substring(vocabulary)
        if let slash = name.lastIndex(of: "/") { name = name[name.index(after: slash)...] }
        if name.lowercased().hasSuffix(".json") { name = name.dropLast(5) }
        return name.lowercased()
    }

    /// Whether `entry` is a number of `dataset`: its test key is the dataset's vocabulary key or the dataset's key.
    public static func matches(_ entry: PublishedBaseline, dataset: SuiteRunManifest.Dataset) -> Bool {
        let test = entry.testDataset.lowercased()
        return test == dataset.key.lowercased() || test == trainingKey(dataset.vocabulary)
    }

    /// The entries a grid of a suite trained on `training` shows: mIoU entries with that training
    /// set (and training-free entries not tied to one, when asked), tested on one of `datasets`.
    public static func entries(
        _ all: [PublishedBaseline], training: String, datasets: [SuiteRunManifest.Dataset], includeTrainingFree: Bool
    ) -> [PublishedBaseline] {
        let key = trainingKey(training)
        return all.filter { entry in
            guard entry.metric == "miou" else { return false }
            let trainingMatches = entry.training?.lowercased() == key || (includeTrainingFree && entry.training == nil)
            return trainingMatches && datasets.contains { matches(entry, dataset: $0) }
        }
    }

    /// One sentence on how the source evaluated `dataset`, how this suite did (from one of its
    /// runs on the dataset), and whether the class counts differ.
    static func protocolNote(_ entry: PublishedBaseline, dataset: SuiteRunManifest.Dataset, suiteRun record: RunRecord?) -> String {
        let head = "\(dataset.title) (printed as “\(entry.printedColumn)”)"
        var suite = ""
        if let record {
            let policy = record.policy
            suite = "; this suite: \(record.classNames.count) classes of \(record.vocabulary.key), ignored values "
                + EvaluationPolicy.describe(values: policy.ignoreValues)
                + (policy.ignoreColors.isEmpty ? "" : ", ignored colours " + EvaluationPolicy.describe(colors: policy.ignoreColors))
                + (policy.reduceZeroLabel ? ", reduce_zero_label" : "")
        }
        guard let notes = entry.protocolNotes else { return "\(head): protocol not stated by the source\(suite)." }
        var text = "\(head): \(notes.vocabulary); ignored: \(notes.ignore); test data: \(notes.split)\(suite)"
        if let classes = notes.classes, let count = record?.classNames.count {
            text += classes == count
                ? " — \(classes) classes in both (other protocol details may still differ)."
                : " — differs from this suite: the source evaluates \(classes) classes, this suite \(count)."
        } else if notes.classes == nil {
            text += " — the source does not state its class count, so the protocols may differ."
        } else {
            text += "."
        }
        return text
    }
}
