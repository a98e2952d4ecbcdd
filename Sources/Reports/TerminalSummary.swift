import Foundation
import Harness
import Metrics

/// The compact table `ovseg score` prints: one row per class, then the headline figures.
///
/// Numbers use the same numpy-style rounding as every report, so the terminal, the Markdown
/// and the HTML always show the same digits.
public enum TerminalSummary {
    public static func render(_ record: RunRecord) -> String {
        TerminalText.sanitized(renderUnsanitized(record))
    }

    private static func renderUnsanitized(_ record: RunRecord) -> String {
        let scores = record.scores
        let counts = scores.classCounts
        let nameWidth = max(5, record.classNames.map(\.count).max() ?? 5)
        var lines: [String] = []
        let skipped = SkippedFiles.skippedImageCount(record)
        lines.append(
            "\(record.method) — \(record.vocabulary.name), \(record.images.count) images"
                + (skipped > 0 ? " (\(skipped) skipped)" : "") + ", presence policy \(record.policy.presence.rawValue)")
        lines += SkippedFiles.sentences(record)
        if let origin = record.dataset.origin { lines.append("files: \(origin.summary)") }
        let header = pad("class", nameWidth) + "  split    " + left("IoU", 7) + left("Acc", 8) + left("F1", 8) + left("GT px", 12) + left("pred px", 12)
        lines.append(header)
        lines.append(String(repeating: "─", count: header.count))
        for id in 0..<record.matrix.classCount {
            let c = counts[id]
            let side = record.split?.side(ofClass: id) ?? ""
            let iou = PresenceNotes.cell(scores, classID: id)
            lines.append(
                pad(record.classNames[id], nameWidth) + "  " + pad(side, 7) + "  " + left(iou, 7) + left(Percent.format(c.accuracy), 8)
                    + left(Percent.format(c.dice), 8) + left(String(c.groundTruth), 12) + left(String(c.predicted), 12))
        }
        lines.append(String(repeating: "─", count: header.count))
        var headline = "mIoU \(Percent.format(scores.meanIoU))"
        if let split = record.splitScores {
            headline += "   seen \(Percent.format(split.seen))   unseen \(Percent.format(split.unseen))   hIoU \(Percent.format(split.harmonic))"
        }
        headline += "   aAcc \(Percent.format(scores.pixelAccuracy))"
        lines.append(headline)
        lines += PresenceNotes.notes(scores)
        if let collapse = record.collapse, let rate = collapse.collapseRate {
            var line = "collapse: \(Percent.format(rate))% of unseen pixels predicted as seen classes"
            let worst = collapse.classes.filter { $0.collapseRate != nil }.max { ($0.collapseRate ?? 0) < ($1.collapseRate ?? 0) }
            if let worst, let target = worst.topSeenTarget {
                line += " (worst: \(record.classNames[worst.id]) \(Percent.format(worst.collapseRate))%, mostly as \(record.classNames[target.id]))"
            }
            lines.append(line)
        }
        if let drift = record.featureDrift, let whole = drift.meanWhole {
            func show(_ x: Double?) -> String { x.map { String(format: "%.6f", $0) } ?? "—" }
            lines.append(
                "feature drift from the frozen encoder: \(show(whole)) (seen regions \(show(drift.meanSeen)), "
                    + "unseen regions \(show(drift.meanUnseen)))")
        }
        if let split = record.split {
            lines.append("split \(EncodingNotes.split(record)): \(split.source ?? "no source")\(split.inferred ? " (inferred)" : "")")
        } else {
            lines.append("split: \(EncodingNotes.split(record))")
        }
        if let line = EncodingNotes.overrideLine(record.policy) { lines.append(line) }
        return lines.joined(separator: "\n") + "\n"
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
    static func left(_ text: String, _ width: Int) -> String {
        text.count >= width ? " " + text : String(repeating: " ", count: width - text.count) + text
    }
}

/// A report table as plain text for the terminal (`ovseg report` prints its fold summaries):
/// the same caption, cells and footnotes as report.md and report.html, columns aligned.
public enum TerminalTable {
    public static func render(_ table: ReportTable) -> String {
        TerminalText.sanitized(renderUnsanitized(table))
    }

    private static func renderUnsanitized(_ table: ReportTable) -> String {
        let marked = table.rows.contains { $0.contains(where: \.best) }
        let rows = table.rows.map { $0.map { $0.best ? $0.text + " *" : $0.text } }
        let widths = table.columns.indices.map { column in
            ([table.columns[column].title] + rows.map { column < $0.count ? $0[column] : "" }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            cells.indices.map { column in
                let text = cells[column], width = column < widths.count ? widths[column] : text.count
                let numeric = column < table.columns.count && table.columns[column].numeric
                let padding = String(repeating: " ", count: max(0, width - text.count))
                return numeric ? padding + text : text + padding
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var lines = [table.caption]
        let header = line(table.columns.map(\.title))
        lines.append(header)
        lines.append(String(repeating: "─", count: header.count))
        lines += rows.map(line)
        if marked { lines.append("*: bold in report.md and report.html") }
        lines += table.footnotes
        return lines.joined(separator: "\n") + "\n"
    }
}
