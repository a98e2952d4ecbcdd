import FileOutput

/// Writes a report's files: `report.md`, `report.html`, and beside them the SVG charts, the
/// per-image CSV of each section and the full-resolution tiles of the qualitative panel
/// (`qualitative/*.png`, linked from the thumbnails).
public enum ReportFiles {
    /// The files of `report` by name, in writing order (per section its charts and per-image CSV, then Markdown, then HTML).
    public static func contents(of report: Report) -> [(name: String, text: String)] {
        var files: [(String, String)] = []
        for section in report.sections {
            for chart in section.charts { files.append((chart.fileName, chart.svg)) }
            if let table = section.perImage { files.append((table.fileName, table.csv)) }
        }
        files.append(("report.md", MarkdownReport.render(report)))
        files.append(("report.html", HTMLReport.render(report)))
        return files
    }

    /// The full-resolution PNGs of the qualitative panels by name (relative to the report folder).
    public static func images(of report: Report) -> [(name: String, png: [UInt8])] {
        report.sections.flatMap { section in
            (section.qualitative?.rows ?? []).flatMap { row in row.tiles.map { ($0.fileName, $0.fullResolution) } }
        }
    }

    /// Creates `directory` if needed and writes every file as one step (`AtomicFile.writeAll`):
    /// if any file cannot be written, none of the report's files change, so the folder never
    /// holds a new `report.md` beside an old `report.html`. Returns the paths written.
    @discardableResult
    public static func write(_ report: Report, to directory: String) throws(FileOutputError) -> [String] {
        try AtomicFile.createDirectory(directory)
        var files: [(path: String, bytes: [UInt8])] = images(of: report).map { (directory + "/" + $0.name, $0.png) }
        files += contents(of: report).map { (directory + "/" + $0.name, Array($0.text.utf8)) }
        try AtomicFile.writeAll(files)
        return files.map(\.path)
    }
}
