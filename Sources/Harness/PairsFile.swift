import Foundation

/// A CSV file that lists a dataset's files one image per row, for files no layout describes
/// (`--pairs FILE`, docs/dataset-layouts.md §5).
///
/// The first row is a header naming the columns: `label` always, `image` (needed by `eval`),
/// `prediction` (optional for `score`, which otherwise matches `--pred DIR` by id) and `id`
/// (optional). Paths are relative to the CSV file's folder unless absolute. Without an `id`
/// column, an image's id is the image file's stem (the label file's when there is no image
/// column). Fields may be quoted with `"` (`""` inside quotes is a quote).
public enum PairsFile {
    static let knownColumns = ["id", "image", "label", "prediction"]

    /// Reads and checks the file: each listed file must exist and ids must be unique; every error
    /// names the file and the row (row 1 is the header).
    public static func read(
        _ path: String, needsImages: Bool, needsPredictions: Bool
    ) throws(HarnessError) -> ListedDataset {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw HarnessError(.pairing, file: path, "\(path): cannot read the pairs file (\(error.localizedDescription))")
        }
        let rows = try parse(text, file: path)
        guard let header = rows.first else {
            throw HarnessError(.pairing, file: path, "\(path): the pairs file is empty; expected a header row image,label[,prediction]")
        }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        func column(_ name: String) -> Int? { names.firstIndex(of: name) }
        let expected = "expected a header row naming columns image,label[,prediction][,id]"
        if let unknown = names.first(where: { !knownColumns.contains($0) }) {
            throw HarnessError(.pairing, file: path, "\(path): row 1: unknown column \"\(unknown)\"; \(expected)")
        }
        if let twice = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw HarnessError(.pairing, file: path, "\(path): row 1: column \"\(twice)\" is named twice")
        }
        guard let labelColumn = column("label") else {
            throw HarnessError(.pairing, file: path, "\(path): row 1: no label column; \(expected)")
        }
        let imageColumn = column("image"), predictionColumn = column("prediction"), idColumn = column("id")
        if needsImages && imageColumn == nil {
            throw HarnessError(.pairing, file: path, "\(path): row 1: no image column; eval needs the images: \(expected)")
        }
        if needsPredictions && predictionColumn == nil {
            throw HarnessError(.pairing, file: path,
                "\(path): row 1: no prediction column; give one, or predictions with --pred DIR (matched by id)")
        }
        let folder = (path as NSString).deletingLastPathComponent
        var images: [ListedImage] = []
        var rowOfID: [String: Int] = [:]
        for row in rows.dropFirst() {
            if row.fields.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            guard row.fields.count == names.count else {
                throw HarnessError(.pairing, file: path,
                    "\(path): row \(row.number): \(row.fields.count) field(s), the header has \(names.count)")
            }
            func file(_ index: Int?, _ name: String) throws(HarnessError) -> String? {
                guard let index else { return nil }
                let value = row.fields[index].trimmingCharacters(in: .whitespaces)
                guard !value.isEmpty else {
                    throw HarnessError(.pairing, file: path, "\(path): row \(row.number): the \(name) column is empty")
                }
                // A NUL would end the path at the C library, so "a.png\0x" would silently read a.png.
                if value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                    throw HarnessError(.pairing, file: path,
                        "\(path): row \(row.number): the \(name) column holds a control character (NUL, line break, escape…)")
                }
                let resolved = value.hasPrefix("/") ? value : (folder as NSString).appendingPathComponent(value)
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory), !isDirectory.boolValue else {
                    throw HarnessError(.pairing, file: path, "\(path): row \(row.number): \(name) file \(resolved) does not exist")
                }
                return resolved
            }
            guard let label = try file(labelColumn, "label") else { continue }
            let image = try file(imageColumn, "image")
            let prediction = try file(predictionColumn, "prediction")
            let id: String
            if let idColumn {
                id = row.fields[idColumn].trimmingCharacters(in: .whitespaces)
                guard !id.isEmpty else { throw HarnessError(.pairing, file: path, "\(path): row \(row.number): the id column is empty") }
            } else {
                id = (((image ?? label) as NSString).lastPathComponent as NSString).deletingPathExtension
            }
            if let first = rowOfID[id] {
                throw HarnessError(.pairing, file: path,
                    "\(path): rows \(first) and \(row.number) have the same image id \"\(id)\""
                        + (idColumn == nil ? " (ids are file stems; add an id column to tell them apart)" : ""))
            }
            rowOfID[id] = row.number
            let stem = { (file: String) in ((file as NSString).lastPathComponent as NSString).deletingPathExtension }
            let aliases = [stem(label)] + (image.map { [stem($0)] } ?? [])
            images.append(ListedImage(
                id: id, imagePath: image, labelPath: label, predictionPath: prediction, aliases: aliases.filter { $0 != id }))
        }
        guard !images.isEmpty else { throw HarnessError(.pairing, file: path, "\(path): the pairs file lists no image") }
        return ListedDataset(root: path, images: images, origin: DatasetOrigin(pairsFile: path))
    }

    struct Row {
        let number: Int
        let fields: [String]
    }

    /// RFC 4180 rows: comma-separated, `"` quotes a field (with `""` for a quote), CRLF or LF.
    static func parse(_ text: String, file: String) throws(HarnessError) -> [Row] {
        var rows: [Row] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var fieldStarted = false
        var line = 1
        var rowStart = 1
        var characters = Array(text)
        if characters.first == "\u{FEFF}" { characters.removeFirst() }
        var index = 0
        func endRow() {
            fields.append(field)
            rows.append(Row(number: rowStart, fields: fields))
            fields = []
            field = ""
            fieldStarted = false
        }
        while index < characters.count {
            let character = characters[index]
            if quoted {
                if character == "\"" {
                    if index + 1 < characters.count, characters[index + 1] == "\"" {
                        field.append("\"")
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if character == "\n" || character == "\r\n" { line += 1 }
                    field.append(character)
                }
            } else if character == "\"" && !fieldStarted {
                quoted = true
                fieldStarted = true
            } else if character == "," {
                fields.append(field)
                field = ""
                fieldStarted = false
            } else if character == "\n" || character == "\r\n" || character == "\r" {
                endRow()
                line += 1
                rowStart = line
            } else {
                field.append(character)
                fieldStarted = true
            }
            index += 1
        }
        if quoted { throw HarnessError(.pairing, file: file, "\(file): row \(rowStart): a quoted field is not closed") }
        if fieldStarted || !fields.isEmpty || !field.isEmpty { endRow() }
        return rows
    }
}
