import Foundation
import Hashing
import JSON

/// One question with its reference answer.
public struct VQAQuestion: Sendable, Equatable {
    public var id: String
    /// The image the question is about ("" when the file does not say).
    public var image: String
    /// The question type as the file spells it (RSVQA: presence, comp, count, rural_urban, area).
    public var type: String
    public var question: String
    /// The reference answer as written in the file.
    public var answer: String

    public init(id: String, image: String, type: String, question: String, answer: String) {
        self.id = id
        self.image = image
        self.type = type
        self.question = question
        self.answer = answer
    }
}

/// The ground truth of a VQA run (docs/vqa.md §2): questions sorted by id, the files they came
/// from and their SHA-256s.
public struct VQAGroundTruth: Sendable, Equatable {
    public enum Format: String, Sendable {
        /// RSVQA's release: *_questions.json + *_answers.json (+ *_images.json).
        case rsvqa
        /// {"questions": [{"id", "image", "type", "question", "answer"}]}
        case simpleJSON = "json"
        /// CSV with the header id,type,answer (and optionally image, question).
        case csv
    }

    public var questions: [VQAQuestion]
    public var format: Format
    public var paths: [String]
    public var fileSHA256: [String]

    public init(questions: [VQAQuestion], format: Format, paths: [String], fileSHA256: [String]) {
        self.questions = questions
        self.format = format
        self.paths = paths
        self.fileSHA256 = fileSHA256
    }

    /// SHA-256 over the sorted lines id<TAB>type<TAB>answer (the raw reference answer): equal for
    /// the same questions whatever file form they came in.
    public var fingerprint: String {
        let lines = questions.map { "\($0.id)\t\($0.type)\t\($0.answer)" }.sorted()
        return SHA256.hex(SHA256.digest(Array(lines.joined(separator: "\n").utf8)))
    }

    /// Reads ground truth. `path` is a questions file (RSVQA, needs `answers`), a simple JSON file or
    /// a CSV file; `images` (RSVQA only) restricts the questions to those its active images list.
    public static func read(path: String, answers: String? = nil, images: String? = nil) throws(VQAError) -> VQAGroundTruth {
        let bytes = try readBytes(path)
        if path.lowercased().hasSuffix(".csv") {
            if answers != nil || images != nil {
                throw VQAError(.groundTruth, "\(path): a CSV ground truth holds its answers; --answers and --images apply to RSVQA's JSON files")
            }
            return try readCSV(bytes, path: path)
        }
        let document = try parse(bytes, path: path)
        guard let list = document["questions"]?.arrayValue else {
            throw VQAError(.groundTruth, "\(path): expected an object with a \"questions\" list (RSVQA questions file or the simple form)")
        }
        let isRSVQA = list.first.map { $0["answers_ids"] != nil } ?? (answers != nil)
        if isRSVQA {
            guard let answers else {
                throw VQAError(.groundTruth, "\(path): an RSVQA questions file (questions with answers_ids); give its answers file with --answers")
            }
            return try readRSVQA(questions: document, questionsPath: path, questionsBytes: bytes, answersPath: answers, imagesPath: images)
        }
        if answers != nil || images != nil {
            throw VQAError(.groundTruth, "\(path): questions carry their answers (no answers_ids); --answers and --images apply to RSVQA's files")
        }
        var questions: [VQAQuestion] = []
        for (index, item) in list.enumerated() {
            let key = "questions[\(index)]"
            guard item.objectValue != nil else { throw VQAError(.groundTruth, "\(path): \(key) is not an object") }
            let id = try identifier(item["id"], "\(path): \(key).id")
            let type = try text(item["type"], "\(path): question \"\(id)\": type")
            let answer = try answerText(item["answer"], "\(path): question \"\(id)\": answer")
            let image = try optionalText(item["image"] ?? item["img_id"], "\(path): question \"\(id)\": image")
            let question = try optionalText(item["question"], "\(path): question \"\(id)\": question")
            questions.append(VQAQuestion(id: id, image: image, type: type, question: question, answer: answer))
        }
        return try finish(questions, format: .simpleJSON, paths: [path], sha: [SHA256.hex(SHA256.digest(bytes))], source: path)
    }

    static func readCSV(_ bytes: [UInt8], path: String) throws(VQAError) -> VQAGroundTruth {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw VQAError(.groundTruth, "\(path): not UTF-8 text") }
        let table = try CSVTable.parse(text, source: path)
        let columns = try table.columns(["id", "type", "answer"], source: path, kind: .groundTruth)
        let imageColumn = table.header.firstIndex(of: "image")
        let questionColumn = table.header.firstIndex(of: "question")
        var questions: [VQAQuestion] = []
        for row in table.rows {
            guard row.fields.count == table.header.count else {
                throw VQAError(.groundTruth, "\(path): line \(row.line): \(row.fields.count) fields, the header has \(table.header.count)")
            }
            let id = row.fields[columns[0]].trimmingCharacters(in: .whitespaces)
            guard !id.isEmpty else { throw VQAError(.groundTruth, "\(path): line \(row.line): empty id") }
            let type = row.fields[columns[1]].trimmingCharacters(in: .whitespaces)
            guard !type.isEmpty else { throw VQAError(.groundTruth, "\(path): line \(row.line): question \"\(id)\" has an empty type") }
            questions.append(VQAQuestion(
                id: id, image: imageColumn.map { row.fields[$0] } ?? "", type: type,
                question: questionColumn.map { row.fields[$0] } ?? "", answer: row.fields[columns[2]]))
        }
        return try finish(questions, format: .csv, paths: [path], sha: [SHA256.hex(SHA256.digest(bytes))], source: path)
    }

    /// RSVQA's release (docs/vqa.md §2.1): inactive questions, answers and images are skipped; a
    /// question's answer is the first of its answers_ids.
    static func readRSVQA(
        questions document: JSONValue, questionsPath: String, questionsBytes: [UInt8], answersPath: String, imagesPath: String?
    ) throws(VQAError) -> VQAGroundTruth {
        let answersBytes = try readBytes(answersPath)
        let answersDocument = try parse(answersBytes, path: answersPath)
        guard let answerList = answersDocument["answers"]?.arrayValue else {
            throw VQAError(.groundTruth, "\(answersPath): expected an object with an \"answers\" list (RSVQA answers file)")
        }
        var answerByID: [String: String] = [:]
        for (index, item) in answerList.enumerated() {
            guard item.objectValue != nil else { throw VQAError(.groundTruth, "\(answersPath): answers[\(index)] is not an object") }
            if item["active"]?.boolValue == false { continue }
            let id = try identifier(item["id"], "\(answersPath): answers[\(index)].id")
            let answer = try answerText(item["answer"], "\(answersPath): answer \"\(id)\": answer")
            guard answerByID.updateValue(answer, forKey: id) == nil else {
                throw VQAError(.groundTruth, "\(answersPath): answer id \"\(id)\" occurs twice")
            }
        }
        var paths = [questionsPath, answersPath]
        var shas = [SHA256.hex(SHA256.digest(questionsBytes)), SHA256.hex(SHA256.digest(answersBytes))]
        var selected: Set<String>?
        if let imagesPath {
            let imagesBytes = try readBytes(imagesPath)
            let imagesDocument = try parse(imagesBytes, path: imagesPath)
            guard let imageList = imagesDocument["images"]?.arrayValue else {
                throw VQAError(.groundTruth, "\(imagesPath): expected an object with an \"images\" list (RSVQA images file)")
            }
            var ids: Set<String> = []
            for (index, item) in imageList.enumerated() {
                guard item.objectValue != nil else { throw VQAError(.groundTruth, "\(imagesPath): images[\(index)] is not an object") }
                if item["active"]?.boolValue == false { continue }
                guard let list = item["questions_ids"]?.arrayValue else {
                    throw VQAError(.groundTruth, "\(imagesPath): images[\(index)].questions_ids is missing or not a list")
                }
                for value in list { ids.insert(try identifier(value, "\(imagesPath): images[\(index)].questions_ids")) }
            }
            selected = ids
            paths.append(imagesPath)
            shas.append(SHA256.hex(SHA256.digest(imagesBytes)))
        }
        var questions: [VQAQuestion] = []
        for (index, item) in (document["questions"]?.arrayValue ?? []).enumerated() {
            guard item.objectValue != nil else { throw VQAError(.groundTruth, "\(questionsPath): questions[\(index)] is not an object") }
            if item["active"]?.boolValue == false { continue }
            let id = try identifier(item["id"], "\(questionsPath): questions[\(index)].id")
            if let selected, !selected.contains(id) { continue }
            guard let answerIDs = item["answers_ids"]?.arrayValue, let first = answerIDs.first else {
                throw VQAError(.groundTruth, "\(questionsPath): question \"\(id)\": answers_ids is missing or empty")
            }
            let answerID = try identifier(first, "\(questionsPath): question \"\(id)\": answers_ids[0]")
            guard let answer = answerByID[answerID] else {
                throw VQAError(.groundTruth, "\(questionsPath): question \"\(id)\": answer \"\(answerID)\" is not an active answer of \(answersPath)")
            }
            let type = try text(item["type"], "\(questionsPath): question \"\(id)\": type")
            let image = try optionalText(item["img_id"], "\(questionsPath): question \"\(id)\": img_id")
            let question = try optionalText(item["question"], "\(questionsPath): question \"\(id)\": question")
            questions.append(VQAQuestion(id: id, image: image, type: type, question: question, answer: answer))
        }
        return try finish(questions, format: .rsvqa, paths: paths, sha: shas, source: questionsPath)
    }

    static func finish(
        _ questions: [VQAQuestion], format: Format, paths: [String], sha: [String], source: String
    ) throws(VQAError) -> VQAGroundTruth {
        guard !questions.isEmpty else { throw VQAError(.groundTruth, "\(source): no (active) questions") }
        var seen: Set<String> = []
        for question in questions where !seen.insert(question.id).inserted {
            throw VQAError(.groundTruth, "\(source): question id \"\(question.id)\" occurs twice")
        }
        for question in questions where question.answer.trimmingCharacters(in: .whitespaces).isEmpty {
            throw VQAError(.groundTruth, "\(source): question \"\(question.id)\" has an empty answer")
        }
        return VQAGroundTruth(
            questions: questions.sorted { VQAIdentifier.less($0.id, $1.id) }, format: format, paths: paths, fileSHA256: sha)
    }

    // MARK: - Helpers shared with the predictions reader

    static func readBytes(_ path: String) throws(VQAError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw VQAError(.groundTruth, "\(path): no such file")
        }
        guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
            throw VQAError(.groundTruth, "\(path): not a readable file")
        }
        return [UInt8](data)
    }

    static func parse(_ bytes: [UInt8], path: String, kind: VQAError.Kind = .groundTruth) throws(VQAError) -> JSONValue {
        do {
            return try JSONCodec.parse(bytes, source: path)
        } catch {
            throw VQAError(kind, error.description)
        }
    }

    /// An id: a string or an integer (RSVQA's ids are integers), as text.
    static func identifier(_ value: JSONValue?, _ context: String, kind: VQAError.Kind = .groundTruth) throws(VQAError) -> String {
        if let text = value?.stringValue, !text.isEmpty { return text }
        if let number = value?.intValue { return String(number) }
        throw VQAError(kind, "\(context) is missing or not a string or an integer")
    }

    static func text(_ value: JSONValue?, _ context: String) throws(VQAError) -> String {
        guard let text = value?.stringValue, !text.isEmpty else {
            throw VQAError(.groundTruth, "\(context) is missing or not a non-empty string")
        }
        return text
    }

    static func optionalText(_ value: JSONValue?, _ context: String) throws(VQAError) -> String {
        guard let value, !value.isNull else { return "" }
        if let text = value.stringValue { return text }
        if let number = value.intValue { return String(number) }
        throw VQAError(.groundTruth, "\(context) is not a string")
    }

    /// An answer: a string, or a number written as text ("3").
    static func answerText(_ value: JSONValue?, _ context: String, kind: VQAError.Kind = .groundTruth) throws(VQAError) -> String {
        switch value {
        case .string(let text)?: return text
        case .int(let number)?: return String(number)
        case .uint(let number)?: return String(number)
        case .double(let number)? where number.isFinite: return String(number)
        default: throw VQAError(kind, "\(context) is missing or not a string or a number")
        }
    }
}

/// Question ids sort numerically when both are integers (RSVQA's ids), else as text.
public enum VQAIdentifier {
    public static func less(_ a: String, _ b: String) -> Bool {
        if let x = UInt64(a), let y = UInt64(b) { return x != y ? x < y : a < b }
        if UInt64(a) != nil { return true }
        if UInt64(b) != nil { return false }
        return a < b
    }
}
