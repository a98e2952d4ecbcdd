import Metrics
import Referring

/// The report of one or more referring runs (docs/referring.md §8): a summary table (cIoU, gIoU,
/// Prec@τ per run), per-class and size-bucket tables, and per run the best and worst samples with
/// their instruction text. Every user-supplied string (method, class, text, ids) is escaped.
public struct ReferringReport: Sendable {
    public var title: String
    public var runs: [(path: String, record: ReferringRunRecord)]
    /// Samples shown in each of the best and worst lists.
    public var listed: Int

    public init(title: String?, runs: [(path: String, record: ReferringRunRecord)], listed: Int = 8) {
        self.title = title ?? "Referring segmentation report"
        self.runs = runs
        self.listed = listed
    }

    typealias Table = TableDocument.Table

    static func figureCells(_ scores: ReferringScores) -> [String] {
        [String(scores.samples), Percent.format(scores.ciou), Percent.format(scores.giou)]
            + scores.precision.map { Percent.format($0.value) }
    }

    static func figureHeader(_ thresholds: [Int]) -> [String] {
        ["samples", "cIoU", "gIoU"] + thresholds.map { "Prec@" + ReferringScores.thresholdLabel($0) }
    }

    /// The sections in order: (heading, paragraphs, tables).
    var sections: [(heading: String, paragraphs: [String], tables: [Table])] {
        var sections: [(String, [String], [Table])] = []
        let thresholds = runs.first?.record.policy.precisionThresholds ?? ReferringScores.defaultThresholds
        let summary = Table(
            caption: "All samples; percent, two decimals.", header: ["method"] + Self.figureHeader(thresholds),
            rows: runs.map { [$0.record.method] + Self.figureCells($0.record.scores) })
        var notes = [
            "cIoU = ΣI / ΣU over the samples; gIoU = mean of per-sample IoU; Prec@τ = share of samples with a "
                + "non-empty target whose IoU ≥ τ. " + ReferringPolicy.emptyTargetConvention + ".",
        ]
        for run in runs {
            let record = run.record
            var line = "\(record.method): \(run.path); annotations \(record.annotationsFingerprint), "
                + "predictions \(record.predictionsFingerprint)"
            if !record.missingPredictions.isEmpty {
                line += "; \(record.missingPredictions.count) missing predictions counted as empty"
            }
            notes.append(line)
        }
        sections.append(("Summary", notes, [summary]))
        for run in runs {
            let record = run.record
            var tables: [Table] = []
            let classes = record.classScores
            if !classes.isEmpty {
                tables.append(Table(
                    caption: "\(record.method): per class", header: ["class"] + Self.figureHeader(thresholds),
                    rows: classes.map { [$0.name] + Self.figureCells($0.scores) }))
            }
            tables.append(Table(
                caption: "\(record.method): by target area", header: ["bucket", "definition"] + Self.figureHeader(thresholds),
                rows: record.sizeScores.map {
                    [$0.bucket, record.policy.sizeBuckets.definition(of: $0.bucket)] + Self.figureCells($0.scores)
                }))
            let ranked = record.samples.sorted {
                $0.counts.iou != $1.counts.iou ? $0.counts.iou > $1.counts.iou : $0.id < $1.id
            }
            let sampleHeader = ["id", "image", "class", "instruction", "IoU", "I", "U", "target", "prediction"]
            func rows(_ samples: some Sequence<ReferringSampleRecord>) -> [[String]] {
                samples.map {
                    [$0.id, $0.imageID, $0.className ?? "—", $0.text, Percent.format($0.counts.iou),
                     String($0.counts.intersection), String($0.counts.union), String($0.counts.target),
                     String($0.counts.prediction)]
                }
            }
            tables.append(Table(caption: "\(record.method): best samples", header: sampleHeader, rows: rows(ranked.prefix(listed))))
            tables.append(Table(
                caption: "\(record.method): worst samples", header: sampleHeader, rows: rows(ranked.suffix(listed).reversed())))
            sections.append((record.method, [], tables))
        }
        return sections
    }

    public var markdown: String { TableDocument(title: title, sections: sections).markdown }

    public var html: String { TableDocument(title: title, sections: sections).html }
}
