import Foundation

// The `layouts` array of a vocabulary file (docs/dataset-layouts.md §1): decoded as-is, then
// checked, every problem naming the file and the entry (`layouts[0].subsets[1].ids`).

struct RawLayout: Decodable {
    static let allowedKeys = ["name", "images", "labels", "variants", "subsets", "source", "notes"]
    var name: String
    var images: String
    var labels: String
    var variants: [RawLayoutVariant]
    var subsets: [RawLayoutSubset]
    var source: String?
    var notes: String?

    enum CodingKeys: String, CodingKey { case name, images, labels, variants, subsets, source, notes }

    init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, allowed: Self.allowedKeys)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        images = try c.decode(String.self, forKey: .images)
        labels = try c.decode(String.self, forKey: .labels)
        variants = try c.decodeIfPresent([RawLayoutVariant].self, forKey: .variants) ?? []
        subsets = try c.decodeIfPresent([RawLayoutSubset].self, forKey: .subsets) ?? []
        source = try c.decodeIfPresent(String.self, forKey: .source)
        notes = try c.decodeIfPresent(String.self, forKey: .notes)
    }
}

struct RawLayoutVariant: Decodable {
    static let allowedKeys = ["name", "labels", "notes"]
    var name: String
    var labels: String
    var notes: String?

    enum CodingKeys: String, CodingKey { case name, labels, notes }

    init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, allowed: Self.allowedKeys)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        labels = try c.decode(String.self, forKey: .labels)
        notes = try c.decodeIfPresent(String.self, forKey: .notes)
    }
}

struct RawLayoutSubset: Decodable {
    static let allowedKeys = ["name", "ids", "placeholders", "list_file", "source", "notes"]
    var name: String
    var ids: [String]?
    var placeholders: [String: String]?
    var listFile: String?
    var source: String?
    var notes: String?

    enum CodingKeys: String, CodingKey {
        case name, ids, placeholders, source, notes
        case listFile = "list_file"
    }

    init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, allowed: Self.allowedKeys)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        ids = try c.decodeIfPresent([String].self, forKey: .ids)
        placeholders = try c.decodeIfPresent([String: String].self, forKey: .placeholders)
        listFile = try c.decodeIfPresent(String.self, forKey: .listFile)
        source = try c.decodeIfPresent(String.self, forKey: .source)
        notes = try c.decodeIfPresent(String.self, forKey: .notes)
    }
}

/// Checks decoded layouts and builds `DatasetLayout`s, appending every problem found.
enum LayoutValidation {
    static func check(_ raws: [RawLayout], file: String, problems: inout [VocabularyError]) -> [DatasetLayout] {
        var layouts: [DatasetLayout] = []
        var names: Set<String> = []
        for (position, raw) in raws.enumerated() {
            let entry = "layouts[\(position)]"
            func report(_ key: String, _ problem: String) {
                problems.append(VocabularyError(.invalidValue, file: file, entry: "\(entry)\(key)", problem))
            }
            if raw.name.trimmingCharacters(in: .whitespaces).isEmpty {
                report(".name", "layout name is empty")
            } else if !names.insert(raw.name).inserted {
                report(".name", "a layout named '\(raw.name)' is already defined")
            }
            func pattern(_ text: String, _ key: String) -> LayoutPathPattern? {
                do {
                    return try LayoutPathPattern(text)
                } catch {
                    report(key, error.problem)
                    return nil
                }
            }
            let images = pattern(raw.images, ".images")
            let labels = pattern(raw.labels, ".labels")
            var variants: [LayoutLabelVariant] = []
            for (index, rawVariant) in raw.variants.enumerated() {
                let key = ".variants[\(index)]"
                if rawVariant.name.trimmingCharacters(in: .whitespaces).isEmpty { report("\(key).name", "variant name is empty") }
                if variants.contains(where: { $0.name == rawVariant.name }) {
                    report("\(key).name", "a variant named '\(rawVariant.name)' is already defined")
                }
                guard let variantLabels = pattern(rawVariant.labels, "\(key).labels") else { continue }
                if let labels, Set(variantLabels.placeholderNames) != Set(labels.placeholderNames) {
                    report("\(key).labels",
                        "'\(rawVariant.labels)' must have the placeholders of labels '\(labels.text)' ("
                            + labels.placeholderNames.map { "{\($0)}" }.joined(separator: ", ") + ")")
                }
                variants.append(LayoutLabelVariant(name: rawVariant.name, labels: variantLabels, notes: rawVariant.notes))
            }
            var subsets: [LayoutSubset] = []
            for (index, rawSubset) in raw.subsets.enumerated() {
                let key = ".subsets[\(index)]"
                if rawSubset.name.trimmingCharacters(in: .whitespaces).isEmpty { report("\(key).name", "subset name is empty") }
                if subsets.contains(where: { $0.name.lowercased() == rawSubset.name.lowercased() }) {
                    report("\(key).name", "a subset named '\(rawSubset.name)' is already defined")
                }
                let given = [rawSubset.ids != nil, rawSubset.placeholders != nil, rawSubset.listFile != nil].filter { $0 }.count
                guard given == 1 else {
                    report(key, "give exactly one of ids, placeholders or list_file (\(given) given)")
                    continue
                }
                let members: LayoutSubset.Members
                if let ids = rawSubset.ids {
                    if ids.isEmpty { report("\(key).ids", "the id list is empty") }
                    if let duplicate = firstDuplicate(ids) { report("\(key).ids", "id '\(duplicate)' is listed twice") }
                    members = .ids(ids)
                } else if let values = rawSubset.placeholders {
                    if values.isEmpty { report("\(key).placeholders", "no placeholder value given") }
                    // In the labels pattern (and so in every variant's): score looks for labels only.
                    let known = Set(labels?.placeholderNames ?? [])
                    for name in values.keys.sorted() where name == "id" || !known.contains(name) {
                        report("\(key).placeholders.\(name)",
                            name == "id" ? "select ids with \"ids\", not a placeholder value"
                                : "the labels pattern has no placeholder {\(name)}")
                    }
                    members = .placeholders(values)
                } else {
                    let listFile = rawSubset.listFile ?? ""
                    if listFile.isEmpty || listFile.hasPrefix("/") || listFile.split(separator: "/").contains("..") {
                        report("\(key).list_file", "'\(listFile)' must be a file name relative to the data folder")
                    }
                    members = .listFile(listFile)
                }
                subsets.append(LayoutSubset(name: rawSubset.name, members: members, source: rawSubset.source, notes: rawSubset.notes))
            }
            if let images, let labels {
                layouts.append(DatasetLayout(
                    name: raw.name, images: images, labels: labels, variants: variants, subsets: subsets,
                    source: raw.source, notes: raw.notes))
            }
        }
        return layouts
    }

    private static func firstDuplicate(_ items: [String]) -> String? {
        var seen: Set<String> = []
        return items.first { !seen.insert($0).inserted }
    }
}

extension Vocabulary {
    /// The layout called `name`; an error lists the layouts there are (and says when there are none).
    public func layout(named name: String) throws(VocabularyError) -> DatasetLayout {
        if let layout = layouts.first(where: { $0.name == name }) { return layout }
        let available = layouts.isEmpty
            ? "it declares no layouts (see docs/dataset-layouts.md; use --pairs FILE for files laid out otherwise)"
            : "available: " + layouts.map(\.name).joined(separator: ", ")
        throw VocabularyError(.invalidValue, file: file, entry: "layouts", "no layout named '\(name)'; \(available)")
    }
}

extension Vocabulary {
    /// The layouts for `ovseg vocab show`: patterns, label variants and subsets (nothing when
    /// the vocabulary declares none).
    var layoutSummaryLines: [String] {
        guard !layouts.isEmpty else { return [] }
        var lines = ["", "Layouts (--data DIR --layout NAME; docs/dataset-layouts.md):"]
        for layout in layouts {
            lines.append("  \(layout.name): images \(layout.images.text), labels \(layout.labels.text)")
            for variant in layout.variants { lines.append("    \(variant.name) labels: \(variant.labels.text)") }
            if !layout.subsets.isEmpty {
                lines.append("    subsets: " + layout.subsets.map { subset in
                    switch subset.members {
                    case .ids(let ids): "\(subset.name) (\(ids.count) ids)"
                    case .placeholders(let values): "\(subset.name) (" + values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + ")"
                    case .listFile(let file): "\(subset.name) (\(file))"
                    }
                }.joined(separator: ", "))
            }
            if let source = layout.source { lines.append("    source: \(source)") }
        }
        return lines
    }
}
