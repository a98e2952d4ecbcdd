import Foundation

/// How a dataset's release is laid out on disk: where its images and label files are and how an
/// image's name maps to its label's name, so `ovseg score`/`eval --data DIR --layout NAME` can find
/// the pairs in the unpacked release (docs/dataset-layouts.md §1).
///
/// Layouts never change how pixels are counted, so they are not part of the vocabulary
/// fingerprint: adding a layout to a vocabulary leaves its runs comparable.
public struct DatasetLayout: Hashable, Sendable {
    /// `official` for the release as published; other names for well-known re-cuts (`mmseg`).
    public let name: String
    /// Where the images are, relative to the data folder (docs/dataset-layouts.md §2).
    public let images: LayoutPathPattern
    /// Where the label files are.
    public let labels: LayoutPathPattern
    /// Other label files of the same images, e.g. `eroded` (ISPRS labels without boundary pixels).
    public let variants: [LayoutLabelVariant]
    /// Named subsets (official val/test tile lists, domains), chosen with `--subset`.
    public let subsets: [LayoutSubset]
    /// Where the layout's facts come from.
    public let source: String?
    public let notes: String?

    public init(
        name: String, images: LayoutPathPattern, labels: LayoutPathPattern, variants: [LayoutLabelVariant] = [],
        subsets: [LayoutSubset] = [], source: String? = nil, notes: String? = nil
    ) {
        self.name = name
        self.images = images
        self.labels = labels
        self.variants = variants
        self.subsets = subsets
        self.source = source
        self.notes = notes
    }

    /// The variant called `name`, or nil.
    public func variant(named name: String) -> LayoutLabelVariant? {
        variants.first { $0.name == name }
    }

    /// The subset called `name` (exact first, then ignoring case), or nil.
    public func subset(named name: String) -> LayoutSubset? {
        subsets.first { $0.name == name } ?? subsets.first { $0.name.lowercased() == name.lowercased() }
    }
}

/// A label variant of a layout: the same images, other label files.
public struct LayoutLabelVariant: Hashable, Sendable {
    /// `eroded` is the variant `--eroded-boundary` selects.
    public let name: String
    public let labels: LayoutPathPattern
    public let notes: String?

    /// The name of the variant that holds labels with eroded object boundaries (ISPRS `noBoundary`).
    public static let eroded = "eroded"

    public init(name: String, labels: LayoutPathPattern, notes: String? = nil) {
        self.name = name
        self.labels = labels
        self.notes = notes
    }
}

/// A named part of a layout's images.
public struct LayoutSubset: Hashable, Sendable {
    public enum Members: Hashable, Sendable {
        /// These ids (the `{id}` part of the file names).
        case ids([String])
        /// The files whose placeholders have these values, e.g. `split` = `Val`, `domain` = `Urban`.
        case placeholders([String: String])
        /// The ids listed in this file of the data folder, one file name per line (OpenEarthMap's
        /// `val.txt`); each line's last path component without extension is an id.
        case listFile(String)
    }

    public let name: String
    public let members: Members
    public let source: String?
    public let notes: String?

    public init(name: String, members: Members, source: String? = nil, notes: String? = nil) {
        self.name = name
        self.members = members
        self.source = source
        self.notes = notes
    }
}

/// A path pattern relative to the data folder, `/` between folders, e.g.
/// `2_Ortho_RGB/top_potsdam_{id}_RGB` or `{split}/{domain}/images_png/{id}`.
///
/// - `{id}` (exactly once, in the last component) is the image id; other `{name}` placeholders
///   match any text without `/` and must agree between an image and its label (and, used twice,
///   within one path).
/// - A `**` component matches zero or more folders (archives that unpack into an extra folder).
/// - The last component matches the file name without its extension: any raster extension
///   (png, tif, tiff, jpg, jpeg, any case) is accepted, so a pattern is extension-agnostic.
public struct LayoutPathPattern: Hashable, Sendable, CustomStringConvertible {
    public let text: String
    /// The components, split at `/`.
    public let components: [String]

    /// Parses and checks a pattern; the error says what is wrong (the caller adds file and key).
    public init(_ text: String) throws(LayoutPatternError) {
        guard !text.isEmpty else { throw LayoutPatternError("the pattern is empty") }
        guard !text.hasPrefix("/") else { throw LayoutPatternError("'\(text)' must be relative to the data folder, not start with /") }
        let components = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if components.contains(where: \.isEmpty) { throw LayoutPatternError("'\(text)' has an empty folder name (//)") }
        if components.contains(where: { $0 == "." || $0 == ".." }) {
            throw LayoutPatternError("'\(text)' may not contain . or .. folders")
        }
        guard let last = components.last, last != "**" else {
            throw LayoutPatternError("'\(text)' must end in a file-name pattern, not **")
        }
        var idCount = 0
        for (index, component) in components.enumerated() {
            if component.contains("**") && component != "**" {
                throw LayoutPatternError("'\(text)': ** must be a whole folder name")
            }
            let names = try Self.placeholders(in: component, pattern: text)
            for name in names where name == "id" {
                idCount += 1
                if index != components.count - 1 {
                    throw LayoutPatternError("'\(text)': {id} must be in the file name (the last component)")
                }
            }
        }
        guard idCount == 1 else {
            throw LayoutPatternError("'\(text)' must contain {id} exactly once (it has \(idCount))")
        }
        if last.contains(".") {
            throw LayoutPatternError("'\(text)': leave the extension out of the file-name pattern (any of png, tif, tiff, jpg, jpeg is matched)")
        }
        self.text = text
        self.components = components
    }

    public var description: String { text }

    /// The placeholder names in the pattern, in order of first appearance.
    public var placeholderNames: [String] {
        var seen: [String] = []
        for component in components {
            for name in (try? Self.placeholders(in: component, pattern: text)) ?? [] where !seen.contains(name) {
                seen.append(name)
            }
        }
        return seen
    }

    /// The leading components without placeholders or `**`: the folder a search can start in.
    public var literalPrefix: [String] {
        Array(components.dropLast().prefix { !$0.contains("{") && $0 != "**" })
    }

    /// Placeholder names of one component; `{` and `}` must pair and names be letters, digits or `_`.
    static func placeholders(in component: String, pattern: String) throws(LayoutPatternError) -> [String] {
        var names: [String] = []
        var current: String?
        var previousWasPlaceholder = false
        for character in component {
            if character == "{" {
                guard current == nil else { throw LayoutPatternError("'\(pattern)': nested {") }
                if previousWasPlaceholder {
                    throw LayoutPatternError("'\(pattern)': two placeholders side by side cannot be told apart")
                }
                current = ""
            } else if character == "}" {
                guard let name = current else { throw LayoutPatternError("'\(pattern)': } without {") }
                guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw LayoutPatternError("'\(pattern)': placeholder {\(name)} must be a name of letters, digits or _")
                }
                names.append(name)
                current = nil
                previousWasPlaceholder = true
                continue
            } else if current != nil {
                current?.append(character)
                continue
            }
            previousWasPlaceholder = false
        }
        if current != nil { throw LayoutPatternError("'\(pattern)': { without }") }
        return names
    }

    /// Matches a path relative to the data folder, without its extension; the placeholder values
    /// on success, nil when the path does not fit.
    public func match(_ relativeStem: String) -> [String: String]? {
        let parts = relativeStem.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var values: [String: String] = [:]
        return Self.match(components[...], parts[...], &values) ? values : nil
    }

    private static func match(_ pattern: ArraySlice<String>, _ parts: ArraySlice<String>, _ values: inout [String: String]) -> Bool {
        guard let first = pattern.first else { return parts.isEmpty }
        if first == "**" {
            // Zero or more folders, but never the file name itself.
            var rest = parts
            while true {
                var trial = values
                if match(pattern.dropFirst(), rest, &trial) {
                    values = trial
                    return true
                }
                guard rest.count > 1 else { return false }
                rest = rest.dropFirst()
            }
        }
        guard let part = parts.first else { return false }
        var trial = values
        guard matchComponent(Array(tokens(first)), part[...], &trial) else { return false }
        if match(pattern.dropFirst(), parts.dropFirst(), &trial) {
            values = trial
            return true
        }
        return false
    }

    private enum Token { case literal(String), placeholder(String) }

    private static func tokens(_ component: String) -> [Token] {
        var result: [Token] = []
        var literal = ""
        var name: String?
        for character in component {
            if character == "{" {
                if !literal.isEmpty { result.append(.literal(literal)) }
                literal = ""
                name = ""
            } else if character == "}", let current = name {
                result.append(.placeholder(current))
                name = nil
            } else if name != nil {
                name?.append(character)
            } else {
                literal.append(character)
            }
        }
        if !literal.isEmpty { result.append(.literal(literal)) }
        return result
    }

    /// Literals match exactly; a placeholder takes one or more characters (trying every length,
    /// so `top_potsdam_{id}_label` takes `2_13` from `top_potsdam_2_13_label`); a placeholder seen
    /// before must take the same text again.
    private static func matchComponent(_ tokens: [Token], _ text: Substring, _ values: inout [String: String]) -> Bool {
        guard let first = tokens.first else { return text.isEmpty }
        let rest = Array(tokens.dropFirst())
        switch first {
        case .literal(let literal):
            guard text.hasPrefix(literal) else { return false }
            return matchComponent(rest, text.dropFirst(literal.count), &values)
        case .placeholder(let name):
            if let known = values[name] {
                guard text.hasPrefix(known) else { return false }
                return matchComponent(rest, text.dropFirst(known.count), &values)
            }
            var end = text.startIndex
            while end < text.endIndex {
                end = text.index(after: end)
                var trial = values
                trial[name] = String(text[text.startIndex..<end])
                if matchComponent(rest, text[end...], &trial) {
                    values = trial
                    return true
                }
            }
            return false
        }
    }
}

/// What is wrong with a layout path pattern.
public struct LayoutPatternError: Error, Sendable, CustomStringConvertible {
    public let problem: String
    init(_ problem: String) { self.problem = problem }
    public var description: String { problem }
}
