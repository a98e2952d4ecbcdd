import Foundation
import JSON
import LabelMaps

/// The classes of a scene-classification dataset (UC Merced, AID, NWPU-RESISC45, …): one label per
/// image, so no colours, label encoding or background policy (docs/scene-classification.md §1).
///
/// Scene vocabularies live in `Vocabularies/` beside the semantic ones, in the same file format
/// (`schema` `ovseg-vocabulary/1`) with a top-level `"task": "scene-classification"`. Semantic
/// loaders (`Vocabulary.load`) refuse them with a message pointing at `ovseg classify`.
public struct SceneVocabulary: Hashable, Sendable {
    /// The value of a scene vocabulary's `task` key.
    public static let task = "scene-classification"

    public let key: String
    public let name: String
    public let description: String
    /// Classes in label-id order: `classes[i].id == i`.
    public let classes: [SceneClass]
    /// Prompt templates, each with exactly one `{}` where the class name goes.
    public let promptTemplates: [String]
    /// Named seen/unseen divisions of the classes, for zero-shot protocols.
    public let splits: [ClassSplit]
    public let sources: [String]
    public let notes: String?
    /// `fnv1a64:` and 16 hex digits over the key, the class names in order and the splits.
    public let fingerprint: String
    /// The file it was loaded from, as named in error messages.
    public let file: String

    private let idsByName: [String: Int]

    init(key: String, name: String, description: String, classes: [SceneClass], promptTemplates: [String],
         splits: [ClassSplit], sources: [String], notes: String?, file: String) {
        self.key = key
        self.name = name
        self.description = description
        self.classes = classes
        self.promptTemplates = promptTemplates
        self.splits = splits
        self.sources = sources
        self.notes = notes
        self.file = file
        var index: [String: Int] = [:]
        for sceneClass in classes {
            for text in sceneClass.allNames { index[Vocabulary.normalizedName(text)] = sceneClass.id }
        }
        idsByName = index
        var lines = [Vocabulary.schemaTag, "task " + Self.task, "key \(key.utf8.count):\(key)"]
        for sceneClass in classes { lines.append("class \(sceneClass.id) \(sceneClass.name.utf8.count):\(sceneClass.name)") }
        for split in splits {
            lines.append("split \(split.name.utf8.count):\(split.name) seen=\(split.seenIDs.sorted().map(String.init).joined(separator: ","))"
                + " unseen=\(split.unseenIDs.sorted().map(String.init).joined(separator: ","))")
        }
        fingerprint = Fingerprint.fnv1a64Hex(lines.joined(separator: "\n") + "\n")
    }

    /// The number of classes, K.
    public var classCount: Int { classes.count }

    /// The id of the class whose name or synonym is `name`, ignoring case and surrounding spaces.
    public func classID(named name: String) -> Int? { idsByName[Vocabulary.normalizedName(name)] }

    /// The split called `name` (exact match first, then ignoring case).
    public func split(named name: String) throws(VocabularyError) -> ClassSplit {
        if let exact = splits.first(where: { $0.name == name }) { return exact }
        if let loose = splits.first(where: { $0.name.lowercased() == name.lowercased() }) { return loose }
        let available = splits.isEmpty ? "none (give the classes with --seen and --unseen)" : splits.map(\.name).joined(separator: ", ")
        throw VocabularyError(.unknownSplit, file: file, entry: "splits", "no split named '\(name)'; available: \(available)")
    }

    /// A split given for one run (`--seen … --unseen …`), by class name or synonym.
    public func split(seen seenNames: [String], unseen unseenNames: [String]) throws(VocabularyError) -> ClassSplit {
        func resolve(_ names: [String], _ side: String) throws(VocabularyError) -> [Int] {
            guard !names.isEmpty else {
                throw VocabularyError(.emptySplitSide, file: file, entry: side, "the \(side) list is empty")
            }
            var ids: [Int] = []
            for name in names {
                guard let id = classID(named: name) else {
                    let hint = EditDistance.closest(to: name, among: classes.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
                    throw VocabularyError(.unknownClassInSplit, file: file, entry: side, "'\(name)' is not a class of \(key)\(hint)")
                }
                if !ids.contains(id) { ids.append(id) }
            }
            return ids
        }
        let seenIDs = try resolve(seenNames, "seen"), unseenIDs = try resolve(unseenNames, "unseen")
        if let shared = seenIDs.first(where: unseenIDs.contains) {
            throw VocabularyError(.classBothSeenAndUnseen, file: file, entry: "unseen", "\(classes[shared].name) is both seen and unseen")
        }
        return ClassSplit(
            name: "command-line", seen: seenIDs.map { classes[$0].name }, unseen: unseenIDs.map { classes[$0].name },
            seenIDs: seenIDs, unseenIDs: unseenIDs, source: "given on the command line (--seen/--unseen)", inferred: false)
    }

    /// A description for `ovseg vocab show`.
    public func summary() -> String {
        var lines = ["\(name) [\(key)]  scene classification  \(classCount) classes  \(fingerprint)"]
        if !description.isEmpty { lines.append(description) }
        lines.append("")
        let idWidth = max(2, String(classCount - 1).count)
        let nameWidth = max(4, classes.map(\.name.count).max() ?? 0)
        lines.append(String(repeating: " ", count: idWidth - 2) + "id  " + "name".padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  synonyms")
        for sceneClass in classes {
            let id = String(sceneClass.id)
            lines.append(String(repeating: " ", count: idWidth - id.count) + id + "  "
                + sceneClass.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  " + sceneClass.synonyms.joined(separator: ", "))
        }
        lines.append("")
        lines.append("Prompt templates: " + promptTemplates.map { "\"\($0)\"" }.joined(separator: ", "))
        lines.append(splits.isEmpty ? "Splits: none (give --seen/--unseen to `ovseg classify score`)" : "Splits:")
        for split in splits {
            lines.append("  \(split.name): \(split.seen.count) seen / \(split.unseen.count) unseen" + (split.inferred ? "  [inferred]" : ""))
            lines.append("    seen:   " + split.seen.joined(separator: ", "))
            lines.append("    unseen: " + split.unseen.joined(separator: ", "))
            if let source = split.source { lines.append("    source: \(source)") }
        }
        lines.append("Sources:")
        for source in sources { lines.append("  - \(source)") }
        if let notes { lines.append("Notes: \(notes)") }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// One class of a scene vocabulary, at its label id.
public struct SceneClass: Hashable, Sendable {
    public var id: Int
    public var name: String
    /// Other names the class goes by (the release's folder spelling, other datasets' names).
    public var synonyms: [String]

    public init(id: Int, name: String, synonyms: [String] = []) {
        self.id = id
        self.name = name
        self.synonyms = synonyms
    }

    /// The name followed by the synonyms.
    public var allNames: [String] { [name] + synonyms }
}

// MARK: - Loading

extension SceneVocabulary {
    /// Keys of the bundled scene vocabularies, sorted.
    public static var bundledKeys: [String] {
        Vocabulary.bundledFiles().filter { $0.task == task }.map(\.key)
    }

    /// The bundled scene key that `key` names, ignoring case.
    public static func bundledKey(matching key: String) -> String? {
        let keys = bundledKeys
        if keys.contains(key) { return key }
        return keys.first { $0.lowercased() == key.lowercased() }
    }

    /// Loads a bundled scene vocabulary by key (case-insensitive).
    public static func load(key requested: String) throws(VocabularyError) -> SceneVocabulary {
        guard let key = bundledKey(matching: requested), let directory = Vocabulary.bundledDirectory else {
            if let semantic = Vocabulary.bundledKey(matching: requested) {
                throw VocabularyError(.wrongTask, file: "Vocabularies/\(semantic).json",
                    "'\(semantic)' is a semantic-segmentation vocabulary; scene classification needs a scene vocabulary: "
                        + bundledKeys.joined(separator: ", "))
            }
            let suggestion = EditDistance.closest(to: requested, among: bundledKeys).map { "; did you mean '\($0)'?" } ?? ""
            throw VocabularyError(.unknownVocabulary, file: "Vocabularies/\(requested).json",
                "no bundled scene vocabulary '\(requested)'\(suggestion) available: \(bundledKeys.joined(separator: ", "))")
        }
        return try load(path: directory.appendingPathComponent("\(key).json").path, displayName: "Vocabularies/\(key).json")
    }

    /// Loads and validates the scene vocabulary file at `path`.
    public static func load(path: String, displayName: String? = nil) throws(VocabularyError) -> SceneVocabulary {
        switch check(fileAt: path, displayName: displayName ?? path) {
        case .success(let vocabulary): return vocabulary
        case .failure(let problems): throw problems.errors[0]
        }
    }

    /// A command-line argument: an existing file wins, otherwise a bundled scene key.
    public static func resolve(_ keyOrPath: String) throws(VocabularyError) -> SceneVocabulary {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: keyOrPath, isDirectory: &isDirectory), !isDirectory.boolValue {
            return try load(path: keyOrPath)
        }
        if keyOrPath.contains("/") || keyOrPath.hasSuffix(".json") {
            throw VocabularyError(.unknownVocabulary, file: keyOrPath,
                "no such vocabulary file; bundled scene vocabularies: \(bundledKeys.joined(separator: ", "))")
        }
        return try load(key: keyOrPath)
    }

    static func check(fileAt path: String, displayName: String) -> Result<SceneVocabulary, Vocabulary.Problems> {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(Vocabulary.Problems(errors: [VocabularyError(.unreadableFile, file: displayName, "cannot read the file")]))
        }
        return check(data: data, file: displayName)
    }

    /// Decodes and validates a scene vocabulary, collecting every problem.
    static func check(data: Data, file: String) -> Result<SceneVocabulary, Vocabulary.Problems> {
        func failure(_ error: VocabularyError) -> Result<SceneVocabulary, Vocabulary.Problems> {
            .failure(Vocabulary.Problems(errors: [error]))
        }
        do {
            _ = try JSONCodec.parse([UInt8](data), source: file)
        } catch {
            let prefix = file + ": "
            let reason = error.description.hasPrefix(prefix) ? String(error.description.dropFirst(prefix.count)) : error.description
            return failure(VocabularyError(.malformedJSON, file: file, "not valid JSON: \(reason)"))
        }
        let raw: RawSceneVocabularyFile
        do {
            raw = try JSONDecoder().decode(RawSceneVocabularyFile.self, from: data)
        } catch {
            return failure(vocabularyError(fromDecoding: error, file: file))
        }
        guard raw.schema == Vocabulary.schemaTag else {
            return failure(VocabularyError(.wrongSchema, file: file, entry: "schema", "schema is \"\(raw.schema)\", expected \"\(Vocabulary.schemaTag)\""))
        }
        guard raw.task == task else {
            return failure(VocabularyError(.wrongTask, file: file, entry: "task",
                "task is \"\(raw.task)\"; a scene vocabulary has \"\(task)\" (a semantic vocabulary has no task key)"))
        }
        var checker = SemanticChecker(file: file)
        checker.checkKey(raw.key)
        if raw.name.trimmingCharacters(in: .whitespaces).isEmpty { checker.report(.invalidValue, "name", "name is empty") }
        if raw.classes.isEmpty { checker.report(.classIDs, "classes", "the class list is empty") }
        var classes: [SceneClass] = []
        for (position, rawClass) in raw.classes.enumerated() {
            if rawClass.id != position {
                checker.report(.classIDs, "classes[\(position)].id",
                    "class '\(rawClass.name)' has id \(rawClass.id), expected \(position) (ids must be 0..K-1 in file order)")
            }
            if rawClass.name.trimmingCharacters(in: .whitespaces).isEmpty {
                checker.report(.invalidValue, "classes[\(position)].name", "class name is empty")
            }
            classes.append(SceneClass(id: position, name: rawClass.name, synonyms: rawClass.synonyms))
        }
        // The semantic checker's name index and split checks only read names; colours are not used.
        let asVocabularyClasses = classes.map { VocabularyClass(id: $0.id, name: $0.name, synonyms: $0.synonyms, color: RGB(0, 0, 0)) }
        let nameIndex = checker.buildNameIndex(asVocabularyClasses)
        checker.checkTemplates(raw.promptTemplates)
        let splits = checker.checkSplits(raw.splits, nameIndex: nameIndex, classes: asVocabularyClasses)
        if raw.sources.isEmpty { checker.report(.missingKey, "sources", "a scene vocabulary must say where its class list comes from") }
        guard checker.problems.isEmpty else { return .failure(Vocabulary.Problems(errors: checker.problems)) }
        return .success(SceneVocabulary(
            key: raw.key, name: raw.name, description: raw.description, classes: classes, promptTemplates: raw.promptTemplates,
            splits: splits, sources: raw.sources, notes: raw.notes, file: file))
    }
}

struct RawSceneVocabularyFile: Decodable {
    static let allowedKeys = ["schema", "task", "key", "name", "description", "classes", "prompt_templates", "splits", "sources", "notes"]
    var schema: String
    var task: String
    var key: String
    var name: String
    var description: String
    var classes: [RawSceneClass]
    var promptTemplates: [String]
    var splits: [RawSplit]
    var sources: [String]
    var notes: String?

    enum CodingKeys: String, CodingKey {
        case schema, task, key, name, description, classes, splits, sources, notes
        case promptTemplates = "prompt_templates"
    }

    init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, allowed: Self.allowedKeys)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schema = try c.decode(String.self, forKey: .schema)
        task = try c.decode(String.self, forKey: .task)
        key = try c.decode(String.self, forKey: .key)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        classes = try c.decode([RawSceneClass].self, forKey: .classes)
        promptTemplates = try c.decode([String].self, forKey: .promptTemplates)
        splits = try c.decodeIfPresent([RawSplit].self, forKey: .splits) ?? []
        sources = try c.decode([String].self, forKey: .sources)
        notes = try c.decodeIfPresent(String.self, forKey: .notes)
    }
}

struct RawSceneClass: Decodable {
    static let allowedKeys = ["id", "name", "synonyms", "notes"]
    var id: Int
    var name: String
    var synonyms: [String]

    enum CodingKeys: String, CodingKey { case id, name, synonyms }

    init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, allowed: Self.allowedKeys)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        synonyms = try c.decodeIfPresent([String].self, forKey: .synonyms) ?? []
    }
}
