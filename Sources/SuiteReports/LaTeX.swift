import Reports

/// Escaping of text for LaTeX (docs/suite-report.md §5): the ten special characters
/// `& % $ # _ { } ~ ^ \` become their text commands, `< > |` (wrong glyphs in OT1) too, line
/// breaks and control characters become spaces, and the typographic characters ovseg itself
/// writes (dashes, quotes, ×, ·, →, …) become plain LaTeX so a default pdflatex compiles them.
public enum LaTeXText {
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "\\&"
            case "%": out += "\\%"
            case "$": out += "\\$"
            case "#": out += "\\#"
            case "_": out += "\\_"
            case "{": out += "\\{"
            case "}": out += "\\}"
            case "~": out += "\\textasciitilde{}"
            case "^": out += "\\textasciicircum{}"
            case "\\": out += "\\textbackslash{}"
            case "<": out += "\\textless{}"
            case ">": out += "\\textgreater{}"
            case "|": out += "\\textbar{}"
            case "\u{2014}": out += "---"
            case "\u{2013}": out += "--"
            case "\u{201C}": out += "``"
            case "\u{201D}": out += "''"
            case "\u{2018}": out += "`"
            case "\u{2019}": out += "'"
            case "\u{00D7}": out += "$\\times$"
            case "\u{00B7}": out += "$\\cdot$"
            case "\u{2192}": out += "$\\rightarrow$"
            case "\u{2026}": out += "\\dots{}"
            case "\u{00A0}": out += "~"
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                    out += " "
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

/// LaTeX (booktabs) rendering of the grids, and of the reports' tables for `ovseg report --latex`.
public enum GridLaTeX {
    /// The preamble lines the fragments need; the wrapper document uses exactly these.
    public static let preamble = [
        "\\usepackage[T1]{fontenc}", "\\usepackage[utf8]{inputenc}", "\\usepackage{booktabs}",
    ]

    /// A `table` float holding the grid's `tabular`: suite rows, then the published block,
    /// then the notes. Needs booktabs.
    public static func fragment(_ grid: GridTable) -> String {
        var lines: [String] = []
        lines.append("% ovseg suite grid: " + LaTeXText.escape(grid.caption).replacingOccurrences(of: "\n", with: " "))
        lines.append("% Needs \\usepackage{booktabs}; see suite-tables.tex for a document that inputs this file.")
        lines.append("\\begin{table}[htbp]")
        lines.append("\\centering")
        lines.append("\\caption{\(LaTeXText.escape(grid.caption))}")
        lines.append("\\label{tab:ovseg-grid-\(grid.metric.rawValue)}")
        let width = grid.columns.count + 1
        lines.append("\\begin{tabular}{l" + String(repeating: "r", count: grid.columns.count) + "}")
        lines.append("\\toprule")
        lines.append((["Method"] + grid.columns).map(LaTeXText.escape).joined(separator: " & ") + " \\\\")
        lines.append("\\midrule")
        for row in grid.rows { lines.append(render(row)) }
        if !grid.published.isEmpty {
            lines.append("\\midrule")
            lines.append("\\multicolumn{\(width)}{l}{\\textit{Published}} \\\\")
            lines.append("\\midrule")
            for row in grid.published { lines.append(render(row)) }
        }
        lines.append("\\bottomrule")
        lines.append("\\end{tabular}")
        let notes = grid.footnotes + grid.sources
        if !notes.isEmpty {
            lines.append("")
            lines.append("\\smallskip")
            lines.append("\\begin{minipage}{\\linewidth}\\footnotesize")
            for note in notes { lines.append(LaTeXText.escape(note) + "\\par") }
            lines.append("\\end{minipage}")
        }
        lines.append("\\end{table}")
        return lines.joined(separator: "\n") + "\n"
    }

    static func render(_ row: GridRow) -> String {
        var name = LaTeXText.escape(row.name)
        if row.isPublished { name = "\\textit{\(name)}" }
        if let detail = row.detail { name += " (" + LaTeXText.escape(detail) + ")" }
        if let source = row.source { name += "\\textsuperscript{\(source)}" }
        let cells = row.cells.map { cell -> String in
            var text = cell.kind == .missing ? "--" : LaTeXText.escape(cell.text)
            if row.isPublished && cell.kind != .missing { text = "\\textit{\(text)}" }
            switch cell.mark {
            case .best: return "\\textbf{\(text)}"
            case .second: return "\\underline{\(text)}"
            case .none: return text
            }
        }
        return ([name] + cells).joined(separator: " & ") + " \\\\"
    }

    /// A tiny document that inputs each fragment, compilable with a plain pdflatex.
    public static func wrapper(title: String, fragments: [String]) -> String {
        var lines = ["% Generated by ovseg: compile with pdflatex \(SuiteGridReport.latexWrapper)", "\\documentclass{article}"]
        lines += preamble
        lines.append("\\begin{document}")
        lines.append("\\section*{\(LaTeXText.escape(title))}")
        for fragment in fragments { lines.append("\\input{\(fragment)}") }
        lines.append("\\end{document}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A report table (e.g. the per-class IoU of `ovseg report`) as a booktabs `tabular` in a
    /// `table` float, best cells in bold, footnotes below.
    public static func table(_ table: ReportTable, label: String) -> String {
        var lines: [String] = []
        lines.append("% ovseg report table; needs \\usepackage{booktabs}")
        lines.append("\\begin{table}[htbp]")
        lines.append("\\centering")
        lines.append("\\caption{\(LaTeXText.escape(table.caption))}")
        lines.append("\\label{tab:\(label)}")
        lines.append("\\begin{tabular}{" + table.columns.map { $0.numeric ? "r" : "l" }.joined() + "}")
        lines.append("\\toprule")
        lines.append(table.columns.map { LaTeXText.escape($0.title) }.joined(separator: " & ") + " \\\\")
        lines.append("\\midrule")
        for row in table.rows {
            let cells = row.map { cell -> String in
                let text = cell.text == "—" ? "--" : LaTeXText.escape(cell.text)
                return cell.best ? "\\textbf{\(text)}" : text
            }
            lines.append(cells.joined(separator: " & ") + " \\\\")
        }
        lines.append("\\bottomrule")
        lines.append("\\end{tabular}")
        if !table.footnotes.isEmpty {
            lines.append("")
            lines.append("\\smallskip")
            lines.append("\\begin{minipage}{\\linewidth}\\footnotesize")
            for note in table.footnotes { lines.append(LaTeXText.escape(note) + "\\par") }
            lines.append("\\end{minipage}")
        }
        lines.append("\\end{table}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The per-class tables (and summaries) of a report as one standalone document, for
    /// `ovseg report --latex` (`report-tables.tex` beside `report.md`).
    public static func reportDocument(_ report: Report) -> String {
        var lines = ["% Generated by ovseg report --latex: compile with pdflatex report-tables.tex", "\\documentclass{article}"]
        lines += preamble
        lines.append("\\begin{document}")
        lines.append("\\section*{\(LaTeXText.escape(report.title))}")
        for section in report.sections {
            if let heading = section.heading { lines.append("\\subsection*{\(LaTeXText.escape(heading))}") }
            lines.append(table(section.summary, label: "ovseg-" + section.summary.id))
            lines.append(table(section.perClass, label: "ovseg-" + section.perClass.id))
        }
        lines.append("\\end{document}")
        return lines.joined(separator: "\n") + "\n"
    }
}
