import LabelMaps

/// The vocabulary fingerprint: a *change detector*, not a security hash.
///
/// It is 64-bit FNV-1a over a canonical text of what decides how pixels are
/// scored: the key, every class (id, name, colour) in order, the label encoding
/// (reduce_zero_label, sorted ignore values and colours, the overlap flag), the
/// background treatment and each split (name, seen and unseen ids). Prose,
/// sources, synonyms and prompt templates are left out: they change prompts (the
/// method), not the scoring contract. Because it hashes parsed content, not file
/// bytes, re-indenting a file leaves it unchanged.
enum Fingerprint {
    static let prefix = "fnv1a64:"

    static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    static func fnv1a64Hex(_ text: String) -> String {
        let hex = String(fnv1a64(text), radix: 16)
        return prefix + String(repeating: "0", count: 16 - hex.count) + hex
    }
}

extension Vocabulary {
    /// Length-prefixed so that no name can imitate the separators around it.
    private static func field(_ text: String) -> String { "\(text.utf8.count):\(text)" }

    private static func colorText(_ color: RGB) -> String { "\(color.r),\(color.g),\(color.b)" }

    /// The canonical text the fingerprint is computed over (one item per line).
    static func canonicalForm(key: String, classes: [VocabularyClass], encoding: LabelEncoding,
                              background: BackgroundPolicy, splits: [ClassSplit]) -> String {
        var lines = [schemaTag, "key " + field(key)]
        for vocabularyClass in classes {
            lines.append("class \(vocabularyClass.id) \(field(vocabularyClass.name)) \(colorText(vocabularyClass.color))")
        }
        let ignoreValues = encoding.ignoreValues.sorted().map(String.init).joined(separator: ",")
        let ignoreColors = encoding.ignoreColors.map(colorText).sorted().joined(separator: ";")
        lines.append("encoding reduce_zero_label=\(encoding.reduceZeroLabel) ignore_values=\(ignoreValues)"
                     + " ignore_colors=\(ignoreColors) allow_ignore_class_overlap=\(encoding.allowIgnoreClassOverlap)")
        lines.append("background \(background.treatment.rawValue) " + (background.className.map(field) ?? "-"))
        for split in splits {
            let seen = split.seenIDs.sorted().map(String.init).joined(separator: ",")
            let unseen = split.unseenIDs.sorted().map(String.init).joined(separator: ",")
            lines.append("split \(field(split.name)) seen=\(seen) unseen=\(unseen)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The canonical text behind `fingerprint`, for diagnosing a changed fingerprint.
    public var canonicalText: String {
        Vocabulary.canonicalForm(key: key, classes: classes, encoding: encoding,
                                 background: background, splits: splits)
    }
}
