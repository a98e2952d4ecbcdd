import Foundation
import Hashing
import JSON
import Vocabulary

/// One row of a CSV file with its 1-based line number.
struct CSVRow {
    var line: Int
    var fields: [String]
}

/// Minimal RFC 4180 reading: comma-separated fields, double-quoted fields may hold commas and
/// doubled quotes; a UTF-8 byte-order mark, CR LF line ends and blank lines are accepted.
enum CSVReader {
    static func rows(_ text: String, file: String, kind: SceneClassificationError.Kind) throws(SceneClassificationError) -> [CSVRow] {
        var rows: [CSVRow] = []
        var body = text
        if body.hasPrefix("\u{FEFF}") { body.removeFirst() }
        for (index, rawLine) in body.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            var fields: [String] = []
            var current = ""
            var quoted = false
            var iterator = Array(line)
            var position = 0
            while position < iterator.count {
                let character = iterator[position]
                if quoted {
                    if character == "\"" {
                        if position + 1 < iterator.count && iterator[position + 1] == "\"" {
                            current.append("\"")
                            position += 1
                        } else {
                            quoted = false
                        }
                    } else {
                        current.append(character)
                    }
                } else if character == "\"" && current.trimmingCharacters(in: .whitespaces).isEmpty {
                    current = ""
                    quoted = true
                } else if character == "," {
                    fields.append(current.trimmingCharacters(in: .whitespaces))
                    current = ""
                } else {
                    current.append(character)
                }
                position += 1
            }
            iterator.removeAll()
            if quoted { throw SceneClassificationError(kind, "\(file): line \(index + 1): a quoted field is not closed") }
            fields.append(current.trimmingCharacters(in: .whitespaces))
            rows.append(CSVRow(line: index + 1, fields: fields))
        }
        return rows
    }
}

/// Reads a file's bytes and its SHA-256, or fails naming it.
func readInput(_ path: String, kind: SceneClassificationError.Kind, role: String) throws(SceneClassificationError) -> (bytes: [UInt8], sha256: String) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw SceneClassificationError(kind, "\(path): no such \(role) file")
    }
    guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
        throw SceneClassificationError(kind, "\(path): cannot read the \(role) file (a folder or unreadable)")
    }
    let bytes = [UInt8](data)
    return (bytes, SHA256.hex(bytes))
}

/// A class given by name, synonym or id (docs/scene-classification.md §2): a name or synonym
/// (ignoring case) first, then a whole number 0..K-1.
func resolveClass(_ text: String, in vocabulary: SceneVocabulary) -> Int? {
    if let id = vocabulary.classID(named: text) { return id }
    if let id = Int(text.trimmingCharacters(in: .whitespaces)), (0..<vocabulary.classCount).contains(id) { return id }
    return nil
}

/// "unknown class 'x' (did you mean 'y'?)" for a value that names no class.
func unknownClassMessage(_ text: String, in vocabulary: SceneVocabulary) -> String {
    var message = "'\(text)' is not a class name, synonym or id (0…\(vocabulary.classCount - 1)) of \(vocabulary.key)"
    if let close = EditDistance.closest(to: text, among: vocabulary.classes.flatMap(\.allNames)) {
        message += "; did you mean '\(close)'?"
    }
    return message
}

/// The ground truth of a scene-classification set: one class per image.
public struct SceneLabels: Sendable, Equatable {
    /// Image id → class id, with the place each came from ("row 4", "key \"img\"").
    public var entries: [(image: String, classID: Int, place: String)]
    public var path: String
    /// `csv` or `json`.
    public var format: String
    public var fileSHA256: String

    public static func == (lhs: SceneLabels, rhs: SceneLabels) -> Bool {
        lhs.path == rhs.path && lhs.format == rhs.format && lhs.fileSHA256 == rhs.fileSHA256
            && lhs.entries.map { "\($0.image)\t\($0.classID)" } == rhs.entries.map { "\($0.image)\t\($0.classID)" }
    }

    /// Reads `path`: CSV with the header `image,label`, or JSON `{"image": "label", …}`.
    public static func read(path: String, vocabulary: SceneVocabulary) throws(SceneClassificationError) -> SceneLabels {
        let (bytes, sha) = try readInput(path, kind: .labels, role: "labels")
        func fail(_ message: String) -> SceneClassificationError { SceneClassificationError(.labels, "\(path): \(message)") }
        var entries: [(image: String, classID: Int, place: String)] = []
        var firstPlace: [String: String] = [:]
        func add(_ image: String, _ value: String, _ place: String) throws(SceneClassificationError) {
            guard !image.isEmpty else { throw fail("\(place): the image id is empty") }
            if let earlier = firstPlace[image] { throw fail("\(place): image '\(image)' occurs again (first at \(earlier))") }
            guard let id = resolveClass(value, in: vocabulary) else { throw fail("\(place) (image '\(image)'): " + unknownClassMessage(value, in: vocabulary)) }
            firstPlace[image] = place
            entries.append((image, id, place))
        }
        let format: String
        if looksLikeJSON(bytes) {
            format = "json"
            let document: JSONValue
            do { document = try JSONCodec.parse(bytes, source: path) } catch { throw SceneClassificationError(.labels, error.description) }
            guard let object = document.objectValue else { throw fail("expected a JSON object {\"image\": \"label\", …}") }
            for (image, value) in object {
                let place = "key \"\(image)\""
                if let text = value.stringValue {
                    try add(image, text, place)
                } else if let id = value.intValue {
                    try add(image, String(id), place)
                } else {
                    throw fail("\(place): the label is \(JSONCodec.serialize(value, pretty: false)); expected a class name or id")
                }
            }
        } else {
            format = "csv"
            guard let text = String(bytes: bytes, encoding: .utf8) else { throw fail("not UTF-8 text") }
            let rows = try CSVReader.rows(text, file: path, kind: .labels)
            guard let header = rows.first else { throw fail("the file is empty; expected a header image,label and one row per image") }
            guard header.fields.count == 2, header.fields[0].lowercased() == "image", header.fields[1].lowercased() == "label" else {
                throw fail("line \(header.line): the header is '\(header.fields.joined(separator: ","))'; expected 'image,label'")
            }
            for row in rows.dropFirst() {
                guard row.fields.count == 2 else {
                    throw fail("line \(row.line): \(row.fields.count) fields; expected 2 (image,label)")
                }
                try add(row.fields[0], row.fields[1], "line \(row.line)")
            }
        }
        guard !entries.isEmpty else { throw fail("no labelled images") }
        return SceneLabels(entries: entries, path: path, format: format, fileSHA256: sha)
    }
}

func looksLikeJSON(_ bytes: [UInt8]) -> Bool {
    var start = 0
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
    for byte in bytes[start...] {
        if byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { continue }
        return byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[")
    }
    return false
}

/// The predictions of a scene classifier: per image a ranking of classes, best first (one class
/// for a plain prediction, every class for scores).
public struct ScenePredictions: Sendable, Equatable {
    /// The schema tag of the interchange format `ovseg classify run` writes.
    public static let interchangeSchema = "ovseg.scene-predictions"

    public var rankings: [String: [Int]]
    /// Where each image's prediction came from ("line 5", "key \"img\"", "predictions[3]").
    public var places: [String: String]
    public var path: String
    /// `csv`, `csv-ranked`, `json-labels`, `json-ranked`, `json-scores` or `ovseg.scene-predictions`.
    public var format: String
    public var fileSHA256: String

    /// Reads any of the forms of docs/scene-classification.md §2.
    public static func read(path: String, vocabulary: SceneVocabulary) throws(SceneClassificationError) -> ScenePredictions {
        let (bytes, sha) = try readInput(path, kind: .predictions, role: "predictions")
        func fail(_ message: String) -> SceneClassificationError { SceneClassificationError(.predictions, "\(path): \(message)") }
        var rankings: [String: [Int]] = [:]
        var places: [String: String] = [:]
        func add(_ image: String, _ ranking: [Int], _ place: String) throws(SceneClassificationError) {
            guard !image.isEmpty else { throw fail("\(place): the image id is empty") }
            if let earlier = places[image] { throw fail("\(place): image '\(image)' occurs again (first at \(earlier))") }
            guard !ranking.isEmpty else { throw fail("\(place) (image '\(image)'): no class predicted") }
            var seen = Set<Int>()
            for id in ranking where !seen.insert(id).inserted {
                throw fail("\(place) (image '\(image)'): class '\(vocabulary.classes[id].name)' is ranked twice")
            }
            rankings[image] = ranking
            places[image] = place
        }
        func resolve(_ text: String, _ image: String, _ place: String) throws(SceneClassificationError) -> Int {
            guard let id = resolveClass(text, in: vocabulary) else {
                throw fail("\(place) (image '\(image)'): " + unknownClassMessage(text, in: vocabulary))
            }
            return id
        }
        /// Class ids ordered by score, highest first, ties to the lower class index.
        func rank(_ scores: [Double]) -> [Int] {
            scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        }
        var format: String
        if looksLikeJSON(bytes) {
            let document: JSONValue
            do { document = try JSONCodec.parse(bytes, source: path) } catch { throw SceneClassificationError(.predictions, error.description) }
            guard let object = document.objectValue else { throw fail("expected a JSON object") }
            if let schema = object["schema"] {
                guard schema.stringValue == interchangeSchema else {
                    throw fail("schema is \(JSONCodec.serialize(schema, pretty: false)); scene predictions have \"\(interchangeSchema)\"")
                }
                format = interchangeSchema
                guard object["schema_version"]?.intValue == 1 else {
                    throw fail("schema_version is \(object["schema_version"].map { JSONCodec.serialize($0, pretty: false) } ?? "missing"); this ovseg reads version 1")
                }
                if let key = object["vocabulary"]?.stringValue, key.lowercased() != vocabulary.key.lowercased() {
                    throw fail("the predictions are for vocabulary '\(key)', not '\(vocabulary.key)'")
                }
                guard let classValues = object["classes"]?.arrayValue else { throw fail("classes is missing or not a list") }
                var columns: [Int] = []
                for (index, value) in classValues.enumerated() {
                    guard let name = value.stringValue else { throw fail("classes[\(index)] is not a string") }
                    guard let id = vocabulary.classID(named: name) else { throw fail("classes[\(index)]: " + unknownClassMessage(name, in: vocabulary)) }
                    if columns.contains(id) { throw fail("classes[\(index)]: '\(name)' names class '\(vocabulary.classes[id].name)' again") }
                    columns.append(id)
                }
                guard columns.count == vocabulary.classCount else {
                    let missing = vocabulary.classes.filter { !columns.contains($0.id) }.map(\.name)
                    throw fail("classes lists \(columns.count) of the \(vocabulary.classCount) classes; missing: \(missing.joined(separator: ", "))")
                }
                guard let items = object["predictions"]?.arrayValue else { throw fail("predictions is missing or not a list") }
                for (index, item) in items.enumerated() {
                    let place = "predictions[\(index)]"
                    guard let image = item["image"]?.stringValue else { throw fail("\(place).image is missing or not a string") }
                    guard let values = item["scores"]?.arrayValue, values.count == columns.count else {
                        throw fail("\(place) (image '\(image)'): scores must be a list of \(columns.count) numbers, one per class")
                    }
                    var scores = [Double](repeating: 0, count: columns.count)
                    for (column, value) in values.enumerated() {
                        guard let score = value.doubleValue, score.isFinite else {
                            throw fail("\(place) (image '\(image)'): scores[\(column)] is \(JSONCodec.serialize(value, pretty: false)); expected a finite number")
                        }
                        scores[columns[column]] = score
                    }
                    try add(image, rank(scores), place)
                }
            } else {
                var kinds = Set<String>()
                for (image, value) in object {
                    let place = "key \"\(image)\""
                    if let text = value.stringValue {
                        kinds.insert("json-labels")
                        try add(image, [try resolve(text, image, place)], place)
                    } else if let id = value.intValue {
                        kinds.insert("json-labels")
                        try add(image, [try resolve(String(id), image, place)], place)
                    } else if let list = value.arrayValue {
                        kinds.insert("json-ranked")
                        var ranking: [Int] = []
                        for (position, entry) in list.enumerated() {
                            guard let text = entry.stringValue ?? entry.intValue.map(String.init) else {
                                throw fail("\(place)[\(position)] is \(JSONCodec.serialize(entry, pretty: false)); expected a class name or id")
                            }
                            ranking.append(try resolve(text, image, "\(place)[\(position)]"))
                        }
                        try add(image, ranking, place)
                    } else if let scoreObject = value.objectValue {
                        kinds.insert("json-scores")
                        var scores = [Double?](repeating: nil, count: vocabulary.classCount)
                        for (name, scoreValue) in scoreObject {
                            let id = try resolve(name, image, "\(place).\(name)")
                            guard scores[id] == nil else { throw fail("\(place).\(name): class '\(vocabulary.classes[id].name)' is scored twice") }
                            guard let score = scoreValue.doubleValue, score.isFinite else {
                                throw fail("\(place).\(name) is \(JSONCodec.serialize(scoreValue, pretty: false)); expected a finite number")
                            }
                            scores[id] = score
                        }
                        if let missing = scores.firstIndex(where: { $0 == nil }) {
                            throw fail("\(place) (image '\(image)'): no score for class '\(vocabulary.classes[missing].name)'; per-class scores must cover every class")
                        }
                        try add(image, rank(scores.map { $0 ?? 0 }), place)
                    } else {
                        throw fail("\(place): \(JSONCodec.serialize(value, pretty: false)) is not a class, a ranked list or per-class scores")
                    }
                }
                format = kinds.count == 1 ? kinds.first ?? "json-labels" : "json-mixed"
            }
        } else {
            guard let text = String(bytes: bytes, encoding: .utf8) else { throw fail("not UTF-8 text") }
            let rows = try CSVReader.rows(text, file: path, kind: .predictions)
            guard let header = rows.first else { throw fail("the file is empty; expected a header image,prediction or image,top1,top2,…") }
            let names = header.fields.map { $0.lowercased() }
            let columns = names.count - 1
            let plain = names == ["image", "prediction"] || names == ["image", "label"]
            let ranked = names.first == "image" && columns >= 1 && names.dropFirst().enumerated().allSatisfy { $0.element == "top\($0.offset + 1)" }
            guard plain || ranked else {
                throw fail("line \(header.line): the header is '\(header.fields.joined(separator: ","))'; expected 'image,prediction' or 'image,top1,top2,…'")
            }
            format = plain ? "csv" : "csv-ranked"
            for row in rows.dropFirst() {
                let place = "line \(row.line)"
                guard row.fields.count == columns + 1 else {
                    throw fail("\(place): \(row.fields.count) fields; the header has \(columns + 1)")
                }
                let image = row.fields[0]
                var ranking: [Int] = []
                for (offset, value) in row.fields.dropFirst().enumerated() {
                    guard !value.isEmpty else { throw fail("\(place) (image '\(image)'): \(names[offset + 1]) is empty") }
                    ranking.append(try resolve(value, image, place))
                }
                try add(image, ranking, place)
            }
        }
        guard !rankings.isEmpty else { throw fail("no predictions") }
        return ScenePredictions(rankings: rankings, places: places, path: path, format: format, fileSHA256: sha)
    }
}
