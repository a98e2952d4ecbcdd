import Foundation
import JSON

extension Vocabulary {
    /// The key an exported copy gets by default: the key, plus `-ids` or `-reduce-zero-label` when
    /// the copy reads its ground truth the other way, so that its runs are not mistaken for runs of
    /// the original (their vocabulary fingerprints differ too).
    public func exportKey(reduceZeroLabel: Bool?) -> String {
        guard let reduceZeroLabel, reduceZeroLabel != encoding.reduceZeroLabel else { return key }
        return key + (reduceZeroLabel ? "-reduce-zero-label" : "-ids")
    }

    /// This vocabulary's file as JSON, to edit or to score with as `--vocab FILE`: the file it
    /// was loaded from, with `key` replaced and, when given, `label_encoding.reduce_zero_label`
    /// set (for ground truth that stores 0-based ids where the dataset's release stores ids + 1,
    /// or the reverse). A changed encoding is also said in `label_encoding.notes`.
    public func exportedJSON(reduceZeroLabel: Bool? = nil, key newKey: String? = nil) throws(VocabularyError) -> JSONValue {
        let root: JSONValue
        do {
            root = try JSONCodec.read(path: sourcePath)
        } catch {
            throw VocabularyError(.unreadableFile, file: file, error.description)
        }
        guard var object = root.objectValue, var encodingObject = object["label_encoding"]?.objectValue else {
            throw VocabularyError(.wrongSchema, file: file, entry: "label_encoding", "the file has no label_encoding object")
        }
        object["key"] = .string(newKey ?? exportKey(reduceZeroLabel: reduceZeroLabel))
        if let reduceZeroLabel, reduceZeroLabel != encoding.reduceZeroLabel {
            encodingObject["reduce_zero_label"] = .bool(reduceZeroLabel)
            let change = "reduce_zero_label set to \(reduceZeroLabel) by `ovseg vocab export` (the \(key) release has "
                + "\(encoding.reduceZeroLabel)): ground truth read " + (reduceZeroLabel
                    ? "as ids + 1 (0 ignored)." : "as 0-based class ids.")
            let notes = encodingObject["notes"]?.stringValue.map { $0 + " " } ?? ""
            encodingObject["notes"] = .string(notes + change)
            object["label_encoding"] = .object(encodingObject)
        }
        return .object(object)
    }

    /// Where the file this vocabulary was loaded from lies: bundled vocabularies are named
    /// `Vocabularies/<key>.json` in messages but live in the resource bundle.
    var sourcePath: String {
        guard file == "Vocabularies/\(key).json", let directory = Vocabulary.bundledDirectory else { return file }
        return directory.appendingPathComponent("\(key).json").path
    }

    /// Writes `exportedJSON` to `path` atomically, after checking that it is a valid
    /// vocabulary (nothing is written otherwise). Returns the written vocabulary.
    @discardableResult
    public func export(to path: String, reduceZeroLabel: Bool? = nil, key newKey: String? = nil) throws -> Vocabulary {
        let json = try exportedJSON(reduceZeroLabel: reduceZeroLabel, key: newKey)
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("ovseg-vocab-\(UUID().uuidString).json").path
        try JSONCodec.write(json, to: scratch)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let checked = try Vocabulary.load(path: scratch)
        try JSONCodec.write(json, to: path)
        return checked
    }
}
