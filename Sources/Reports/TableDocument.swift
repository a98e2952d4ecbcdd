/// A report of sections, each plain-text paragraphs and tables, rendered as Markdown and as a
/// self-contained HTML page with every text escaped: the shape of the task reports (referring,
/// VQA, scene classification).
struct TableDocument {
    /// A table: header cells and rows of cells (plain text; escaped when rendered).
    struct Table {
        var caption: String
        var header: [String]
        var rows: [[String]]
    }

    var title: String
    var sections: [(heading: String, paragraphs: [String], tables: [Table])]

    var markdown: String {
        var out = "# \(MarkdownText.escape(title))\n"
        for section in sections {
            out += "\n## \(MarkdownText.escape(section.heading))\n"
            for paragraph in section.paragraphs { out += "\n\(MarkdownText.escape(paragraph))\n" }
            for table in section.tables {
                out += "\n\(MarkdownText.escape(table.caption))\n\n"
                out += "| " + table.header.map(MarkdownText.escape).joined(separator: " | ") + " |\n"
                out += "|" + table.header.map { _ in "---|" }.joined() + "\n"
                for row in table.rows { out += "| " + row.map(MarkdownText.escape).joined(separator: " | ") + " |\n" }
            }
        }
        return out
    }

    var html: String {
        var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<title>\(HTMLText.escape(title))</title>\n<style>\(HTMLReport.style)</style>\n</head>\n<body>\n"
        out += "<h1>\(HTMLText.escape(title))</h1>\n"
        for section in sections {
            out += "<h2>\(HTMLText.escape(section.heading))</h2>\n"
            for paragraph in section.paragraphs { out += "<p>\(HTMLText.escape(paragraph))</p>\n" }
            for table in section.tables {
                out += "<table>\n<caption>\(HTMLText.escape(table.caption))</caption>\n<thead><tr>"
                out += table.header.map { "<th>\(HTMLText.escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
                for row in table.rows {
                    out += "<tr>" + row.map { "<td>\(HTMLText.escape($0))</td>" }.joined() + "</tr>\n"
                }
                out += "</tbody>\n</table>\n"
            }
        }
        out += "</body>\n</html>\n"
        return out
    }
}
