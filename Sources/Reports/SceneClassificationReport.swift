import Metrics
import SceneClassification

/// The report of one or more scene-classification runs (docs/scene-classification.md §5): a summary
/// table (top-1, top-5, macro and weighted figures, seen/unseen/H, each with its bootstrap interval),
/// per run the per-class table and the confusion matrix. Every user-supplied string is escaped.
public struct SceneClassificationReport: Sendable {
    public var title: String
    public var runs: [(path: String, record: SceneRunRecord, bootstrap: SceneBootstrap?)]

    /// Builds the report; with `bootstrap`, every run's intervals are drawn with it.
    public init(title: String?, runs: [(path: String, record: SceneRunRecord)], bootstrap: BootstrapConfiguration?) throws(SceneClassificationError) {
        self.title = title ?? "Scene classification report"
        var built: [(path: String, record: SceneRunRecord, bootstrap: SceneBootstrap?)] = []
        for run in runs {
            built.append((run.path, run.record, try bootstrap.map { configuration throws(SceneClassificationError) in
                try SceneBootstrap.run(run.record, configuration: configuration)
            }))
        }
        self.runs = built
    }

    typealias Table = TableDocument.Table

    /// "45.00 [41.20, 48.75]" with an interval, "45.00" without, "—" when undefined.
    static func cell(_ value: Double?, _ interval: ConfidenceInterval?) -> String {
        guard let value else { return "—" }
        guard let interval else { return Percent.format(value) }
        return "\(Percent.format(value)) [\(Percent.format(interval.lower)), \(Percent.format(interval.upper))]"
    }

    var sections: [(heading: String, paragraphs: [String], tables: [Table])] {
        var sections: [(String, [String], [Table])] = []
        let withSplit = runs.contains { $0.record.split != nil }
        var header = ["method", "images", "top-1", "top-5", "macro P", "macro R", "macro F1", "weighted F1"]
        if withSplit { header += ["seen", "unseen", "H"] }
        let rows = runs.map { run -> [String] in
            let s = run.record.scores
            let b = run.bootstrap?.intervals
            var row = [run.record.method, String(s.images), Self.cell(s.accuracy, b?[.accuracy]), Self.cell(s.top5, b?[.top5]),
                       Percent.format(s.macroPrecision), Percent.format(s.macroRecall), Self.cell(s.macroF1, b?[.macroF1]),
                       Self.cell(s.weightedF1, b?[.weightedF1])]
            if withSplit {
                row += [Self.cell(s.seenAccuracy, b?[.seen]), Self.cell(s.unseenAccuracy, b?[.unseen]), Self.cell(s.harmonicMean, b?[.harmonic])]
            }
            return row
        }
        var notes = [
            "Percent, two decimals. Top-5 is shown only when every prediction ranks at least five classes. Zero division as "
                + "scikit-learn's default (0); macro averages run over the classes present in the labels or the predictions; "
                + "seen/unseen accuracy is over images whose true class is seen/unseen, H their harmonic mean.",
        ]
        if let configuration = runs.first(where: { $0.bootstrap != nil })?.bootstrap?.configuration {
            notes.append("Brackets: \(Int((configuration.level * 100).rounded()))% percentile bootstrap intervals over images "
                + "(\(configuration.resamples) resamples, seed \(configuration.seed), \(BootstrapConfiguration.generatorName)).")
        }
        for run in runs {
            let r = run.record
            notes.append("\(r.method): \(run.path); \(r.vocabularyName) [\(r.vocabularyKey)] \(r.vocabularyFingerprint); labels \(r.labelsFingerprint); "
                + "predictions \(r.predictionsFormat)" + (r.split.map { "; split \($0.name)" } ?? ""))
        }
        sections.append(("Summary", notes, [Table(caption: "All images.", header: header, rows: rows)]))
        for run in runs {
            let record = run.record
            let scores = record.scores
            let classRows = scores.classes.enumerated().map { index, figures -> [String] in
                [record.classNames[index], String(figures.support), String(figures.predicted), String(figures.truePositives),
                 Self.cell(figures.recall, run.bootstrap?.classRecall[index]), Percent.format(figures.precision), Percent.format(figures.f1)]
            }
            let perClass = Table(
                caption: "\(record.method): per class (— for a class in neither the labels nor the predictions)",
                header: ["class", "support", "predicted", "correct", "recall", "precision", "F1"], rows: classRows)
            let matrix = Table(
                caption: "\(record.method): confusion matrix, rows true class, columns predicted class (ids as in the per-class table)",
                header: ["true \\ predicted"] + (0..<record.classCount).map(String.init),
                rows: (0..<record.classCount).map { row in
                    ["\(row) \(record.classNames[row])"] + (0..<record.classCount).map { String(scores.count(truth: row, predicted: $0)) }
                })
            sections.append((record.method, [], [perClass, matrix]))
        }
        return sections
    }

    public var markdown: String { TableDocument(title: title, sections: sections).markdown }

    public var html: String { TableDocument(title: title, sections: sections).html }
}
