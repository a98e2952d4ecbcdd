import Foundation
import JSON

/// A seen/unseen split kept in its own JSON file (`--split-file FILE`), for splits a vocabulary
/// does not bundle: a paper's fold, a held-out set of one's own. The format is a split entry of a
/// vocabulary file (so one can be copied out of `Vocabularies/*.json`), optionally with the
/// vocabulary it is meant for; docs/split-files.md describes it:
///
///     {"name": "my-fold0", "vocabulary": "potsdam",
///      "seen": ["building", "tree"], "unseen": ["car"], "source": "where it was published"}
///
/// `load(path:)` checks the file's shape; `split(for:)` checks its class names against a
/// vocabulary, so one file can re-split runs of any vocabulary that has those classes.
public struct SplitFile: Sendable, Equatable {
    /// The optional schema tag; a file that gives another is refused.
    public static let schemaTag = "ovseg-split/1"
    /// Every key a split file may hold: those of a vocabulary's split entry, `vocabulary` and `schema`.
    public static let allowedKeys = ["schema", "vocabulary", "name", "seen", "unseen", "source", "inferred", "notes"]

    /// The file as the user named it; recorded as the split's source and named in errors.
    public var path: String
    public var name: String
    /// Class names or synonyms as written in the file.
    public var seen: [String]
    public var unseen: [String]
    /// The key of the vocabulary the split is for, when the file says.
    public var vocabulary: String?
    /// Where the split was published, when the file says.
    public var source: String?
    public var inferred: Bool
    public var notes: String?

    public init(path: String, name: String, seen: [String], unseen: [String], vocabulary: String? = nil,
                source: String? = nil, inferred: Bool = false, notes: String? = nil) {
        self.path = path
        self.name = name
        self.seen = seen
        self.unseen = unseen
        self.vocabulary = vocabulary
        self.source = source
        self.inferred = inferred
        self.notes = notes
    }

    /// Reads the split file at `path` and checks its shape: an object with the allowed keys only
    /// (a misspelt key gets a suggestion), a non-empty `name`, non-empty `seen` and `unseen` lists
    /// of strings. Class names are checked later, against a vocabulary (`split(for:)`).
    public static func load(path: String) throws(VocabularyError) -> SplitFile {
        let root: JSONValue
        do {
            root = try JSONCodec.read(path: path)
        } catch {
            // JSONError messages start with the path; the error names the file itself.
            var message = error.description
            if message.hasPrefix(path + ": ") { message.removeFirst(path.count + 2) }
            let kind: VocabularyError.Kind = message.hasPrefix("cannot open") ? .unreadableFile : .malformedJSON
            throw VocabularyError(kind, file: path, message)
        }
        return try parse(root, path: path)
    }

    /// Checks the shape of a parsed split file; `path` names it in messages.
    public static func parse(_ root: JSONValue, path: String) throws(VocabularyError) -> SplitFile {
        guard let object = root.objectValue else {
            throw VocabularyError(.wrongType, file: path, "expected a JSON object with \"name\", \"seen\" and \"unseen\"")
        }
        for key in object.keys where !allowedKeys.contains(key) {
            let hint = EditDistance.closest(to: key, among: allowedKeys).map { "did you mean '\($0)'? " } ?? ""
            throw VocabularyError(.unknownKey, file: path, entry: key,
                                  "unknown key '\(key)'; \(hint)allowed: \(allowedKeys.joined(separator: ", "))")
        }
        func string(_ key: String, required: Bool) throws(VocabularyError) -> String? {
            guard let value = object[key], !value.isNull || required else { return nil }
            guard let text = value.stringValue else {
                throw VocabularyError(.wrongType, file: path, entry: key, value.isNull ? "is null, expected a string" : "expected a string")
            }
            return text
        }
        func names(_ side: String) throws(VocabularyError) -> [String] {
            guard let value = object[side] else {
                throw VocabularyError(.missingKey, file: path, entry: side, "missing key '\(side)' (a list of class names)")
            }
            guard let items = value.arrayValue else {
                throw VocabularyError(.wrongType, file: path, entry: side, "expected an array of class names")
            }
            guard !items.isEmpty else {
                throw VocabularyError(.emptySplitSide, file: path, entry: side,
                                      "the \(side) list is empty; a split needs both seen and unseen classes")
            }
            var result: [String] = []
            for (position, item) in items.enumerated() {
                guard let text = item.stringValue else {
                    throw VocabularyError(.wrongType, file: path, entry: "\(side)[\(position)]", "expected a class name (a string)")
                }
                result.append(text)
            }
            return result
        }
        if let schema = try string("schema", required: false), schema != schemaTag {
            throw VocabularyError(.wrongSchema, file: path, entry: "schema", "schema is \"\(schema)\", expected \"\(schemaTag)\" (or no schema)")
        }
        guard object["name"] != nil else {
            throw VocabularyError(.missingKey, file: path, entry: "name", "missing key 'name' (the split's name, recorded with the run)")
        }
        let name = try string("name", required: true) ?? ""
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.lowercased() != "none" else {
            throw VocabularyError(.invalidValue, file: path, entry: "name",
                                  name.lowercased() == "none" ? "'none' means no split; give the split another name" : "the split name is empty")
        }
        var inferred = false
        if let value = object["inferred"], !value.isNull {
            guard let flag = value.boolValue else {
                throw VocabularyError(.wrongType, file: path, entry: "inferred", "expected true or false")
            }
            inferred = flag
        }
        return SplitFile(
            path: path, name: name, seen: try names("seen"), unseen: try names("unseen"),
            vocabulary: try string("vocabulary", required: false), source: try string("source", required: false),
            inferred: inferred, notes: try string("notes", required: false))
    }

    /// The split for `vocabulary`: every name must be a class name or synonym of it (ignoring case;
    /// an unknown one gets the closest name as a suggestion), named once, on one side only.
    /// Classes on neither side are allowed, as in bundled splits and `--seen/--unseen`: they count
    /// only in the all-class mIoU. The file's `vocabulary`, when given, must be this vocabulary's key,
    /// and a split the vocabulary bundles under the same name must have the same classes.
    public func split(for vocabulary: Vocabulary) throws(VocabularyError) -> ClassSplit {
        if let key = self.vocabulary, key.lowercased() != vocabulary.key.lowercased() {
            throw VocabularyError(.keyMismatch, file: path, entry: "vocabulary",
                                  "the split is for '\(key)', not for \(vocabulary.name) ('\(vocabulary.key)')")
        }
        func resolve(_ names: [String], _ side: String) throws(VocabularyError) -> [Int] {
            var ids: [Int] = []
            for (position, text) in names.enumerated() {
                let entry = "\(side)[\(position)]"
                guard let id = vocabulary.classID(named: text) else {
                    throw VocabularyError(.unknownClassInSplit, file: path, entry: entry, vocabulary.unknownClassMessage(text))
                }
                guard !ids.contains(id) else {
                    throw VocabularyError(.invalidValue, file: path, entry: entry,
                                          "'\(text)' names \(vocabulary.classes[id].name), already listed as \(side)")
                }
                ids.append(id)
            }
            return ids
        }
        let seenIDs = try resolve(seen, "seen")
        let unseenIDs = try resolve(unseen, "unseen")
        if let position = unseenIDs.firstIndex(where: seenIDs.contains) {
            throw VocabularyError(.classBothSeenAndUnseen, file: path, entry: "unseen[\(position)]",
                                  "\(vocabulary.classes[unseenIDs[position]].name) is also listed as seen; a class is seen or unseen, not both")
        }
        if let bundled = vocabulary.splits.first(where: { $0.name.lowercased() == name.lowercased() }),
           Set(bundled.seenIDs) != Set(seenIDs) || Set(bundled.unseenIDs) != Set(unseenIDs) {
            throw VocabularyError(.duplicateSplitName, file: path, entry: "name",
                                  "\(vocabulary.name) already has a split '\(bundled.name)' with other classes; "
                                      + "give this one another name so runs of the two cannot be mistaken for each other")
        }
        let citation = source.map { "; \($0)" } ?? ""
        return ClassSplit(
            name: name, seen: seenIDs.map { vocabulary.classes[$0].name }, unseen: unseenIDs.map { vocabulary.classes[$0].name },
            seenIDs: seenIDs, unseenIDs: unseenIDs, source: "split file \(path)\(citation)", inferred: inferred, notes: notes)
    }
}

extension Vocabulary {
    /// "'x' is not a class name or synonym of …", with the closest name or synonym when one is
    /// close enough to be a typo, and the class list.
    func unknownClassMessage(_ text: String) -> String {
        let hint = EditDistance.closest(to: text, among: classes.flatMap(\.allNames)).map { "did you mean '\($0)'? " } ?? ""
        return "'\(text)' is not a class name or synonym of \(name); \(hint)classes: \(classes.map(\.name).joined(separator: ", "))"
    }
}
