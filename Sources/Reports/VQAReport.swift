import Metrics
import VQAScoring

/// The report of one or more VQA runs (docs/vqa.md §6): a summary table (overall and average
/// accuracy, accuracy per question type, one row per run), then per run its per-type counts, the
/// confusion matrices of the closed-answer types and a sample of wrong answers. Every
/// user-supplied string (method, type, question, answers, ids) is escaped.
public struct VQAReport: Sendable {
    public var title: String
    public var runs: [(path: String, record: VQARunRecord)]
    /// Wrong answers listed per run.
    public var listed: Int

    public init(title: String?, runs: [(path: String, record: VQARunRecord)], listed: Int = 8) {
        self.title = title ?? "VQA report"
        self.runs = runs
        self.listed = listed
    }

    typealias Table = TableDocument.Table

    var sections: [(heading: String, paragraphs: [String], tables: [Table])] {
        var sections: [(String, [String], [Table])] = []
        var types: [String] = []
        for run in runs {
            for item in run.record.scores.types where !types.contains(item.type) { types.append(item.type) }
        }
        let summary = Table(
            caption: "Accuracy in percent, two decimals; OA = correct / questions, AA = mean of the per-type accuracies.",
            header: ["method", "questions", "OA", "AA"] + types,
            rows: runs.map { run in
                let scores = run.record.scores
                let byType = Dictionary(uniqueKeysWithValues: scores.types.map { ($0.type, $0) })
                return [run.record.method, String(scores.questions), Percent.format(scores.overallAccuracy),
                        Percent.format(scores.averageAccuracy)] + types.map { Percent.format(byType[$0]?.accuracy) }
            })
        var notes: [String] = []
        for run in runs {
            let record = run.record
            let normalizer = record.policy.normalizer
            var line = "\(record.method): \(run.path); ground truth \(record.groundTruthFingerprint), "
                + "predictions \(record.predictionsFingerprint); count buckets \(normalizer.countBuckets?.text ?? "none"), "
                + "area buckets \(normalizer.areaBuckets?.text ?? "none")"
            if !record.missingPredictions.isEmpty {
                line += "; \(record.missingPredictions.count) missing predictions counted as wrong"
            }
            notes.append(line)
        }
        sections.append(("Summary", notes, [summary]))
        for run in runs {
            let record = run.record
            let scores = record.scores
            var tables = [Table(
                caption: "\(record.method): per question type", header: ["type", "questions", "correct", "accuracy"],
                rows: scores.types.map { [$0.type, String($0.questions), String($0.correct), Percent.format($0.accuracy)] })]
            for item in scores.types {
                guard let confusion = item.confusion else { continue }
                var caption = "\(record.method): \(item.type), reference (rows) against prediction (columns)"
                if confusion.otherReferences > 0 {
                    caption += "; \(confusion.otherReferences) references outside the answer set are not in the matrix"
                }
                tables.append(Table(
                    caption: caption, header: ["reference"] + confusion.labels + ["other or missing"],
                    rows: zip(confusion.labels, confusion.counts).map { label, row in [label] + row.map { String($0) } }))
            }
            let wrong = record.questions.filter { !$0.correct }
            if !wrong.isEmpty {
                tables.append(Table(
                    caption: "\(record.method): wrong answers (\(min(listed, wrong.count)) of \(wrong.count), by id)",
                    header: ["id", "image", "type", "question", "answer", "prediction"],
                    rows: wrong.prefix(listed).map {
                        [$0.id, $0.image, $0.type, $0.question, $0.answer, $0.prediction ?? "(missing)"]
                    }))
            }
            sections.append((record.method, [], tables))
        }
        return sections
    }

    public var markdown: String { TableDocument(title: title, sections: sections).markdown }

    public var html: String { TableDocument(title: title, sections: sections).html }
}
