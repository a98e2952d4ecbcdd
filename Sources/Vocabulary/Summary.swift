extension Vocabulary {
    /// A human-readable description for `ovseg vocab show`: the classes with
    /// ids, colours and synonyms, the label encoding, background policy,
    /// templates and each split with its source.
    public func summary() -> String {
        var lines: [String] = []
        lines.append("\(name) [\(key)]  \(classCount) classes  \(fingerprint)")
        if !description.isEmpty { lines.append(description) }
        lines.append("")

        let idWidth = max(2, String(classCount - 1).count)
        let colorWidth = max(6, classes.map { $0.color.description.count }.max() ?? 0)
        let nameWidth = max(4, classes.map(\.name.count).max() ?? 0)
        lines.append(pad("id", idWidth, right: true) + "  " + pad("colour", colorWidth) + "  "
                     + pad("name", nameWidth) + "  synonyms")
        for vocabularyClass in classes {
            lines.append(pad(String(vocabularyClass.id), idWidth, right: true) + "  "
                         + pad(vocabularyClass.color.description, colorWidth) + "  "
                         + pad(vocabularyClass.name, nameWidth) + "  "
                         + vocabularyClass.synonyms.joined(separator: ", "))
        }
        lines.append("")

        let ignoreValues = encoding.ignoreValues.map(String.init).joined(separator: ", ")
        let ignoreColors = encoding.ignoreColors.map(\.description).joined(separator: ", ")
        lines.append("Labels: \(encoding.releaseFormat) release; reduce_zero_label \(encoding.reduceZeroLabel); "
                     + "ignore values [\(ignoreValues)]; ignore colours [\(ignoreColors)]"
                     + (encoding.allowIgnoreClassOverlap ? "; ignore may overlap class ids" : ""))
        lines.append("Background: \(background.className ?? "none") (\(background.treatment.rawValue))")
        lines.append("Prompt templates: " + promptTemplates.map { "\"\($0)\"" }.joined(separator: ", "))
        lines.append("")

        lines.append(splits.isEmpty ? "Splits: none" : "Splits:")
        for split in splits {
            lines.append("  \(split.name): \(split.seen.count) seen / \(split.unseen.count) unseen"
                         + (split.inferred ? "  [inferred]" : "") + (split.name == defaultSplitName ? "  [default]" : ""))
            lines.append("    seen:   " + split.seen.joined(separator: ", "))
            lines.append("    unseen: " + split.unseen.joined(separator: ", "))
            if let source = split.source { lines.append("    source: \(source)") }
        }
        if !splits.isEmpty {
            lines.append(defaultSplitName.map { "Default split: \($0) (used when a run asks for none)" }
                ?? "Default split: none (a run without --split reports the all-class figures only)")
        }
        lines += layoutSummaryLines
        return lines.joined(separator: "\n")
    }

    private func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }
}
