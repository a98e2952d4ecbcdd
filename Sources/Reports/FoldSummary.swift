import Foundation
import Harness
import Metrics

/// The fold summary of a report: per method, the mean ± standard deviation of its mIoU, seen and
/// unseen mIoU and hIoU over the folds of one family (`fewshot-fold0..2`), whose runs are shown
/// in one section per fold. Only methods with a run on every fold of the report get means: folds
/// differ in which classes are unseen, so a mean over fewer folds would not be comparable.
enum FoldSummary {
    /// Indices of the groups (sections) that form each fold family of two or more folds, in order.
    static func families(_ groups: [[ReportInput]]) -> [[Int]] {
        var families: [[Int]] = []
        for (index, group) in groups.enumerated() {
            guard let split = group[0].record.split, FoldName(splitName: split.name) != nil else { continue }
            if let family = families.firstIndex(where: {
                Comparability.differOnlyInFold(groups[$0[0]][0].record, group[0].record)
            }) {
                families[family].append(index)
            } else {
                families.append([index])
            }
        }
        return families.filter { $0.count > 1 }
    }

    /// Mean and sample standard deviation (n − 1 in the denominator); nil when any value is
    /// undefined or there are fewer than two.
    static func meanAndDeviation(_ values: [Double?]) -> (mean: Double, deviation: Double)? {
        let defined = values.compactMap { $0 }
        guard defined.count == values.count, defined.count > 1 else { return nil }
        let mean = defined.reduce(0, +) / Double(defined.count)
        let squares = defined.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (mean, (squares / Double(defined.count - 1)).squareRoot())
    }

    /// The table for one family: `sections` are the family's sections, in report order.
    static func table(sections: [ReportSection], number: Int) -> ReportTable {
        let folds = sections.map { $0.inputs[0].record.split?.name ?? "" }
        var methods: [String] = []
        for section in sections {
            for input in section.inputs where !methods.contains(input.record.method) { methods.append(input.record.method) }
        }
        let metricTitles = ["mIoU", "mIoU seen", "mIoU unseen", "hIoU"]
        var values: [[(mean: Double, deviation: Double)?]] = []
        var foldCells: [String] = []
        var incomplete: [String] = []
        var undefined = false
        for method in methods {
            let runs = sections.map { section in section.inputs.first { $0.record.method == method }?.record }
            let missing = zip(folds, runs).filter { $0.1 == nil }.map(\.0)
            let present = zip(folds, runs).filter { $0.1 != nil }.map(\.0)
            guard missing.isEmpty else {
                foldCells.append(present.joined(separator: ", ") + " (no " + missing.joined(separator: ", ") + ")")
                values.append(metricTitles.map { _ in nil })
                incomplete.append("\(method) has no run on \(missing.joined(separator: ", ")), so it has no means")
                continue
            }
            foldCells.append("all \(folds.count)")
            let records = runs.compactMap { $0 }
            let perFold: [[Double?]] = records.map { record in
                let split = record.splitScores
                return [record.scores.meanIoU, split?.seen, split?.unseen, split?.harmonic]
            }
            let row = metricTitles.indices.map { column in meanAndDeviation(perFold.map { $0[column] }) }
            if row.contains(where: { $0 == nil }) { undefined = true }
            values.append(row)
        }
        let best = ReportSection.bestMarks(values.map { $0.map { $0?.mean } })
        let rows = methods.indices.map { m in
            [ReportCell(methods[m]), ReportCell(foldCells[m])]
                + values[m].indices.map { column in
                    ReportCell(
                        values[m][column].map { Percent.format($0.mean) + " ± " + Percent.format($0.deviation) } ?? "—",
                        best: best[m][column])
                }
        }
        let sectionList = zip(folds, sections).map { "\($0) (section \($1.number))" }.joined(separator: ", ")
        var footnotes = [
            "Mean ± sample standard deviation (n − 1 in the denominator) of each method's per-fold figures, from the "
                + "unrounded values; every fold has its own section: \(sectionList).",
            "hIoU is averaged over the folds (each fold's hIoU from that fold's seen and unseen mIoU), not recomputed "
                + "from the mean seen and unseen mIoU.",
            "The folds divide the classes differently into seen and unseen, so one fold's numbers are not comparable "
                + "with another's; means are shown only for methods with a run on every fold.",
        ]
        footnotes += incomplete.map { $0 + ": a mean over fewer folds would not be comparable with the others." }
        let first = sections[0].inputs[0].record
        if let defined = first.vocabularyFolds, case let absent = defined.filter({ !folds.contains($0) }), !absent.isEmpty {
            footnotes.append(
                "\(first.vocabulary.name) defines \(defined.count) folds of this family; no run here is on "
                    + "\(absent.joined(separator: ", ")), so the means are over \(folds.count) of the \(defined.count).")
        }
        if undefined {
            footnotes.append("—: the figure is undefined on at least one fold (see that fold's section).")
        }
        let vocabulary = first.vocabulary.name
        return ReportTable(
            id: "fold-summary-\(number)",
            caption: "Fold summary: \(vocabulary), \(folds.joined(separator: ", ")) (%, mean ± std over folds, best mean per column in bold)",
            columns: [ReportColumn("Method", numeric: false), ReportColumn("Folds", numeric: false)]
                + metricTitles.map { ReportColumn($0) },
            rows: rows, footnotes: footnotes)
    }
}
