import Foundation

// The on-disk form of a vocabulary file, decoded as-is before any checks of
// meaning. Every object rejects keys it does not know, so a misspelt key
// ("ignore_value") is reported instead of silently falling back to a default.

/// A coding key for any string or index, used to list an object's actual keys.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

/// Thrown while decoding when an object holds a key outside the schema.
struct UnknownKeyError: Error {
    var path: [CodingKey]
    var key: String
    var allowed: [String]
}

func rejectUnknownKeys(_ decoder: Decoder, allowed: [String]) throws {
    let container = try decoder.container(keyedBy: AnyCodingKey.self)
    let allowedSet = Set(allowed)
    for key in container.allKeys where !allowedSet.contains(key.stringValue) {
        throw UnknownKeyError(path: decoder.codingPath, key: key.stringValue, allowed: allowed)
    }
}

/// Only the schema tag, read first so a foreign file gets one clear message.
struct SchemaProbe: Decodable {
    var schema: String?
    /// Absent for semantic vocabularies; `scene-classification` for scene ones (docs/scene-classification.md §1).
    var task: String?
}

struct RawVocabularyFile: Decodable {
    static let allowedKeys = ["schema", "key", "name", "description", "classes", "label_encoding",
                              "background", "prompt_templates", "splits", "default_split", "sources", "notes", "layouts"]
    var schema: String
    var key: String
    var name: String
    var description: String
    var classes: [RawClass]
    var labelEncoding: RawLabelEncoding
    var background: RawBackground
    var promptTemplates: [String]
    var splits: [RawSplit]
    var defaultSplit: String?
    var sources: [String]
    var notes: String?
    /// Release layouts (docs/dataset-layouts.md); optional, decoded in DatasetLayoutFile.swift.
    var layouts: [RawLayout]

    enum CodingKeys: String, CodingKey {
        case schema, key, name, description, classes, background, splits, sources, notes, layouts
        case labelEncoding = "label_encoding"
        case promptTemplates = "prompt_templates"
        case defaultSplit = "default_split"
    }

    init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, allowed: Self.allowedKeys)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schema = try c.decode(String.self, forKey: .schema)
        key = try c.decode(String.self, forKey: .key)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decode(String.self, forKey: .description)
        classes = try c.decode([RawClass].self, forKey: .classes)
        labelEncoding = try c.decode(RawLabelEncoding.self, forKey: .labelEncoding)
        background = try c.decode(RawBackground.self, forKey: .background)
        promptTemplates = try c.decode([String].self, forKey: .promptTemplates)
        splits = try c.decode([RawSplit].self, forKey: .splits)
        defaultSplit = try c.decodeIfPresent(String.self, forKey: .defaultSplit)
        sources = try c.decode([String].self, forKey: .sources)
        notes = try c.decodeIfPresent(String.self, forKey: .notes)
        layouts = try c.decodeIfPresent([RawLayout].self, forKey: .layouts) ?? []
    }
}

struct RawClass: Decodable {
    static let allowedKeys = ["id", "name", "synonyms", "color", "notes"]
    var id: Int
    var name: String
    var synonyms: [String]
    var color: [Int]
    var notes: String?

    enum CodingKeys: String, CodingKey { case id, name, synonyms, color, notes }

    init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, allowed: Self.allowedKeys)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        synonyms = try c.decodeIfPresent([String].self, forKey: .synonyms) ?? []
        color = try c.decode([Int].self, forKey: .color)
        notes = try c.decodeIfPresent(String.self, forKey: .notes)
    }
}

struct RawLabelEncoding: Decodable {
    static let allowedKeys = ["reduce_zero_label", "ignore_values", "ignore_colors", "release_format",
                              "allow_ignore_class_overlap", "notes"]
    var reduceZeroLabel: Bool
    var ignoreValues: [Int]
    var ignoreColors: [[Int]]
    var releaseFormat: String
    var allowIgnoreClassOverlap: Bool
    var notes: String?

    enum CodingKeys: String, CodingKey {
        case reduceZeroLabel = "reduce_zero_label"
        case ignoreValues = "ignore_values"
        case ignoreColors = "ignore_colors"
        case releaseFormat = "release_format"
        case allowIgnoreClassOverlap = "allow_ignore_class_overlap"
        case notes
    }

    init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, allowed: Self.allowedKeys)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        reduceZeroLabel = try c.decode(Bool.self, forKey: .reduceZeroLabel)
        ignoreValues = try c.decode([Int].self, forKey: .ignoreValues)
        ignoreColors = try c.decode([[Int]].self, forKey: .ignoreColors)
        releaseFormat = try c.decode(String.self, forKey: .releaseFormat)
        allowIgnoreClassOverlap = try c.decodeIfPresent(Bool.self, forKey: .allowIgnoreClassOverlap) ?? false
        notes = try c.decodeIfPresent(String.self, forKey: .notes)
    }
}

struct RawBackground: Decodable {
    static let allowedKeys = ["class", "treatment", "notes"]
    var className: String?
    var treatment: String
    var notes: String?

    enum CodingKeys: String, CodingKey {
        case className = "class"
        case treatment, notes
    }

    init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, allowed: Self.allowedKeys)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        className = try c.decodeIfPresent(String.self, forKey: .className)
        treatment = try c.decode(String.self, forKey: .treatment)
        notes = try c.decodeIfPresent(String.self, forKey: .notes)
    }
}

struct RawSplit: Decodable {
    static let allowedKeys = ["name", "seen", "unseen", "source", "inferred", "notes"]
    var name: String
    var seen: [String]
    var unseen: [String]
    var source: String?
    var inferred: Bool
    var notes: String?

    enum CodingKeys: String, CodingKey { case name, seen, unseen, source, inferred, notes }

    init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, allowed: Self.allowedKeys)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        seen = try c.decode([String].self, forKey: .seen)
        unseen = try c.decode([String].self, forKey: .unseen)
        source = try c.decodeIfPresent(String.self, forKey: .source)
        inferred = try c.decodeIfPresent(Bool.self, forKey: .inferred) ?? false
        notes = try c.decodeIfPresent(String.self, forKey: .notes)
    }
}

// MARK: - Turning decoding failures into messages

/// `classes[2].color` from a coding path.
func describePath(_ path: [CodingKey]) -> String {
    var text = ""
    for key in path {
        if let index = key.intValue {
            text += "[\(index)]"
        } else {
            text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
        }
    }
    return text
}

private func describeType(_ type: Any.Type) -> String {
    switch type {
    case is Int.Type: return "an integer"
    case is String.Type: return "a string"
    case is Bool.Type: return "true or false"
    case is [Int].Type: return "an array of integers"
    case is [String].Type: return "an array of strings"
    case is [[Int]].Type: return "an array of [r, g, b] arrays"
    default:
        let name = String(describing: type)
        if name.hasPrefix("Array") { return "an array" }
        if name.hasPrefix("Dictionary") || name.hasPrefix("Raw") || name.contains("Keyed") { return "an object" }
        return name
    }
}

/// Maps an error thrown by `JSONDecoder` to a `VocabularyError` naming the entry.
func vocabularyError(fromDecoding error: Error, file: String) -> VocabularyError {
    if let unknown = error as? UnknownKeyError {
        let owner = describePath(unknown.path)
        let entry = owner.isEmpty ? unknown.key : "\(owner).\(unknown.key)"
        return VocabularyError(.unknownKey, file: file, entry: entry,
                               "unknown key '\(unknown.key)'; allowed here: \(unknown.allowed.joined(separator: ", "))")
    }
    guard let decoding = error as? DecodingError else {
        return VocabularyError(.malformedJSON, file: file, "\(error)")
    }
    switch decoding {
    case .keyNotFound(let key, let context):
        let owner = describePath(context.codingPath)
        let entry = owner.isEmpty ? key.stringValue : "\(owner).\(key.stringValue)"
        return VocabularyError(.missingKey, file: file, entry: entry, "missing key '\(key.stringValue)'")
    case .typeMismatch(let type, let context):
        return VocabularyError(.wrongType, file: file, entry: describePath(context.codingPath),
                               "expected \(describeType(type))")
    case .valueNotFound(let type, let context):
        return VocabularyError(.wrongType, file: file, entry: describePath(context.codingPath),
                               "is null, expected \(describeType(type))")
    case .dataCorrupted(let context):
        if context.codingPath.isEmpty {
            let detail = (context.underlyingError as NSError?)?.localizedDescription ?? context.debugDescription
            return VocabularyError(.malformedJSON, file: file, "not valid JSON (\(detail))")
        }
        return VocabularyError(.wrongType, file: file, entry: describePath(context.codingPath),
                               context.debugDescription)
    @unknown default:
        return VocabularyError(.malformedJSON, file: file, "\(decoding)")
    }
}
