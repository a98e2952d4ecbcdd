import Foundation
import Hashing
import JSON

/// Predicted answers (docs/vqa.md §2.2): CSV `id,answer`, JSON `{"id": "answer"}` or
/// `{"answers": [{"id", "answer"}]}`.
public struct VQAPredictions: Sendable, Equatable {
    public enum Format: String, Sendable {
        case csv
        case jsonObject = "json-object"
        case jsonList = "json-answers"
    }

    /// Answer by question id.
    public var answers: [String: String]
    public var format: Format
    public var path: String
    public var fileSHA256: String

    public init(answers: [String: String], format: Format, path: String, fileSHA256: String) {
        self.answers = answers
        self.format = format
        self.path = path
        self.fileSHA256 = fileSHA256
    }

    /// SHA-256 over the sorted lines id<TAB>answer (raw answers).
    public var fingerprint: String {
        let lines = answers.map { "\($0.key)\t\($0.value)" }.sorted()
        return SHA256.hex(SHA256.digest(Array(lines.joined(separator: "\n").utf8)))
    }

    public static func read(path: String) throws(VQAError) -> VQAPredictions {
        let bytes: [UInt8]
        do {
            bytes = try VQAGroundTruth.readBytes(path)
        } catch {
            throw VQAError(.predictions, error.description)
        }
        let sha = SHA256.hex(SHA256.digest(bytes))
        var answers: [String: String] = [:]
        func add(_ id: String, _ answer: String, _ place: String) throws(VQAError) {
            guard answers.updateValue(answer, forKey: id) == nil else {
                throw VQAError(.predictions, "\(path): \(place): question \"\(id)\" has a second prediction")
            }
        }
        if path.lowercased().hasSuffix(".csv") {
            guard let text = String(validating: bytes, as: UTF8.self) else { throw VQAError(.predictions, "\(path): not UTF-8 text") }
            let table: CSVTable
            do {
                table = try CSVTable.parse(text, source: path)
            } catch {
                throw VQAError(.predictions, error.description)
            }
            let columns = try table.columns(["id", "answer"], source: path, kind: .predictions)
            for row in table.rows {
                guard row.fields.count == table.header.count else {
                    throw VQAError(.predictions, "\(path): line \(row.line): \(row.fields.count) fields, the header has \(table.header.count)")
                }
                let id = row.fields[columns[0]].trimmingCharacters(in: .whitespaces)
                guard !id.isEmpty else { throw VQAError(.predictions, "\(path): line \(row.line): empty id") }
                try add(id, row.fields[columns[1]], "line \(row.line)")
            }
            return VQAPredictions(answers: answers, format: .csv, path: path, fileSHA256: sha)
        }
        let document = try VQAGroundTruth.parse(bytes, path: path, kind: .predictions)
        guard let root = document.objectValue else {
            throw VQAError(.predictions, "\(path): expected {\"id\": \"answer\", …} or {\"answers\": [{\"id\", \"answer\"}]}")
        }
        if root.count == 1, let list = root["answers"]?.arrayValue {
            for (index, item) in list.enumerated() {
                let place = "answers[\(index)]"
                guard item.objectValue != nil else { throw VQAError(.predictions, "\(path): \(place) is not an object") }
                let id = try VQAGroundTruth.identifier(item["id"], "\(path): \(place).id", kind: .predictions)
                let answer = try VQAGroundTruth.answerText(item["answer"], "\(path): \(place).answer", kind: .predictions)
                try add(id, answer, place)
            }
            return VQAPredictions(answers: answers, format: .jsonList, path: path, fileSHA256: sha)
        }
        for (key, value) in root {
            let answer = try VQAGroundTruth.answerText(value, "\(path): question \"\(key)\"", kind: .predictions)
            try add(key, answer, "key \"\(key)\"")
        }
        return VQAPredictions(answers: answers, format: .jsonObject, path: path, fileSHA256: sha)
    }
}
