import Foundation
import Harness
import Metrics

/// One results file given to the report, with the path it was read from (shown in provenance).
public struct ReportInput: Sendable {
    public var record: RunRecord
    public var path: String

    public init(record: RunRecord, path: String) {
        self.record = record
        self.path = path
    }
}

/// What the report shows and how it computes its intervals.
public struct ReportOptions: Sendable {
    public var title: String
    /// Method the deltas are measured against (default: the first run of each section).
    public var baseline: String?
    /// Bootstrap settings; nil to leave the intervals out.
    public var bootstrap: BootstrapConfiguration?
    /// Put runs that measured different things into separate sections instead of refusing.
    public var allowMixed: Bool
    /// Where to find images for the qualitative panel; nil for no panel.
    public var qualitative: QualitativeSources?
    /// Paragraphs shown under the title, e.g. what the data and the methods are.
    public var notes: [String]
    /// New method names for runs (`--label RUN=NAME`), applied before anything else.
    public var labels: [RunLabel]

    public init(
        title: String = "ovseg report", baseline: String? = nil,
        bootstrap: BootstrapConfiguration? = BootstrapConfiguration(), allowMixed: Bool = false,
        qualitative: QualitativeSources? = nil, notes: [String] = [], labels: [RunLabel] = []
    ) {
        self.title = title
        self.labels = labels
        self.notes = notes
        self.baseline = baseline
        self.bootstrap = bootstrap
        self.allowMixed = allowMixed
        self.qualitative = qualitative
    }
}

/// A report that cannot be made, with a message for a person.

/// The format-independent content of a report: every number is formatted once here, so the
/// Markdown and the HTML cannot disagree.
public struct Report: Sendable {
    public var title: String
    /// The author's paragraphs under the title (`ReportOptions.notes`).
    public var notes: [String]
    /// Shown prominently, e.g. that runs were split into sections.
    public var warnings: [String]
    /// Legal but notable facts about each run's input (`RunRecord.observations`).
    public var observations: [String]
    /// Per fold family (runs that differ only in being scored on `<family>fold<N>` splits), each
    /// method's mean ± std over the folds; shown before the sections, one of which each fold has.
    public var foldSummaries: [ReportTable]
    public var sections: [ReportSection]

    /// Builds the report: applies the labels, groups the runs, computes the tables, the bootstrap
    /// and the charts. Runs that measured different things are refused unless `allowMixed`, except
    /// folds of one family, which get a section each and a fold summary. Refuses runs of one table
    /// that share a method name (the columns and the `--pred` folders could not be told apart) and
    /// prediction folders for no run's method.
    public init(inputs given: [ReportInput], options: ReportOptions) throws(ReportError) {
        guard !given.isEmpty else { throw ReportError(.input, "a report needs at least one results file") }
        let inputs = try RunLabel.apply(options.labels, to: given)
        if let sources = options.qualitative {
            let methods = inputs.map(\.record.method)
            for entry in sources.predictionDirectories where !methods.contains(entry.method) {
                let setting = ReportSetting.predictionFolder(method: entry.method, folder: entry.directory)
                throw ReportError(.input, file: entry.directory,
                    "\(setting: setting): no run has the method name '\(entry.method)' "
                        + "(methods: \(methods.joined(separator: ", ")))" as ReportMessage)
            }
        }
        if let baseline = options.baseline, !inputs.contains(where: { $0.record.method == baseline }) {
            let names = inputs.map(\.record.method).joined(separator: ", ")
            throw ReportError(.input, "\(setting: .baseline(baseline)): no run has that method name (methods: \(names))")
        }
        var groups: [[ReportInput]] = []
        var differences: [String] = []
        for input in inputs {
            if let index = groups.firstIndex(where: { Comparability.difference($0[0].record, input.record) == nil }) {
                groups[index].append(input)
                continue
            }
            // Another fold of a family already here: its own section, summarised over the folds.
            if groups.contains(where: { Comparability.differOnlyInFold($0[0].record, input.record) }) {
                groups.append([input])
                continue
            }
            if let first = groups.first?.first, let difference = Comparability.differenceBeyondFold(first.record, input.record) {
                guard options.allowMixed else {
                    throw ReportError(.incomparable, file: input.path,
                        "\(input.path) cannot share a table with \(first.path): \(difference). "
                            + "Score the runs the same way, or use \(setting: .allowMixed) to show them in separate sections." as ReportMessage)
                }
                differences.append("\(input.path): \(difference)")
            }
            groups.append([input])
        }
        for group in groups {
            for (index, input) in group.enumerated() {
                guard let earlier = group[..<index].first(where: { $0.record.method == input.record.method }) else { continue }
                let name = input.record.method
                let example: ReportMessage = "\(setting: .label("RUN=NAME")), e.g. \(setting: .label(input.path + "=" + name + "-2"))"
                throw ReportError(.duplicateMethod, file: input.path,
                    "\(earlier.path) and \(input.path) both have the method name '\(name)', so their columns could not "
                        + "be told apart; name them with " + example + " (RUN: the results file or its method name)")
            }
        }
        title = options.title
        notes = options.notes
        warnings = []
        // What a run's counts say about how its predictions were read (voided, shifted by one).
        for input in inputs {
            for warning in input.record.warnings {
                warnings.append("\(input.record.method) (\(input.path)): \(warning)")
            }
        }
        observations = inputs.flatMap { input in
            input.record.observations.map { "\(input.record.method) (\(input.path)): \($0)" }
        }
        if !differences.isEmpty {
            warnings.append(
                "These runs did not measure the same thing, so they are shown in \(groups.count) separate sections "
                    + "whose numbers must not be compared with each other. "
                    + differences.joined(separator: "; "))
        }
        var sections: [ReportSection] = []
        for (index, group) in groups.enumerated() {
            sections.append(try ReportSection(
                number: index + 1, of: groups.count, inputs: group, options: options))
        }
        self.sections = sections
        foldSummaries = FoldSummary.families(groups).enumerated().map { number, family in
            FoldSummary.table(sections: family.map { sections[$0] }, number: number + 1)
        }
    }
}

/// One group of comparable runs: its tables, charts and provenance.
public struct ReportSection: Sendable {
    /// 1-based position among the sections; the suffix of the section's anchors and table ids.
    public var number: Int
    public var heading: String?
    public var inputs: [ReportInput]
    public var baseline: Int
    public var summary: ReportTable
    public var perClass: ReportTable
    /// Unseen pixels predicted as seen classes, per method; nil without a split.
    public var collapse: ReportTable?
    /// Tuned-versus-frozen feature drift, for runs evaluated with a frozen checkpoint.
    public var featureDrift: ReportTable?
    /// Deltas against the baseline with bootstrap intervals; nil when not computed.
    public var deltas: ReportTable?
    /// Bootstrap intervals of each method's own figures.
    public var intervals: ReportTable?
    /// Per class, resamples in which its IoU was undefined; nil when every class was always defined.
    public var undefinedClasses: ReportTable?
    /// How the bootstrap was run, or why it was not.
    public var bootstrapNote: String?
    /// Settings every run of the section shares.
    public var policy: [(label: String, value: String)]
    public var provenance: ReportTable
    public var charts: [Chart]
    public var qualitative: QualitativePanel?
    /// Per-image mIoU and pixel accuracy of every run, written beside the report as CSV; nil
    /// when no results file holds per-image counts.
    public var perImage: PerImageTable?
    /// Class names and colours, for legends.
    public var legend: [(name: String, color: [UInt8])]

    init(number: Int, of count: Int, inputs: [ReportInput], options: ReportOptions) throws(ReportError) {
        self.inputs = inputs
        self.number = number
        heading = count > 1 ? "Section \(number) of \(count): \(inputs[0].record.vocabulary.name), \(inputs[0].record.split?.name ?? "no split")" : nil
        let records = inputs.map(\.record)
        let first = records[0]
        baseline = options.baseline.flatMap { name in records.firstIndex { $0.method == name } } ?? 0
        let scores = records.map(\.scores)
        let split = first.split
        legend = zip(first.classNames, first.vocabulary.colors).map { ($0, $1) }

        summary = Self.summaryTable(records: records, scores: scores, number: number)
        perClass = Self.perClassTable(records: records, scores: scores, number: number)
        collapse = Self.collapseTable(records: records, number: number)
        featureDrift = Self.driftTable(records: records, number: number)
        policy = Self.policyLines(first)
        provenance = Self.provenanceTable(inputs: inputs, number: number)

        deltas = nil
        intervals = nil
        undefinedClasses = nil
        bootstrapNote = nil
        var bootstrap: BootstrapResult?
        if let configuration = options.bootstrap {
            let ids = first.images.map(\.id)
            if records.contains(where: { $0.images.isEmpty }) {
                bootstrapNote = "No confidence intervals: a results file holds no per-image counts."
            } else if records.contains(where: { $0.images.map(\.id) != ids }) {
                bootstrapNote = "No confidence intervals: the runs were not scored on the same image ids."
            } else {
                do {
                    let tables = try records.map { record throws(MetricsError) in
                        try ImageCountTable(images: record.images.map(\.counts), classCount: record.matrix.classCount)
                    }
                    let result = try Bootstrap.run(
                        methods: tables, baseline: baseline, seen: split?.seenIDs, unseen: split?.unseenIDs,
                        policy: first.policy.presence, configuration: configuration)
                    bootstrap = result
                    bootstrapNote = Self.bootstrapDescription(result, baselineName: records[baseline].method)
                    intervals = Self.intervalTable(records: records, result: result, hasSplit: split != nil, number: number)
                    if records.count > 1 {
                        deltas = Self.deltaTable(
                            records: records, scores: scores, result: result, hasSplit: split != nil, number: number)
                    }
                    undefinedClasses = Self.undefinedTable(records: records, result: result, number: number)
                } catch {
                    bootstrapNote = "No confidence intervals: \(error.description)"
                }
            }
        }
        let prefix = count > 1 ? "s\(number)-" : ""
        charts = Charts.all(records: records, scores: scores, prefix: prefix, bootstrap: bootstrap)
        perImage = PerImageTable(records: records, prefix: prefix)
        qualitative = nil
        if let sources = options.qualitative {
            qualitative = try QualitativePanel(
                records: records, paths: inputs.map(\.path), sources: sources, prefix: prefix)
        }
    }

    // MARK: tables

    static func summaryTable(records: [RunRecord], scores: [Scores], number: Int) -> ReportTable {
        let hasSplit = records[0].split != nil
        var columns = [ReportColumn("Method", numeric: false), ReportColumn("mIoU")]
        if hasSplit { columns += [ReportColumn("mIoU seen"), ReportColumn("mIoU unseen"), ReportColumn("hIoU")] }
        columns += [ReportColumn("Pixel acc."), ReportColumn("Images")]
        var values: [[Double?]] = []
        for (record, score) in zip(records, scores) {
            var row: [Double?] = [score.meanIoU]
            if hasSplit, let split = record.splitScores { row += [split.seen, split.unseen, split.harmonic] }
            row.append(score.pixelAccuracy)
            values.append(row)
        }
        let best = bestMarks(values)
        let rows = records.indices.map { r in
            let skipped = SkippedFiles.skippedImageCount(records[r])
            return [ReportCell(records[r].method)]
                + values[r].indices.map { ReportCell(Percent.format(values[r][$0]), best: best[r][$0]) }
                + [ReportCell(String(records[r].images.count) + (skipped > 0 ? " (\(skipped) skipped)" : ""))]
        }
        var footnotes = hasSplit ? ["hIoU = 2·seen·unseen / (seen + unseen), from the unrounded means."] : []
        // Runs that left files out say so where their numbers are, not only in the provenance.
        for record in records {
            for sentence in SkippedFiles.sentences(record) { footnotes.append("\(record.method): \(sentence).") }
        }
        return ReportTable(
            id: "summary-\(number)", caption: "Summary (%, best per column in bold)", columns: columns, rows: rows,
            footnotes: footnotes)
    }

    /// Collapse onto seen classes; lower is better, so the lowest rate per column is marked.
    static func collapseTable(records: [RunRecord], number: Int) -> ReportTable? {
        let first = records[0]
        guard let split = first.split, !split.unseenIDs.isEmpty else { return nil }
        let diagnostics = records.compactMap(\.collapse)
        guard diagnostics.count == records.count else { return nil }
        let columns = [ReportColumn("Method", numeric: false), ReportColumn("All unseen")]
            + split.unseenIDs.map { ReportColumn(first.classNames[$0]) }
        var values: [[Double?]] = []
        for item in diagnostics {
            values.append([item.collapseRate] + item.classes.map(\.collapseRate))
        }
        let best = bestMarks(values.map { $0.map { $0.map { -$0 } } })
        let rows = records.indices.map { r in
            var cells = [ReportCell(records[r].method), ReportCell(Percent.format(values[r][0]), best: best[r][0])]
            for (index, item) in diagnostics[r].classes.enumerated() {
                var text = Percent.format(item.collapseRate)
                if let target = item.topSeenTarget, item.collapseRate != nil {
                    text += " → " + first.classNames[target.id]
                } else if item.groundTruth == 0 {
                    text = "absent"
                }
                cells.append(ReportCell(text, best: best[r][index + 1]))
            }
            return cells
        }
        return ReportTable(
            id: "collapse-\(number)", caption: "Collapse onto seen classes (%, lower is better, best per column in bold)",
            columns: columns, rows: rows,
            footnotes: [
                "Share of the unseen classes' ground-truth pixels that were predicted as some seen class; "
                    + "“→” names the seen class that received most of them."
            ])
    }

    /// Compensation distances of the runs that measured them (lower = closer to the frozen encoder).
    static func driftTable(records: [RunRecord], number: Int) -> ReportTable? {
        let measured = records.filter { $0.featureDrift != nil }
        guard !measured.isEmpty else { return nil }
        func value(_ x: Double?) -> String { x.map { String(format: "%.6f", $0) } ?? "—" }
        let rows: [[ReportCell]] = measured.compactMap { record in
            guard let drift = record.featureDrift else { return nil }
            return [
                ReportCell(record.method), ReportCell(String(drift.frozenSHA256.prefix(12))),
                ReportCell(value(drift.meanWhole)), ReportCell(value(drift.meanSeen)), ReportCell(value(drift.meanUnseen)),
                ReportCell(String(drift.images.count)),
            ]
        }
        return ReportTable(
            id: "drift-\(number)", caption: "Feature drift from the frozen encoder (compensation distance, lower is closer)",
            columns: [
                ReportColumn("Method", numeric: false), ReportColumn("Frozen checkpoint", numeric: false),
                ReportColumn("Whole image"), ReportColumn("Seen regions"), ReportColumn("Unseen regions"), ReportColumn("Images"),
            ],
            rows: rows, footnotes: measured.first?.featureDrift.map { [$0.definition] } ?? [])
    }

    static func perClassTable(records: [RunRecord], scores: [Scores], number: Int) -> ReportTable {
        let first = records[0]
        let columns = [ReportColumn("Class", numeric: false), ReportColumn("Split", numeric: false)]
            + records.map { ReportColumn($0.method) }
        var rows: [[ReportCell]] = []
        for c in 0..<first.matrix.classCount {
            var cells: [ReportCell] = []
            var candidates: [Double?] = []
            for score in scores {
                candidates.append(score.classCounts[c].groundTruth == 0 ? nil : score.classCounts[c].iou)
                cells.append(ReportCell(PresenceNotes.cell(score, classID: c)))
            }
            let best = bestMarks(candidates.map { [$0] })
            for index in cells.indices where best[index][0] { cells[index].best = true }
            rows.append([ReportCell(first.classNames[c]), ReportCell(first.split?.side(ofClass: c) ?? "—")] + cells)
        }
        let footnotes = PresenceNotes.notes(for: scores)
        return ReportTable(
            id: "per-class-\(number)", caption: "Per-class IoU (%, best per row in bold)", columns: columns, rows: rows,
            footnotes: footnotes)
    }

    static func deltaTable(
        records: [RunRecord], scores: [Scores], result: BootstrapResult, hasSplit: Bool, number: Int
    ) -> ReportTable {
        let level = percentLabel(result.configuration.level)
        let columns = [
            ReportColumn("Method", numeric: false), ReportColumn("Metric", numeric: false), ReportColumn("Δ (pp)"),
            ReportColumn("\(level) CI (pp)"), ReportColumn("Share Δ ≤ 0"), ReportColumn("Verdict", numeric: false),
        ]
        let metrics = hasSplit ? BootstrapMetric.allCases : [.meanIoU]
        let split = records[0].split
        var rows: [[ReportCell]] = []
        for m in records.indices where m != result.baseline {
            for metric in metrics {
                let value = metric.value(of: scores[m], seen: split?.seenIDs, unseen: split?.unseenIDs)
                let base = metric.value(of: scores[result.baseline], seen: split?.seenIDs, unseen: split?.unseenIDs)
                let difference = result.difference(method: m, metric)
                var observed: Double?
                if let value, let base { observed = value - base }
                let verdict: String
                if let interval = difference.interval {
                    verdict = difference.isSignificant ? (interval.lower > 0 ? "better" : "worse") : "not significant"
                } else {
                    verdict = "undefined"
                }
                rows.append([
                    ReportCell(records[m].method), ReportCell(metric.label), ReportCell(signed(observed)),
                    ReportCell(difference.interval.map { "[\(signed($0.lower)), \(signed($0.upper))]" } ?? "—"),
                    ReportCell(difference.shareAtMostZero.map(share) ?? "—"), ReportCell(verdict),
                ])
            }
        }
        return ReportTable(
            id: "deltas-\(number)", caption: "Differences against \(records[result.baseline].method)",
            columns: columns, rows: rows,
            footnotes: [
                "Δ = method − baseline in percentage points; “not significant” when the interval contains 0.",
                "Share Δ ≤ 0: fraction of resamples in which the method did not beat the baseline.",
            ])
    }

    static func intervalTable(records: [RunRecord], result: BootstrapResult, hasSplit: Bool, number: Int) -> ReportTable {
        let metrics = hasSplit ? BootstrapMetric.allCases : [.meanIoU]
        let level = percentLabel(result.configuration.level)
        let columns = [ReportColumn("Method", numeric: false)] + metrics.map { ReportColumn("\($0.label) \(level) CI") }
        let rows = records.indices.map { m in
            [ReportCell(records[m].method)]
                + metrics.map { metric in
                    ReportCell(result.methods[m].interval(metric).map {
                        "[\(Percent.format($0.lower)), \(Percent.format($0.upper))]"
                    } ?? "—")
                }
        }
        return ReportTable(
            id: "intervals-\(number)", caption: "Bootstrap intervals (%)", columns: columns, rows: rows, footnotes: [])
    }

    static func undefinedTable(records: [RunRecord], result: BootstrapResult, number: Int) -> ReportTable? {
        let k = records[0].matrix.classCount
        let affected = (0..<k).filter { c in result.methods.contains { $0.undefinedClassResamples[c] > 0 } }
        guard !affected.isEmpty else { return nil }
        let columns = [ReportColumn("Class", numeric: false)] + records.map { ReportColumn($0.method) }
        let rows = affected.map { c in
            [ReportCell(records[0].classNames[c])]
                + result.methods.map { ReportCell("\($0.undefinedClassResamples[c]) / \(result.configuration.resamples)") }
        }
        return ReportTable(
            id: "undefined-\(number)", caption: "Resamples in which a class's IoU was undefined", columns: columns,
            rows: rows, footnotes: ["Such a class is absent from both ground truth and prediction in that resample and enters no mean."])
    }

    static func provenanceTable(inputs: [ReportInput], number: Int) -> ReportTable {
        let columns = ["Method", "Results file", "Tool", "Checkpoint SHA-256", "Arithmetic", "Date", "Predictions", "Skipped"].map {
            ReportColumn($0, numeric: false)
        }
        let rows = inputs.map { input -> [ReportCell] in
            let record = input.record
            let p = record.provenance
            let d = record.dataset
            var skipped: [String] = []
            if !d.missingPredictions.isEmpty { skipped.append("\(d.missingPredictions.count) missing") }
            if !d.extraPredictions.isEmpty { skipped.append("\(d.extraPredictions.count) extra") }
            if !d.sizeMismatches.isEmpty { skipped.append("\(d.sizeMismatches.count) size mismatches") }
            return [
                ReportCell(record.method), ReportCell(input.path), ReportCell("\(p.tool) \(p.version)"),
                ReportCell(p.checkpointSHA256.map { String($0.prefix(16)) } ?? "—"),
                ReportCell(p.numerics?.arithmetic ?? "—"), ReportCell(p.date),
                ReportCell(d.predictionDirectory + Self.readingNote(record.policy.predictionEncoding)),
                ReportCell(skipped.isEmpty ? "none" : skipped.joined(separator: ", ")),
            ]
        }
        let hashed = inputs.contains { $0.record.provenance.checkpointSHA256 != nil }
        return ReportTable(
            id: "provenance-\(number)", caption: "Runs", columns: columns, rows: rows,
            footnotes: (hashed ? ["Checkpoint SHA-256: the first 16 hex digits; the results file holds all 64."] : [])
                + (inputs.contains { $0.record.provenance.numerics != nil }
                    ? ["Arithmetic of model runs: reproducible (the same bits on every x86-64 CPU) or openblas (docs/reproducibility.md); the results file records the kernel, CPU and threads."]
                    : []))
    }

    /// " (read with --pred-reduce-zero-label: what it means)" for predictions read through an encoding, else "".
    static func readingNote(_ encoding: PredictionEncoding) -> String {
        encoding.isClassIDs ? "" : " (read with \(encoding.option): \(encoding.explanation))"
    }

    static func policyLines(_ record: RunRecord) -> [(label: String, value: String)] {
        let v = record.vocabulary
        var lines: [(String, String)] = [
            ("Vocabulary", "\(v.name) (\(v.key)), \(v.classNames.count) classes, fingerprint \(v.fingerprint)")
        ]
        if let split = record.split {
            let seen = split.seenIDs.map { record.classNames[$0] }.joined(separator: ", ")
            let unseen = split.unseenIDs.map { record.classNames[$0] }.joined(separator: ", ")
            lines.append(("Split", "\(split.name): seen \(seen); unseen \(unseen)"))
            if let choice = record.splitChoice { lines.append(("Split chosen by", choice)) }
            lines.append(("Split source", (split.source ?? "no source recorded") + (split.inferred ? " (inferred)" : "")))
        } else {
            lines.append(("Split", EncodingNotes.split(record)))
        }
        let p = record.policy
        lines.append(("Presence policy", p.presence.rawValue))
        lines += EncodingNotes.encodingLines(p)
        lines.append(("Out-of-range values", "ground truth: \(p.outOfRangeGroundTruth.rawValue), prediction: \(p.outOfRangePrediction.rawValue)"))
        lines.append(("Dataset", "\(record.images.count) images, fingerprint \(record.dataset.fingerprint)"))
        lines.append(("Ground truth", record.dataset.groundTruthDirectory))
        if let origin = record.dataset.origin { lines.append(("Files listed by", origin.summary)) }
        return lines
    }

    static func bootstrapDescription(_ result: BootstrapResult, baselineName: String) -> String {
        let c = result.configuration
        return "Paired percentile bootstrap over images (docs/metrics.md §9): \(c.resamples) resamples of the "
            + "\(result.imageCount) images with replacement, \(percentLabel(c.level)) level, seed \(c.seed), generator "
            + "\(BootstrapConfiguration.generatorName). Every method is resampled with the same images; "
            + "dataset-level metrics are recomputed from the per-image counts in each resample. Baseline: \(baselineName)."
    }

    // MARK: formatting

    /// Marks, per column, the cells whose displayed value is the largest (ties all marked);
    /// nothing is marked when fewer than two rows have a value.
    static func bestMarks(_ values: [[Double?]]) -> [[Bool]] {
        var marks = values.map { $0.map { _ in false } }
        guard let width = values.first?.count else { return marks }
        for column in 0..<width {
            let rounded = values.map { $0[column].flatMap(Percent.roundedHundredths) }
            guard rounded.compactMap({ $0 }).count > 1, let best = rounded.compactMap({ $0 }).max() else { continue }
            for row in values.indices where rounded[row] == best { marks[row][column] = true }
        }
        return marks
    }

    /// A difference in percentage points with its sign: "+1.25", "-0.50", "0.00".
    static func signed(_ fraction: Double?) -> String {
        guard let fraction, let hundredths = Percent.roundedHundredths(fraction) else { return "—" }
        let text = Percent.format(fraction)
        return hundredths > 0 ? "+" + text : (hundredths == 0 ? "0.00" : text)
    }

    /// A share in [0, 1] with three decimals.
    static func share(_ value: Double) -> String {
        let thousandths = Int((value * 1000).rounded(.toNearestOrEven))
        let fractional = thousandths % 1000
        let padding = fractional < 10 ? "00" : (fractional < 100 ? "0" : "")
        return "\(thousandths / 1000).\(padding)\(fractional)"
    }

    static func percentLabel(_ level: Double) -> String {
        let tenths = Int((level * 1000).rounded())
        return tenths % 10 == 0 ? "\(tenths / 10) %" : "\(tenths / 10).\(tenths % 10) %"
    }
}

/// A table in a format-independent form.
public struct ReportTable: Sendable, Equatable {
    /// Stable id, used as the HTML table's `id`.
    public var id: String
    public var caption: String
    public var columns: [ReportColumn]
    public var rows: [[ReportCell]]
    public var footnotes: [String]
}

public struct ReportColumn: Sendable, Equatable {
    public var title: String
    /// Numbers are right-aligned.
    public var numeric: Bool

    public init(_ title: String, numeric: Bool = true) {
        self.title = title
        self.numeric = numeric
    }
}

public struct ReportCell: Sendable, Equatable {
    public var text: String
    /// The best value of its row or column.
    public var best: Bool

    public init(_ text: String, best: Bool = false) {
        self.text = text
        self.best = best
    }
}

/// An SVG chart, written beside the Markdown and inlined in the HTML.
public struct Chart: Sendable, Equatable {
    public var fileName: String
    public var title: String
    public var svg: String
    /// Small enough to sit beside others (the heatmaps); the HTML lays these out in a grid.
    public var compact: Bool

    public init(fileName: String, title: String, svg: String, compact: Bool = false) {
        self.fileName = fileName
        self.title = title
        self.svg = svg
        self.compact = compact
    }
}
