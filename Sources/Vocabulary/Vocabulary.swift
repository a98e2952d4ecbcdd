import LabelMaps
import Foundation

/// A dataset's vocabulary: its classes in evaluation-id order, how its label
/// files encode them, its background policy, prompt templates and named
/// seen/unseen splits. Loaded from `Vocabularies/<key>.json` (schema
/// `ovseg-vocabulary/1`) and fully validated on load.
public struct Vocabulary: Hashable, Sendable {
    /// The schema tag every vocabulary file must carry.
    public static let schemaTag = "ovseg-vocabulary/1"

    /// Short dataset key, e.g. `potsdam`; also the bundled file's stem.
    public let key: String
    /// Display name, e.g. `ISPRS Potsdam`.
    public let name: String
    public let description: String
    /// Classes in evaluation-id order: `classes[i].id == i`.
    public let classes: [VocabularyClass]
    /// How label files encode the classes. A run may read with other settings
    /// (`withEncoding(_:)`); the fingerprint stays the file's.
    public internal(set) var encoding: LabelEncoding
    public let background: BackgroundPolicy
    /// Prompt templates, each with exactly one `{}` where the class name goes.
    public let promptTemplates: [String]
    public let splits: [ClassSplit]
    /// The name of the split a run uses when none is asked for (`default_split`), or nil:
    /// such runs report the all-class figures only. Validated to name one of `splits`.
    public let defaultSplitName: String?
    /// Where the facts in the file come from.
    public let sources: [String]
    public let notes: String?
    /// Change detector over the scoring-relevant content (see `Fingerprint.swift`):
    /// `fnv1a64:` and 16 hex digits.
    public let fingerprint: String
    /// The file it was loaded from, as named in error messages.
    public let file: String
    /// Release layouts (`--layout NAME`, docs/dataset-layouts.md); not part of the fingerprint,
    /// since where files lie does not change how their pixels are counted.
    public let layouts: [DatasetLayout]

    /// Name or synonym (trimmed, lower-cased) → class id. Unique by validation.
    private let idsByName: [String: Int]

    init(key: String, name: String, description: String, classes: [VocabularyClass],
         encoding: LabelEncoding, background: BackgroundPolicy, promptTemplates: [String],
         splits: [ClassSplit], defaultSplitName: String? = nil, sources: [String], notes: String?, file: String,
         layouts: [DatasetLayout] = []) {
        self.key = key
        self.name = name
        self.description = description
        self.classes = classes
        self.encoding = encoding
        self.background = background
        self.promptTemplates = promptTemplates
        self.splits = splits
        self.defaultSplitName = defaultSplitName
        self.sources = sources
        self.notes = notes
        self.file = file
        self.layouts = layouts
        var index: [String: Int] = [:]
        for vocabularyClass in classes {
            for text in vocabularyClass.allNames {
                index[Vocabulary.normalizedName(text)] = vocabularyClass.id
            }
        }
        self.idsByName = index
        self.fingerprint = Fingerprint.fnv1a64Hex(
            Vocabulary.canonicalForm(key: key, classes: classes, encoding: encoding,
                                     background: background, splits: splits))
    }

    /// The split `default_split` names, or nil when the vocabulary declares none.
    public var defaultSplit: ClassSplit? {
        defaultSplitName.flatMap { name in splits.first { $0.name == name } }
    }

    /// The number of classes, K.
    public var classCount: Int { classes.count }

    /// The id of the class whose name or synonym is `name`, ignoring case and
    /// surrounding spaces; nil if no class answers to it.
    public func classID(named name: String) -> Int? {
        idsByName[Vocabulary.normalizedName(name)]
    }

    /// The split called `name` (exact match first, then ignoring case).
    public func split(named name: String) throws -> ClassSplit {
        if let exact = splits.first(where: { $0.name == name }) { return exact }
        if let loose = splits.first(where: { $0.name.lowercased() == name.lowercased() }) { return loose }
        let available = splits.isEmpty ? "none" : splits.map(\.name).joined(separator: ", ")
        throw VocabularyError(.unknownSplit, file: file, entry: "splits",
                              "no split named '\(name)'; available: \(available)")
    }

    /// A split given for one run instead of a named one (`--seen … --unseen …`): the classes by
    /// name or synonym, ignoring case. Both sides must be non-empty and may not share a class;
    /// an unknown name is an error that suggests the closest name and lists the classes.
    public func split(seen seenNames: [String], unseen unseenNames: [String], name: String = "command-line") throws -> ClassSplit {
        func resolve(_ names: [String], _ side: String) throws -> [Int] {
            guard !names.isEmpty else {
                throw VocabularyError(.unknownClassInSplit, file: file, entry: side, "no \(side) class given")
            }
            var ids: [Int] = []
            for name in names {
                guard let id = classID(named: name) else {
                    throw VocabularyError(.unknownClassInSplit, file: file, entry: side, unknownClassMessage(name))
                }
                guard !ids.contains(id) else {
                    throw VocabularyError(.unknownClassInSplit, file: file, entry: side, "'\(name)' names \(classes[id].name) twice")
                }
                ids.append(id)
            }
            return ids
        }
        let seenIDs = try resolve(seenNames, "seen"), unseenIDs = try resolve(unseenNames, "unseen")
        if let shared = seenIDs.first(where: unseenIDs.contains) {
            throw VocabularyError(.unknownClassInSplit, file: file, entry: "unseen", "\(classes[shared].name) is both seen and unseen")
        }
        return ClassSplit(
            name: name, seen: seenIDs.map { classes[$0].name }, unseen: unseenIDs.map { classes[$0].name },
            seenIDs: seenIDs, unseenIDs: unseenIDs, source: "given on the command line (--seen/--unseen)", inferred: false)
    }

    /// Colour → class id, for decoding colour-coded label files.
    public var colorTable: [RGB: Int] {
        var table: [RGB: Int] = [:]
        for vocabularyClass in classes { table[vocabularyClass.color] = vocabularyClass.id }
        return table
    }

    /// The form names are compared in: trimmed and lower-cased.
    static func normalizedName(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }
}
