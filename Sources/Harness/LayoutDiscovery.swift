import Foundation
import Vocabulary

/// Finds the image/label pairs of an unpacked dataset release from a vocabulary's layout
/// (docs/dataset-layouts.md §3).
public enum LayoutDiscovery {
    /// What to look for in the data folder.
    public struct Request: Sendable {
        public var layout: DatasetLayout
        /// The vocabulary key, for messages.
        public var vocabulary: String
        public var root: String
        public var subset: String?
        /// A label variant name (`eroded`), or nil for the layout's labels.
        public var labelVariant: String?
        /// Eval needs images and reports images without labels; score looks for labels only.
        public var needsImages: Bool

        public init(
            layout: DatasetLayout, vocabulary: String, root: String, subset: String? = nil, labelVariant: String? = nil,
            needsImages: Bool
        ) {
            self.layout = layout
            self.vocabulary = vocabulary
            self.root = root
            self.subset = subset
            self.labelVariant = labelVariant
            self.needsImages = needsImages
        }
    }

    /// A file the pattern matched.
    struct Found {
        let id: String
        let values: [String: String]
        let path: String
        let relativeStem: String
    }

    /// The listed images; every problem (missing folder, unknown subset, unmatched files, a
    /// subset id not found) is an error that names the layout and the files.
    public static func discover(_ request: Request) throws(HarnessError) -> ListedDataset {
        let layout = request.layout
        let what = "layout \(layout.name) of \(request.vocabulary)"
        var labelPattern = layout.labels
        if let variantName = request.labelVariant {
            guard let variant = layout.variant(named: variantName) else {
                let available = layout.variants.isEmpty ? "it has none" : "it has " + layout.variants.map(\.name).joined(separator: ", ")
                throw HarnessError(.pairing, "\(what) has no \(variantName) label variant (\(available))")
            }
            labelPattern = variant.labels
        }
        var subset: LayoutSubset?
        if let name = request.subset {
            guard let found = layout.subset(named: name) else {
                let available = layout.subsets.isEmpty ? "it has none" : "available: " + layout.subsets.map(\.name).joined(separator: ", ")
                throw HarnessError(.pairing, "\(what) has no subset \(name) (\(available))")
            }
            subset = found
        }
        var labels = try files(matching: labelPattern, root: request.root, described: "labels", layout: what)
        var images = request.needsImages
            ? try files(matching: layout.images, root: request.root, described: "images", layout: what) : [:]
        if let subset {
            let (keptLabels, keptImages) = try select(
                subset, labels: labels, images: images, root: request.root, needsImages: request.needsImages, layout: what)
            labels = keptLabels
            images = keptImages
        }
        let subsetText = subset.map { " (subset \($0.name))" } ?? ""
        guard !labels.isEmpty else {
            throw HarnessError(.pairing, file: request.root,
                "\(request.root): no label files of \(what)\(subsetText) found: expected \(labelPattern.text).<ext> "
                    + "(ext one of \(DatasetScanner.rasterDescription))")
        }
        if request.needsImages {
            let imagesWithoutLabel = images.keys.filter { labels[$0] == nil }.sorted()
            let labelsWithoutImage = labels.keys.filter { images[$0] == nil }.sorted()
            if !imagesWithoutLabel.isEmpty || !labelsWithoutImage.isEmpty {
                var parts: [String] = []
                if !imagesWithoutLabel.isEmpty {
                    parts.append("\(imagesWithoutLabel.count) image(s) have no label: "
                        + DatasetScanner.listed(imagesWithoutLabel.compactMap { images[$0]?.relativeStem }))
                }
                if !labelsWithoutImage.isEmpty {
                    parts.append("\(labelsWithoutImage.count) label(s) have no image: "
                        + DatasetScanner.listed(labelsWithoutImage.compactMap { labels[$0]?.relativeStem }))
                }
                throw HarnessError(.pairing, file: request.root,
                    "\(request.root) (\(what)\(subsetText)): " + parts.joined(separator: "; ")
                        + " (images \(layout.images.text), labels \(labelPattern.text))")
            }
            for id in labels.keys.sorted() {
                guard let label = labels[id], let image = images[id] else { continue }
                for (name, value) in label.values where name != "id" {
                    if let other = image.values[name], other != value {
                        throw HarnessError(.pairing, file: label.path,
                            "\(label.path) and \(image.path) have the id \(id) but different {\(name)} (\(value), \(other))")
                    }
                }
            }
        }
        let listed = labels.keys.sorted().compactMap { id -> ListedImage? in
            guard let label = labels[id] else { return nil }
            let labelStem = (label.relativeStem as NSString).lastPathComponent
            var aliases = [labelStem]
            if let image = images[id] {
                aliases.append((image.relativeStem as NSString).lastPathComponent)
            } else if let imageStem = fill(layout.images.components.last ?? "", with: label.values) {
                aliases.append(imageStem)
            }
            return ListedImage(
                id: id, imagePath: images[id]?.path, labelPath: label.path, aliases: aliases.filter { $0 != id })
        }
        return ListedDataset(
            root: request.root, images: listed,
            origin: DatasetOrigin(layout: layout.name, subset: subset?.name, labelVariant: request.labelVariant))
    }

    /// The files under `root` that fit `pattern`, by id. Two files with one id are an error.
    static func files(
        matching pattern: LayoutPathPattern, root: String, described: String, layout: String
    ) throws(HarnessError) -> [String: Found] {
        let prefix = pattern.literalPrefix.joined(separator: "/")
        let start = prefix.isEmpty ? root : (root as NSString).appendingPathComponent(prefix)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw HarnessError(.pairing, file: root, "\(root): no such folder (the data folder of \(layout))")
        }
        guard FileManager.default.fileExists(atPath: start, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw HarnessError(.pairing, file: start,
                "\(start): no such folder: \(layout) expects its \(described) at \(pattern.text).<ext> in the data folder")
        }
        var found: [String: Found] = [:]
        for relative in try FolderWalk.files(under: start) {
            let full = prefix.isEmpty ? relative : prefix + "/" + relative
            if full.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            guard let stem = DatasetScanner.rasterStem(full), let values = pattern.match(stem), let id = values["id"] else { continue }
            let path = (root as NSString).appendingPathComponent(full)
            if let existing = found[id] {
                throw HarnessError(.pairing, file: path,
                    "\(root): two files have the image id \"\(id)\": \(existing.path) and \(path)")
            }
            found[id] = Found(id: id, values: values, path: path, relativeStem: stem)
        }
        return found
    }

    /// Keeps the files of `subset`; ids it lists that are not in the data folder are an error.
    static func select(
        _ subset: LayoutSubset, labels: [String: Found], images: [String: Found], root: String, needsImages: Bool,
        layout: String
    ) throws(HarnessError) -> (labels: [String: Found], images: [String: Found]) {
        switch subset.members {
        case .ids(let ids):
            return try keep(ids: ids, from: "the \(subset.name) list of \(layout)", labels: labels, images: images, needsImages: needsImages, root: root)
        case .listFile(let name):
            let path = (root as NSString).appendingPathComponent(name)
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw HarnessError(.pairing, file: path,
                    "\(path): cannot read the \(subset.name) list of \(layout) (\(error.localizedDescription)); it belongs in the data folder")
            }
            let ids = text.split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
                .map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension }
            guard !ids.isEmpty else { throw HarnessError(.pairing, file: path, "\(path): the \(subset.name) list is empty") }
            return try keep(ids: ids, from: path, labels: labels, images: images, needsImages: needsImages, root: root)
        case .placeholders(let wanted):
            // Label patterns have every subset placeholder (checked when the vocabulary is loaded);
            // an images pattern without one keeps the images whose labels were kept.
            let keptLabels = labels.filter { entry in wanted.allSatisfy { entry.value.values[$0.key] == $0.value } }
            let keptImages = images.filter { entry in
                wanted.allSatisfy { name, value in entry.value.values[name].map { $0 == value } ?? (keptLabels[entry.key] != nil) }
            }
            return (keptLabels, keptImages)
        }
    }

    private static func keep(
        ids: [String], from list: String, labels: [String: Found], images: [String: Found], needsImages: Bool, root: String
    ) throws(HarnessError) -> (labels: [String: Found], images: [String: Found]) {
        let wanted = Set(ids)
        let absent = ids.filter { labels[$0] == nil || (needsImages && images[$0] == nil) }
        if !absent.isEmpty {
            throw HarnessError(.pairing, file: root,
                "\(absent.count) of the \(wanted.count) ids in \(list) have no "
                    + (needsImages ? "image and label" : "label") + " in \(root): " + DatasetScanner.listed(absent))
        }
        return (labels.filter { wanted.contains($0.key) }, images.filter { wanted.contains($0.key) })
    }

    /// A pattern component with its placeholders filled, or nil when a value is unknown.
    static func fill(_ component: String, with values: [String: String]) -> String? {
        var result = ""
        var name: String?
        for character in component {
            if character == "{" {
                name = ""
            } else if character == "}", let current = name {
                guard let value = values[current] else { return nil }
                result += value
                name = nil
            } else if name != nil {
                name?.append(character)
            } else {
                result.append(character)
            }
        }
        return result
    }
}
