import Foundation

/// A small CSV reader for the VQA inputs (docs/vqa.md §2): comma-separated, a header row, fields
/// optionally in double quotes ("" inside quotes is one quote), blank lines skipped, a UTF-8 BOM
/// ignored. Rows are numbered from 1 for the header, as a spreadsheet shows them.
struct CSVTable {
    var header: [String]
    /// (line number, fields)
    var rows: [(line: Int, fields: [String])]

    static func parse(_ text: String, source: String) throws(VQAError) -> CSVTable {
        var body = Substring(text)
        if body.hasPrefix("\u{FEFF}") { body = body.dropFirst() }
        var records: [(Int, [String])] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var inQuotes = false
        var line = 1
        var recordLine = 1
        var iterator = body.makeIterator()
        var pending: Character? = nil
        func endRecord() {
            fields.append(field)
            if !(fields.count == 1 && fields[0].trimmingCharacters(in: .whitespaces).isEmpty && !quoted) {
                records.append((recordLine, fields))
            }
            fields = []
            field = ""
            quoted = false
        }
        while let c = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else { inQuotes = false; pending = next }
                    } else {
                        inQuotes = false
                    }
                } else {
                    if c == "\n" || c == "\r\n" { line += 1 }
                    field.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.trimmingCharacters(in: .whitespaces).isEmpty:
                field = ""
                inQuotes = true
                quoted = true
            case ",":
                fields.append(field)
                field = ""
            case "\n", "\r\n", "\r":
                endRecord()
                line += 1
                recordLine = line
            default:
                field.append(c)
            }
        }
        if inQuotes { throw VQAError(.groundTruth, "\(source): line \(recordLine): a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty { endRecord() }
        guard let first = records.first else { throw VQAError(.groundTruth, "\(source): the file has no header row") }
        let header = first.1.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        return CSVTable(header: header, rows: records.dropFirst().map { (line: $0.0, fields: $0.1) })
    }

    /// The index of each of `names` in the header, or an error naming the missing column.
    func columns(_ names: [String], source: String, kind: VQAError.Kind) throws(VQAError) -> [Int] {
        var result: [Int] = []
        for name in names {
            guard let index = header.firstIndex(of: name) else {
                throw VQAError(kind, "\(source): the header \(header.joined(separator: ",")) has no column \"\(name)\" "
                    + "(expected \(names.joined(separator: ",")))")
            }
            result.append(index)
        }
        return result
    }
}

